// Package classify owns which category each file of an image falls in and
// why: the walk of the final filesystem that gives each file its
// package's flag or a path rule's (Files), the files each package owns
// (resolved through symlinked directories), and the evidence the package
// graphs add (build tools' dependencies, build-only tools the
// configuration does not run, recommendations; graph.go). The totals per
// category, step and directory are package analyze's. It is pure.
package classify

import (
	"slices"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkgdb"
	"github.com/imgdiff/imgdiff/analyze/rpm"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Files puts every file of img's final filesystem in a category, with
// the rule and the evidence behind it, and lists the packages that own
// them (Flags, Packages and Owners of the classification it returns; the
// totals are the caller's). Evidence comes first: a file a package
// database owns gets its package's category ("dpkg: gcc-12 (devel)");
// path rules decide for what no database owns. Secrets and VCS data win
// over everything else (a private key in a build tool's cache is a
// private key), except in files a package database owns. r nil means
// rules.Default(). It returns, beside the classification, the findings
// of the package graphs: build-only tools the configuration runs, and
// the graphs that could not be read.
//
// Files changes neither img nor r.
func Files(img *model.Image, r *rules.Rules) (*model.Classification, []model.Finding) {
	if r == nil {
		r = rules.Default()
	}
	files := img.FS.Files
	c := &model.Classification{Flags: make([]model.Flag, len(files))}

	found := pkgdb.Read(img)
	graphs, graphErr := pkgdb.Graphs(img.Contents)
	found = append(found, rpm.Packages(graphs)...)
	for _, p := range found {
		r.ClassifyPackage(p)
	}
	graphFindings, graphWarnings := graphEvidence(img, r, found, graphs, graphErr)
	owned := newOwnership(img.FS, found)

	content := func(p string) ([]byte, bool) {
		b, ok := img.Contents[p]
		return b, ok
	}
	exists := func(p string) bool { _, ok := img.FS.IndexOf(p); return ok }

	// Files come depth-first, so the directories holding a file form a
	// stack, and its parent is on top.
	owners := make([]int, len(files))
	stack := []openDir{{dir: ".", tree: -1, listed: owned.listedIn(".")}}
	for i := range files {
		f := &files[i]
		for len(stack) > 1 && !index.Under(f.Path, stack[len(stack)-1].dir) {
			stack = stack[:len(stack)-1]
		}
		parent := &stack[len(stack)-1]
		base := index.Base(f.Path)
		owners[i] = parent.owner(base, f.Kind)
		if f.Kind == index.Dir {
			m := r.MatchDir(f.Path, base, exists)
			if parent.match.Better(m) || m.Category() == "" {
				m = parent.match
			}
			stack = append(stack, openDir{dir: f.Path, match: m, tree: owned.treeOf(f.Path, parent.tree), listed: owned.listedIn(f.Path)})
			continue
		}
		var pkg *model.FoundPackage
		if o := owners[i]; o >= 0 {
			pkg = found[o]
		}
		var m rules.Match
		if !decides(pkg) { // else no path rule can change the flag
			m = r.MatchFile(f.Path, base, content)
			if parent.match.Better(m) {
				m = parent.match
			}
		}
		c.Flags[i] = decide(m, pkg)
	}

	adoptGenerated(img, found, owners, c.Flags)
	c.Packages, c.Owners = packageTotals(img, found, owners)
	for _, w := range graphWarnings {
		graphFindings = append(graphFindings, model.Finding{ID: FindingPackageGraph, Severity: model.Warning, Step: -1, Title: w})
	}
	return c, graphFindings
}

// decide applies the precedence of analyze/rules/default.yaml to one file:
// secret, then VCS, then package evidence, then path rules (the package's
// own files only for docs: a runtime package's files are runtime). A file
// a package database owns came from a public package archive, so a key
// among a package's files (Go's crypto/tls test keys) is no leaked secret.
func decide(m rules.Match, pkg *model.FoundPackage) model.Flag {
	switch cat := m.Category(); {
	case pkg == nil && (cat == model.Secret || cat == model.VCS):
		return m.Flag()
	case decides(pkg):
		return model.Flag{Category: pkg.Category, Rule: pkg.Rule, Evidence: pkg.Evidence}
	case pkg != nil && cat != model.Docs:
		return model.Flag{}
	}
	return m.Flag()
}

// decides reports whether p's category alone decides its files' flag: a
// package with a category outranks every path rule (see decide).
func decides(p *model.FoundPackage) bool { return p != nil && p.Category != "" }

// openDir is a directory of the depth-first walk of Classify whose tree
// the walk is in.
type openDir struct {
	dir string
	// match is the best dir-rule match of the directory and its parents.
	match rules.Match
	// tree is the package that owns the directory's tree, or -1.
	tree int
	// listed are the files that packages list in the directory and the
	// walk has not reached yet, by name.
	listed []listedFile
}

// owner returns the package that owns the entry name of the directory (an
// index in found, or -1): the first package that lists it (directories are
// nobody's), else the package whose tree this is. The walk asks for the
// entries in name order, so the listed files are merged with them.
func (d *openDir) owner(name string, kind index.Kind) int {
	for len(d.listed) > 0 && d.listed[0].name < name {
		d.listed = d.listed[1:]
	}
	if len(d.listed) > 0 && d.listed[0].name == name && kind != index.Dir {
		return d.listed[0].pkg
	}
	return d.tree
}

// listedFile is a file that a package database lists, by its name in its
// directory.
type listedFile struct {
	name string
	pkg  int // index in found
}

// ownership is what the package databases own, arranged for the walk of
// Classify, which then looks no path up: the files they list, grouped by
// the real directory that holds them and sorted by name, and the trees
// they own whole (npm packages).
type ownership struct {
	// group maps each directory a database names to the group, in listed,
	// of the real directory that holds its files: dpkg lists
	// lib/x86_64-linux-gnu/libc.so.6 where a merged-/usr image holds
	// usr/lib/x86_64-linux-gnu/libc.so.6 behind the lib symlink.
	group  map[string]int
	listed [][]listedFile
	// trees maps a directory to the package that owns its tree.
	trees map[string]int
}

// newOwnership arranges what the packages found own in fs.
func newOwnership(fs *model.FS, found []*model.FoundPackage) *ownership {
	o := &ownership{group: map[string]int{}, trees: map[string]int{}}
	res := pkgdb.NewResolver(fs)
	// The listed files go to one array, grouped by directory, in two
	// passes: the first finds the group of each and counts them, the
	// second places them. Appending to thousands of small slices would
	// cost more.
	n := 0
	for pi, p := range found {
		n += len(p.Files)
		for _, d := range p.Dirs {
			o.trees[d] = pi
		}
	}
	groupOf := make([]int, 0, n)
	var count []int
	var dir string // of the last file: lists come grouped by directory
	g := -1
	for _, p := range found {
		for _, f := range p.Files {
			if d := index.Parent(f); g < 0 || d != dir {
				dir, g = d, o.groupFor(d, res)
			}
			if g == len(count) {
				count = append(count, 0)
			}
			groupOf = append(groupOf, g)
			count[g]++
		}
	}
	all := make([]listedFile, n)
	for g, size := range count {
		o.listed[g], all = all[:0:size], all[size:]
	}
	k := 0
	for pi, p := range found {
		for _, f := range p.Files {
			g := groupOf[k]
			o.listed[g] = append(o.listed[g], listedFile{name: index.Base(f), pkg: pi})
			k++
		}
	}
	for _, l := range o.listed {
		// Stable: of the packages listing a file, the first (system
		// databases come first) owns it. Lists in archive order come
		// mostly sorted, which a stable sort passes through quickly.
		slices.SortStableFunc(l, func(a, b listedFile) int { return strings.Compare(a.name, b.name) })
	}
	return o
}

// groupFor returns the group of the files listed in directory dir: its
// real directory's, new if need be.
func (o *ownership) groupFor(dir string, res *pkgdb.Resolver) int {
	if g, ok := o.group[dir]; ok {
		return g
	}
	real := res.RealDir(dir)
	g, ok := o.group[real]
	if !ok {
		g = len(o.listed)
		o.listed = append(o.listed, nil)
		o.group[real] = g
	}
	o.group[dir] = g
	return g
}

// listedIn returns the files that packages list in the real directory dir,
// by name.
func (o *ownership) listedIn(dir string) []listedFile {
	if g, ok := o.group[dir]; ok {
		return o.listed[g]
	}
	return nil
}

// treeOf returns the package that owns the tree of directory dir, whose
// parent's tree is parentTree's: the deepest tree wins, so a nested
// node_modules belongs to its own package; of packages claiming one tree,
// the last.
func (o *ownership) treeOf(dir string, parentTree int) int {
	if pi, ok := o.trees[dir]; ok {
		return pi
	}
	return parentTree
}

// packageTotals sums each package's files in the final filesystem and
// returns the packages largest first, with owners remapped in place to
// that order. Packages known only by location (npm, pnpm: a package.json lists
// a dependency) that have no file in the image are dropped: they are not
// installed here. Database packages are kept (a dpkg entry whose files
// were deleted says something too), after the others.
func packageTotals(img *model.Image, found []*model.FoundPackage, owners []int) ([]model.Package, []int) {
	steps := make([]map[int]int64, len(found))
	// A package's files come in runs from one layer: credit each run's
	// bytes to its step once, not file by file.
	runPkg, runStep, runBytes := -1, 0, int64(0)
	credit := func() {
		if runPkg < 0 {
			return
		}
		if steps[runPkg] == nil {
			steps[runPkg] = map[int]int64{}
		}
		steps[runPkg][runStep] += runBytes
	}
	for i, o := range owners {
		if o < 0 {
			continue
		}
		f := &img.FS.Files[i]
		p := &found[o].Package
		p.Bytes += f.Bytes
		p.Files++
		if step := img.StepOf(f.Layer); o != runPkg || step != runStep {
			credit()
			runPkg, runStep, runBytes = o, step, 0
		}
		runBytes += f.Bytes
	}
	credit()
	order := make([]int, len(found))
	for i := range order {
		order[i] = i
		found[i].Step = model.MainStep(steps[i])
	}
	sort.SliceStable(order, func(a, b int) bool {
		pa, pb := &found[order[a]].Package, &found[order[b]].Package
		if pa.Bytes != pb.Bytes {
			return pa.Bytes > pb.Bytes
		}
		if pa.Manager != pb.Manager {
			return pa.Manager < pb.Manager
		}
		return pa.Name < pb.Name
	})
	pos := make([]int, len(found))
	out := make([]model.Package, 0, len(found))
	for _, i := range order {
		p := found[i].Package
		if p.Files == 0 && len(found[i].Dirs) > 0 {
			pos[i] = -1
			continue
		}
		pos[i] = len(out)
		out = append(out, p)
	}
	for i, o := range owners {
		if o >= 0 {
			owners[i] = pos[o]
		}
	}
	return out, owners
}
