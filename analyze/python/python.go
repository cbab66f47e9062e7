// Package python owns the Python databases of installed distributions:
// the files each distribution's dist-info RECORD lists (ReadPackages),
// named by its METADATA. It is pure: bytes in, values out.
package python

import (
	"bytes"
	"encoding/csv"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// ReadPackages reads the dist-info directories of installed Python
// distributions: RECORD lists every installed file (relative to the
// directory holding the dist-info, often site-packages), METADATA names
// the distribution. Debian's python3-* packages ship no RECORD; dpkg owns
// their files.
func ReadPackages(contents map[string][]byte) []*model.FoundPackage {
	var out []*model.FoundPackage
	for _, k := range slices.Sorted(maps.Keys(contents)) {
		distInfo, ok := strings.CutSuffix(k, "/RECORD")
		if !ok || !strings.HasSuffix(distInfo, ".dist-info") {
			continue
		}
		p := &model.FoundPackage{Package: model.Package{Manager: "python", Step: -1, Location: distInfo}}
		p.Name, p.Version = distInfoName(index.Base(distInfo))
		if meta, ok := contents[distInfo+"/METADATA"]; ok {
			if n, v := metadataName(meta); n != "" {
				p.Name, p.Version = n, v
			}
		}
		site := parentDir(distInfo)
		r := csv.NewReader(bytes.NewReader(contents[k]))
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		r.ReuseRecord = true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				continue // one bad line loses that file only
			}
			if len(rec) > 0 && rec[0] != "" {
				if f := canonicalJoin(site, rec[0]); f != "." {
					p.Files = append(p.Files, f)
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// distInfoName splits "<name>-<version>.dist-info"; wheels escape '-' in
// names as '_', so the first '-' ends the name.
func distInfoName(dir string) (name, version string) {
	dir = strings.TrimSuffix(dir, ".dist-info")
	name, version, _ = strings.Cut(dir, "-")
	return name, version
}

// metadataName reads Name and Version from the header of a METADATA file
// (RFC 822 style, ending at the first blank line).
func metadataName(b []byte) (name, version string) {
	done := false
	lines(b, func(line string) {
		if done {
			return
		}
		if line == "" {
			done = true
			return
		}
		if v, ok := strings.CutPrefix(line, "Name:"); ok && name == "" {
			name = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(line, "Version:"); ok && version == "" {
			version = strings.TrimSpace(v)
		}
	})
	return name, version
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

// lines calls fn for each line of b, without the trailing "\r\n" or "\n".
func lines(b []byte, fn func(line string)) {
	for line := range strings.Lines(string(b)) {
		fn(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
	}
}

// canonicalJoin joins a relative path from a database to the directory it
// is relative to, clamped to the image root.
func canonicalJoin(dir, rel string) string {
	return index.Canonical(path.Join(dir, rel))
}
