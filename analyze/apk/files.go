// Package apk owns the apk database of Alpine and Wolfi images
// (lib/apk/db/installed and etc/apk/world): which files each package owns
// (ReadPackages, read leniently) and the dependency graph (ReadGraph, read
// strictly: a malformed database is an error). It is pure: bytes in,
// values out.
package apk

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
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
	dir := ""
	scanInstalled(body, false, func(name string) {
		out = append(out, &model.FoundPackage{Package: model.Package{Name: name, Manager: "apk", Step: -1}})
	}, func(k byte, v string) {
		cur := out[len(out)-1]
		switch k {
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
	}, func() { dir = "" })
	return out
}

// scanInstalled walks the "X:value" lines of lib/apk/db/installed, whose
// stanzas are separated by blank lines: newPackage is told each "P:" name,
// field every other field of the package it started (a stanza's fields
// before its "P:", such as the checksum "C:", are skipped), and end each
// blank line. A line that is not "X:value" is malformed: strict stops at
// the first with an error naming it; otherwise it is skipped.
func scanInstalled(body []byte, strict bool, newPackage func(name string), field func(k byte, v string), end func()) error {
	in := false
	n := 0
	for line := range strings.Lines(string(body)) {
		n++
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		switch {
		case line == "":
			in = false
			end()
		case len(line) < 2 || line[1] != ':':
			if strict {
				return fmt.Errorf("%s: line %d: not a \"X:value\" line: %w", Installed, n, pkggraph.ErrMalformed)
			}
		case line[0] == 'P':
			in = true
			newPackage(line[2:])
		case in:
			field(line[0], line[2:])
		}
	}
	return nil
}
