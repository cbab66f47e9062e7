// Package pkgdb is the layer that combines the package databases an
// image carries, each read by a package of its own: Read takes the files
// each package owns from every format (analyze/dpkg, analyze/apk,
// analyze/python, analyze/npm), Graphs their dependency graphs (dpkg, apk,
// analyze/rpm), and Wants and GraphWants say which file bodies the walk
// must capture for them. Matching packages to
// categories is package rules' job, attributing files to packages
// package classify's.
package pkgdb

import (
	"github.com/imgdiff/imgdiff/analyze/apk"
	"github.com/imgdiff/imgdiff/analyze/dpkg"
	"github.com/imgdiff/imgdiff/analyze/npm"
	"github.com/imgdiff/imgdiff/analyze/python"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// Read reads every package database captured in img, in a fixed order:
// system managers first, so that a file both dpkg and a RECORD list is
// dpkg's.
func Read(img *model.Image) []*model.FoundPackage {
	var out []*model.FoundPackage
	out = append(out, dpkg.ReadPackages(img.Contents)...)
	out = append(out, apk.ReadPackages(img.Contents)...)
	out = append(out, python.ReadPackages(img.Contents)...)
	out = append(out, npm.ReadPackages(img.Contents)...)
	out = append(out, npm.ReadPnpmPackages(img.Contents, img.FS)...)
	return out
}
