// Package fleet owns the fleet view: it folds the analyses of many images
// (each the ordinary analyze.Analysis, or a note that the image could not
// be assembled) into per-image rows, per-repository and total figures,
// the images that ship build tools, and the estimated saving if each
// image's flagged bytes went into a build stage. It is pure: it reads
// analyses and writes a Report, nothing else.
package fleet

import (
	"cmp"
	"slices"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// SchemaVersion is the version of the fleet report's JSON; bump it on
// any incompatible change.
const SchemaVersion = 1

// TopPackages is how many flagged packages an image row names.
const TopPackages = 3

// Input is one image of the fleet.
type Input struct {
	Ref, Repo, Tag, Platform string
	// Analysis is nil when the image could not be assembled.
	Analysis *analyze.Analysis
	// Missing are the layers the store lacks (Analysis is nil).
	Missing []string
}

// Report is the fleet view.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kind          string `json:"kind"`
	// Images are in input order.
	Images []Image `json:"images"`
	// Repositories are sorted by flagged bytes, largest first.
	Repositories []Totals `json:"repositories"`
	Total        Totals   `json:"total"`
	// BuildTools are the images that ship build tools, by build-tool
	// bytes, largest first.
	BuildTools []ImageBytes `json:"buildTools"`
}

// Image is one image's row.
type Image struct {
	Ref      string `json:"ref"`
	Repo     string `json:"repository"`
	Tag      string `json:"tag,omitempty"`
	Platform string `json:"platform,omitempty"`
	// Complete is false when a layer's index is missing from the store;
	// the figures are then zero and Missing names the layers.
	Complete bool     `json:"complete"`
	Missing  []string `json:"missingLayers,omitempty"`
	Size     int64    `json:"size"`
	// CompressedSize is what a pull transfers.
	CompressedSize int64 `json:"compressedSize"`
	// Flagged is what a build stage would take out: the bytes of the
	// categories the verdict counts (build tools, sources, dev
	// dependencies, caches, VCS data, secrets; not docs or recommended
	// packages).
	Flagged int64 `json:"flaggedBytes"`
	// Categories are the bytes of each flagged category (other omitted).
	Categories  map[model.Category]int64 `json:"categories,omitempty"`
	TopPackages []Package                `json:"topFlaggedPackages,omitempty"`
	Verdict     string                   `json:"verdict,omitempty"`
	// Budget is "pass", "fail" or "" (no budget applies).
	Budget       string   `json:"budget,omitempty"`
	BudgetFailed []string `json:"budgetFailed,omitempty"`
}

// Package is a flagged package of an image.
type Package struct {
	Name     string         `json:"name"`
	Manager  string         `json:"manager"`
	Category model.Category `json:"category"`
	Bytes    int64          `json:"bytes"`
}

// Totals are the figures of a set of images (a repository, the fleet).
// Sizes are summed per image: a layer shared by two images counts twice,
// as each image's pull would.
type Totals struct {
	Repo           string                   `json:"repository,omitempty"`
	Images         int                      `json:"images"`
	Incomplete     int                      `json:"incomplete"`
	BudgetFailed   int                      `json:"budgetFailed"`
	Size           int64                    `json:"size"`
	CompressedSize int64                    `json:"compressedSize"`
	Flagged        int64                    `json:"flaggedBytes"`
	Categories     map[model.Category]int64 `json:"categories,omitempty"`
	// Saving is the estimated saving if every image's flagged bytes went
	// into a build stage: the sum of Flagged.
	Saving int64 `json:"estimatedSaving"`
}

// ImageBytes names an image and a byte count.
type ImageBytes struct {
	Ref string `json:"ref"`
	// Name is "REPO:TAG PLATFORM", as people call the image.
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// Name is the image as people call it: "REPO:TAG" and the platform when
// it came from an index.
func (img Image) Name() string {
	n := img.Repo
	if img.Tag != "" {
		n += ":" + img.Tag
	}
	if img.Platform != "" {
		n += " " + img.Platform
	}
	return n
}

// FlaggedCategory says whether a build stage would take c out (the
// verdict's "this image is ..." categories): the categories whose bytes
// make an image's Flagged.
func FlaggedCategory(c model.Category) bool {
	switch c {
	case model.Other, model.Docs, model.Recommended, "":
		return false
	}
	return true
}

// Build folds the inputs into the fleet view.
func Build(in []Input) *Report {
	r := &Report{SchemaVersion: SchemaVersion, Kind: "fleet", Images: []Image{}, Repositories: []Totals{}, BuildTools: []ImageBytes{}}
	repos := map[string]*Totals{}
	var order []string
	for _, x := range in {
		img := row(x)
		r.Images = append(r.Images, img)
		t := repos[x.Repo]
		if t == nil {
			t = &Totals{Repo: x.Repo}
			repos[x.Repo] = t
			order = append(order, x.Repo)
		}
		add(t, img)
		add(&r.Total, img)
		if b := img.Categories[model.BuildTool]; b > 0 {
			r.BuildTools = append(r.BuildTools, ImageBytes{Ref: img.Ref, Name: img.Name(), Bytes: b})
		}
	}
	for _, name := range order {
		r.Repositories = append(r.Repositories, *repos[name])
	}
	slices.SortStableFunc(r.Repositories, func(a, b Totals) int { return cmp.Compare(b.Flagged, a.Flagged) })
	slices.SortStableFunc(r.BuildTools, func(a, b ImageBytes) int { return cmp.Compare(b.Bytes, a.Bytes) })
	return r
}

func row(x Input) Image {
	img := Image{Ref: x.Ref, Repo: x.Repo, Tag: x.Tag, Platform: x.Platform, Missing: x.Missing}
	a := x.Analysis
	if a == nil || a.Image == nil {
		return img
	}
	img.Complete = true
	img.Size, img.CompressedSize = a.Image.Size, a.Image.CompressedSize
	if c := a.Classification; c != nil {
		img.Verdict = c.Verdict
		for _, t := range c.Totals {
			if t.Category == model.Other || t.Bytes == 0 {
				continue
			}
			if img.Categories == nil {
				img.Categories = map[model.Category]int64{}
			}
			img.Categories[t.Category] = t.Bytes
			if FlaggedCategory(t.Category) {
				img.Flagged += t.Bytes
			}
		}
		var pkgs []Package
		for _, p := range c.Packages {
			if FlaggedCategory(p.Category) && p.Bytes > 0 {
				pkgs = append(pkgs, Package{Name: p.Name, Manager: p.Manager, Category: p.Category, Bytes: p.Bytes})
			}
		}
		slices.SortStableFunc(pkgs, func(a, b Package) int {
			if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
				return c
			}
			return cmp.Compare(a.Name, b.Name)
		})
		img.TopPackages = pkgs[:min(len(pkgs), TopPackages)]
	}
	if b := a.Budgets; b != nil && len(b.Checks) > 0 {
		img.Budget = "pass"
		if !b.Pass {
			img.Budget = "fail"
		}
		for _, f := range b.Failed() {
			img.BudgetFailed = append(img.BudgetFailed, f.Rule)
		}
	}
	return img
}

func add(t *Totals, img Image) {
	t.Images++
	if !img.Complete {
		t.Incomplete++
		return
	}
	if img.Budget == "fail" {
		t.BudgetFailed++
	}
	t.Size += img.Size
	t.CompressedSize += img.CompressedSize
	t.Flagged += img.Flagged
	t.Saving += img.Flagged
	for c, b := range img.Categories {
		if t.Categories == nil {
			t.Categories = map[model.Category]int64{}
		}
		t.Categories[c] += b
	}
}
