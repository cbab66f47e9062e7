package pkgdb

import (
	"strconv"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// apkInstalled is the apk database of Alpine and Wolfi images.
const apkInstalled = "lib/apk/db/installed"

// readApk reads lib/apk/db/installed: one stanza per package, "P:" name,
// "V:" version, "I:" installed size, and file ownership inline: "F:" sets
// the directory, each following "R:" is a file in it.
func readApk(contents map[string][]byte) []*model.FoundPackage {
	body, ok := contents[apkInstalled]
	if !ok {
		return nil
	}
	var out []*model.FoundPackage
	var cur *model.FoundPackage
	dir := ""
	lines(body, func(line string) {
		if line == "" {
			cur, dir = nil, ""
			return
		}
		if len(line) < 2 || line[1] != ':' {
			return
		}
		v := line[2:]
		if line[0] == 'P' {
			cur = &model.FoundPackage{Package: model.Package{Name: v, Manager: "apk", Step: -1}}
			out = append(out, cur)
			return
		}
		if cur == nil {
			return // a stanza whose P: line is missing or later: skip its fields
		}
		switch line[0] {
		case 'V':
			cur.Version = v
		case 'I':
			cur.InstalledSize, _ = strconv.ParseInt(v, 10, 64)
		case 'F':
			dir = v
		case 'R':
			f := v
			if dir != "" {
				f = dir + "/" + v
			}
			if f = index.Canonical(f); f != "." {
				cur.Files = append(cur.Files, f)
			}
		}
	})
	return out
}
