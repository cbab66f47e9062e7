// Package apk owns the apk database of Alpine and Wolfi images
// (lib/apk/db/installed and etc/apk/world): which files each package owns
// (ReadPackages, read leniently) and the dependency graph (ReadGraph, read
// strictly: a malformed database is an error). It is pure: bytes in,
// values out.
package apk

import (
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Paths of the apk database, canonical, as keys of the contents map an
// image's capture gives.
const (
	// Installed is the database of Alpine and Wolfi images: the packages,
	// their files and dependencies.
	Installed = "lib/apk/db/installed"
	// World is what was asked for by name.
	World = "etc/apk/world"
)

// ReadPackages reads lib/apk/db/installed: one stanza per package, "P:" name,
// "V:" version, "I:" installed size, and file ownership inline: "F:" sets
// the directory, each following "R:" is a file in it.
func ReadPackages(contents map[string][]byte) []*model.FoundPackage {
	body, ok := contents[Installed]
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

// lines calls fn for each line of b, without the trailing "\r\n" or "\n".
func lines(b []byte, fn func(line string)) {
	for line := range strings.Lines(string(b)) {
		fn(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
	}
}
