package model

import (
	"fmt"
	"strings"
)

// Category is what a flagged file is, from the point of view of a final
// image that should carry the program and its runtime only.
type Category string

// The categories. Unflagged files have the empty category; reports call
// them "other".
const (
	BuildTool     Category = "build-tool"
	Source        Category = "source"
	DevDependency Category = "dev-dependency"
	// Recommended is what a package manager installed only as a
	// recommendation of what was asked for (apt's Recommends):
	// --no-install-recommends leaves it out.
	Recommended Category = "recommended"
	Cache       Category = "cache"
	VCS         Category = "vcs"
	Secret      Category = "secret"
	Docs        Category = "docs"
	Other       Category = "other"
)

// categories lists the categories in report order.
var categories = [...]Category{BuildTool, Source, DevDependency, Recommended, Cache, VCS, Secret, Docs, Other}

// NumCategories is the number of categories, Other included.
const NumCategories = len(categories)

// Categories returns the categories in report order (a new slice).
func Categories() []Category { c := categories; return c[:] }

// CategoryIndex is cat's position in Categories; unflagged ("") is
// Other's. ok is false for a name that is no category: the caller decides
// what that means (ParseCategory makes it an error). A loop over eight
// short strings beats a map lookup, per file.
func CategoryIndex(cat Category) (i int, ok bool) {
	if cat == "" {
		cat = Other
	}
	for i, c := range categories {
		if c == cat {
			return i, true
		}
	}
	return -1, false
}

// ParseCategory returns the category name names, or an error listing the
// categories when there is none ("" is none: unflagged files are Other).
func ParseCategory(name string) (Category, error) {
	if i, ok := CategoryIndex(Category(name)); ok && name != "" {
		return categories[i], nil
	}
	names := make([]string, len(categories))
	for i, c := range categories {
		names[i] = string(c)
	}
	return "", fmt.Errorf("unknown category %q (want one of %s)", name, strings.Join(names, ", "))
}

// Package is an installed package found in one of the image's package
// databases.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Manager is the database that lists it: "dpkg", "apk", "npm",
	// "python", "go".
	Manager string `json:"manager"`
	// Section is the dpkg section (devel, libdevel, ...), when known.
	Section string `json:"section,omitempty"`
	// Dev is set when the database marks the package dev-only (npm
	// lockfile "dev": true).
	Dev bool `json:"dev,omitempty"`
	// Category is the category the package's files get from it, or "".
	Category Category `json:"category,omitempty"`
	// Bytes and Files count the package's files in the final filesystem.
	Bytes int64 `json:"bytes"`
	Files int   `json:"files"`
	// Step is the history step that wrote most of its bytes, -1 if none.
	Step int `json:"step"`
	// Rule and Evidence say why the package has its category: the id of
	// the package rule and, e.g., "dpkg: gcc-12 (devel)".
	Rule     string `json:"rule,omitempty"`
	Evidence string `json:"evidence,omitempty"`
	// Location is where the package lives when the database is per
	// directory: the npm install path or the Python dist-info directory.
	Location string `json:"location,omitempty"`
	// InstalledSize is the size the database records (dpkg
	// Installed-Size, apk I:), in bytes; 0 when unknown. Bytes is what
	// the final filesystem actually holds.
	InstalledSize int64 `json:"installedSize,omitempty"`
	// PulledBy are the packages asked for by name whose dependencies
	// (transitively) installed this one: ["npm"], or the package itself
	// when it was asked for; empty when the dependency graph does not
	// say. Compare groups unexplained bytes by it.
	PulledBy []string `json:"pulledBy,omitempty"`
}

// FoundPackage is a package read from one of the image's package databases,
// with what the database says it owns. Readers fill it from captured file
// bodies; Classify resolves the paths against the final filesystem. The readers
// of each format (dpkg, apk, rpm, and the language databases in pkgdb)
// produce it.
type FoundPackage struct {
	Package
	// Source names the database for evidence when it is not the manager
	// itself: "npm lockfile", "package.json".
	Source string
	// Files are canonical paths the database lists (dpkg, apk, Python
	// RECORD); some may be directories or absent from the image.
	Files []string
	// Dirs are directories whose whole tree the package owns (npm, pnpm).
	Dirs []string
}

// Flag is why one file was put in a category.
type Flag struct {
	Category Category `json:"category"`
	// Rule is the id of the rule that matched (see analyze/rules).
	Rule string `json:"rule"`
	// Evidence says what proved it: "dpkg: gcc-12 (devel)", "npm lockfile:
	// dev", "path: usr/local/go/**".
	Evidence string `json:"evidence"`
}

// Finding is a hygiene or security observation about the image as a whole,
// with the step or config field behind it.
type Finding struct {
	// ID is stable across versions: "root-user", "shell-form-entrypoint",
	// "apt-lists-left", "wasted-bytes", "secret", ...
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail,omitempty"`
	// Step is the history step behind the finding, -1 when it comes from
	// the config or the image as a whole.
	Step  int    `json:"step"`
	Path  string `json:"path,omitempty"`
	Bytes int64  `json:"bytes,omitempty"`
	// Field names the config field behind the finding ("config.User"),
	// when it comes from the config.
	Field string `json:"field,omitempty"`
	// Related are other steps involved: for wasted bytes, the step that
	// wrote them (Step is the one that hid them); for a build context
	// copied too early, the install step it invalidates.
	Related []int `json:"relatedSteps,omitempty"`
}

// Severity orders findings.
type Severity string

// The severities, least severe first.
const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Classification is what Classify found in an image.
type Classification struct {
	// Flags is parallel to Image.FS.Files: the flag of each file of the
	// final filesystem; the zero Flag means unflagged ("other").
	Flags []Flag `json:"-"`
	// Owners is parallel to Image.FS.Files: the index in Packages of the
	// package that owns the file, or -1.
	Owners []int `json:"-"`
	// Packages are the installed packages, largest first.
	Packages []Package `json:"packages"`
	// Totals has one entry per category, in Categories order; Other
	// counts what no rule flagged. Their Bytes add up to the final
	// filesystem's size.
	Totals []CategoryTotal `json:"categories"`
	// ByStep splits each step's surviving bytes by category.
	ByStep []StepCategories `json:"byStep"`
	// TopDirs are the directories holding the most flagged bytes.
	TopDirs []FlaggedDir `json:"topFlaggedDirs"`
	// Findings are hygiene and security observations.
	Findings []Finding `json:"findings"`
	// Verdict is a one-line summary, e.g. "412 MB (71%) of this image is
	// build tooling, sources or caches".
	Verdict string `json:"verdict"`
}

// CategoryTotal is the bytes and files of one category in a final filesystem.
type CategoryTotal struct {
	Category Category `json:"category"`
	Bytes    int64    `json:"bytes"`
	Files    int      `json:"files"`
}

// StepCategories is the surviving bytes of one step, by category (only
// non-zero categories are listed).
type StepCategories struct {
	Step   int             `json:"step"`
	Totals []CategoryTotal `json:"categories"`
}

// FlaggedDir is a directory whose flagged content is worth naming.
type FlaggedDir struct {
	Path     string   `json:"path"`
	Category Category `json:"category"`
	Bytes    int64    `json:"bytes"`
	Files    int      `json:"files"`
	// Step is the step that wrote most of those bytes.
	Step int `json:"step"`
	// Evidence is the most common evidence among its flagged files.
	Evidence string `json:"evidence"`
}
