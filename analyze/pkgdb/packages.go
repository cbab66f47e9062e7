// Package pkgdb is the layer that combines the package databases an
// image carries: Read takes the files each package owns from every format
// (analyze/dpkg, analyze/apk, and the language databases read here:
// Python dist-info, npm and pnpm lockfiles and manifests), Graphs their
// dependency graphs (dpkg, apk, analyze/rpm), and Wants and GraphWants say
// which file bodies the walk must capture for them. Matching packages to
// categories is package rules' job, attributing files to packages
// package classify's.
package pkgdb

import (
	"path"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/apk"
	"github.com/imgdiff/imgdiff/analyze/dpkg"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Read reads every package database captured in img, in a fixed order:
// system managers first, so that a file both dpkg and a RECORD list is
// dpkg's.
func Read(img *model.Image) []*model.FoundPackage {
	var out []*model.FoundPackage
	out = append(out, dpkg.ReadPackages(img.Contents)...)
	out = append(out, apk.ReadPackages(img.Contents)...)
	out = append(out, readPython(img.Contents)...)
	out = append(out, readNpm(img.Contents)...)
	out = append(out, readPnpm(img.Contents, img.FS)...)
	return out
}

// lines calls fn for each line of b, without the trailing "\r\n" or "\n".
func lines(b []byte, fn func(line string)) {
	s := string(b)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		var line string
		if i < 0 {
			line, s = s, ""
		} else {
			line, s = s[:i], s[i+1:]
		}
		fn(strings.TrimSuffix(line, "\r"))
	}
}

// canonicalJoin joins a relative path from a database to the directory it
// is relative to, clamped to the image root.
func canonicalJoin(dir, rel string) string {
	return index.Canonical(path.Join(dir, rel))
}
