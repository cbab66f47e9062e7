package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/imgdiff/imgdiff/layers/index"
)

// topFlaggedDirs is how many flagged directories a classification names.
const topFlaggedDirs = 10

// Classify puts every file of img's final filesystem in a category, with
// the rule and the evidence behind it, and sums the result per category,
// per step, per package and per directory. Evidence comes first: a file a
// package database owns gets its package's category ("dpkg: gcc-12
// (devel)"); path rules decide for what no database owns. Secrets and VCS
// data win over everything else (a private key in a build tool's cache is a
// private key), except in files a package database owns. rules nil means
// DefaultRules.
//
// Classify redacts, in img, the credential-like values it reports (in
// Config.Env, Entrypoint, Cmd and every step's CreatedBy and Instruction),
// so that no report built from img prints them; it changes nothing else.
func Classify(img *Image, rules *Rules) *Classification {
	if rules == nil {
		rules = DefaultRules()
	}
	files := img.FS.Files
	img.FS.indexOf("") // the resolver reads byPath directly
	c := &Classification{Flags: make([]Flag, len(files)), Owners: make([]int, len(files))}

	found := readPackages(img)
	for _, p := range found {
		rules.classifyPackage(p)
	}
	owners := assignOwners(img.FS, found)

	content := func(p string) ([]byte, bool) {
		b, ok := img.Contents[p]
		return b, ok
	}
	exists := func(p string) bool { _, ok := img.FS.indexOf(p); return ok }

	// Files come depth-first, so the directories matching a dir rule form
	// a stack: each entry holds the best match of itself and its parents.
	type open struct {
		dir   string
		match pathMatch
	}
	var stack []open
	for i := range files {
		f := &files[i]
		for len(stack) > 0 && !index.Under(f.Path, stack[len(stack)-1].dir) {
			stack = stack[:len(stack)-1]
		}
		var inherited pathMatch
		if len(stack) > 0 {
			inherited = stack[len(stack)-1].match
		}
		base := baseName(f.Path)
		if f.Kind == index.Dir {
			m := rules.paths.matchDir(f.Path, base, exists)
			if inherited.better(m) || m.rule == nil {
				m = inherited
			}
			if m.rule != nil {
				stack = append(stack, open{dir: f.Path, match: m})
			}
			continue
		}
		m := rules.paths.matchFile(f.Path, base, content)
		if inherited.better(m) {
			m = inherited
		}
		var pkg *foundPackage
		if o := owners[i]; o >= 0 {
			pkg = found[o]
		}
		c.Flags[i] = decide(m, pkg)
	}

	c.Packages, c.Owners = packageTotals(img, found, owners)
	c.Totals, c.ByStep = categoryTotals(img, c.Flags)
	c.TopDirs = flaggedDirs(img, c.Flags)
	c.Findings = findings(img, c)
	c.Verdict = verdict(img, c.Totals)
	return c
}

// decide applies the precedence of analyze/rules/default.yaml to one file:
// secret, then VCS, then package evidence, then path rules (the package's
// own files only for docs: a runtime package's files are runtime). A file
// a package database owns came from a public package archive, so a key
// among a package's files (Go's crypto/tls test keys) is no leaked secret.
func decide(m pathMatch, pkg *foundPackage) Flag {
	switch {
	case m.rule != nil && pkg == nil && (m.rule.spec.Category == Secret || m.rule.spec.Category == VCS):
		return m.flag()
	case pkg != nil && pkg.Category != "":
		return Flag{Category: pkg.Category, Rule: pkg.Rule, Evidence: pkg.Evidence}
	case pkg != nil && (m.rule == nil || m.rule.spec.Category != Docs):
		return Flag{}
	}
	return m.flag()
}

// assignOwners maps each file of fs to the package that owns it (an index
// in found, or -1). Listed files go to the first package listing them
// (system databases come first); trees (npm packages) go to the deepest
// package holding them, so a nested node_modules belongs to its own
// package.
func assignOwners(fs *FS, found []*foundPackage) []int {
	owners := make([]int, len(fs.Files))
	for i := range owners {
		owners[i] = -1
	}
	res := newFSResolver(fs)
	for pi, p := range found {
		for _, f := range p.files {
			if i, ok := res.lookup(f); ok && owners[i] < 0 && fs.Files[i].Kind != index.Dir {
				owners[i] = pi
			}
		}
	}
	type tree struct {
		dir string
		pkg int
	}
	var trees []tree
	for pi, p := range found {
		for _, d := range p.dirs {
			trees = append(trees, tree{d, pi})
		}
	}
	// Shallow first, so deeper trees overwrite their parents' claim.
	sort.SliceStable(trees, func(a, b int) bool {
		return strings.Count(trees[a].dir, "/") < strings.Count(trees[b].dir, "/")
	})
	byTree := make([]bool, len(fs.Files))
	for _, t := range trees {
		start, ok := fs.indexOf(t.dir)
		if !ok {
			continue
		}
		for i := start + 1; i < len(fs.Files) && index.Under(fs.Files[i].Path, t.dir); i++ {
			if owners[i] < 0 || byTree[i] {
				owners[i], byTree[i] = t.pkg, true
			}
		}
	}
	return owners
}

// packageTotals sums each package's files in the final filesystem and
// returns the packages largest first, with the owners remapped to that
// order. Packages known only by location (npm, pnpm: a package.json lists
// a dependency) that have no file in the image are dropped: they are not
// installed here. Database packages are kept (a dpkg entry whose files
// were deleted says something too), after the others.
func packageTotals(img *Image, found []*foundPackage, owners []int) ([]Package, []int) {
	steps := make([]map[int]int64, len(found))
	for i, o := range owners {
		if o < 0 {
			continue
		}
		f := &img.FS.Files[i]
		p := &found[o].Package
		p.Bytes += f.Bytes
		p.Files++
		if steps[o] == nil {
			steps[o] = map[int]int64{}
		}
		steps[o][img.stepOf(f.Layer)] += f.Bytes
	}
	order := make([]int, len(found))
	for i := range order {
		order[i] = i
		found[i].Step = mainOf(steps[i])
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
	out := make([]Package, 0, len(found))
	for _, i := range order {
		p := found[i].Package
		if p.Files == 0 && len(found[i].dirs) > 0 {
			pos[i] = -1
			continue
		}
		pos[i] = len(out)
		out = append(out, p)
	}
	remapped := make([]int, len(owners))
	for i, o := range owners {
		remapped[i] = -1
		if o >= 0 {
			remapped[i] = pos[o]
		}
	}
	return out, remapped
}

// mainOf is the key with the most bytes (the lowest on a tie), -1 if none.
func mainOf(m map[int]int64) int {
	best, bestN := -1, int64(-1)
	for k, n := range m {
		if n > bestN || n == bestN && k < best {
			best, bestN = k, n
		}
	}
	return best
}

// categoryTotals sums bytes and files per category, for the image and per
// step. Directories count neither; unflagged files count as Other.
func categoryTotals(img *Image, flags []Flag) ([]CategoryTotal, []StepCategories) {
	pos := map[Category]int{}
	totals := make([]CategoryTotal, len(Categories))
	for i, cat := range Categories {
		pos[cat] = i
		totals[i].Category = cat
	}
	bySteps := map[int][]CategoryTotal{}
	for i := range img.FS.Files {
		f := &img.FS.Files[i]
		if f.Kind == index.Dir {
			continue
		}
		cat := flags[i].Category
		if cat == "" {
			cat = Other
		}
		k := pos[cat]
		totals[k].Bytes += f.Bytes
		totals[k].Files++
		step := img.stepOf(f.Layer)
		st := bySteps[step]
		if st == nil {
			st = make([]CategoryTotal, len(Categories))
			for j, c := range Categories {
				st[j].Category = c
			}
			bySteps[step] = st
		}
		st[k].Bytes += f.Bytes
		st[k].Files++
	}
	var steps []int
	for s := range bySteps {
		steps = append(steps, s)
	}
	sort.Ints(steps)
	var out []StepCategories
	for _, s := range steps {
		sc := StepCategories{Step: s}
		for _, t := range bySteps[s] {
			if t.Files > 0 {
				sc.Totals = append(sc.Totals, t)
			}
		}
		out = append(out, sc)
	}
	return totals, out
}

// flaggedDirs names the directories where flagged bytes concentrate, per
// category, the largest first.
func flaggedDirs(img *Image, flags []Flag) []FlaggedDir {
	per := map[Category]*dirTotals{}
	for i := range img.FS.Files {
		f := &img.FS.Files[i]
		cat := flags[i].Category
		if cat == "" || cat == Other || f.Kind == index.Dir || f.Bytes == 0 {
			continue
		}
		d := per[cat]
		if d == nil {
			d = newDirTotals()
			per[cat] = d
		}
		d.add(f.Path, f.Bytes, img.stepOf(f.Layer))
	}
	var out []FlaggedDir
	for _, cat := range Categories {
		d := per[cat]
		if d == nil {
			continue
		}
		for _, dir := range topSpecific(d, topFlaggedDirs) {
			out = append(out, FlaggedDir{Path: dir, Category: cat, Bytes: d.bytes[dir], Files: d.files[dir], Step: d.mainStep(dir)})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Bytes != out[b].Bytes {
			return out[a].Bytes > out[b].Bytes
		}
		return out[a].Path < out[b].Path
	})
	if len(out) > topFlaggedDirs {
		out = out[:topFlaggedDirs]
	}
	// The most common evidence, by bytes, among each directory's files.
	// Files are depth-first, so a directory's tree is the run of entries
	// right after it.
	for k := range out {
		d := &out[k]
		start, end := 0, len(img.FS.Files)
		if d.Path != "." {
			i, ok := img.FS.indexOf(d.Path)
			if !ok {
				continue
			}
			start = i + 1
			for end = start; end < len(img.FS.Files) && index.Under(img.FS.Files[end].Path, d.Path); end++ {
			}
		}
		ev := map[string]int64{}
		for i := start; i < end; i++ {
			if flags[i].Category == d.Category {
				ev[flags[i].Evidence] += img.FS.Files[i].Bytes + 1
			}
		}
		var best string
		var n int64 = -1
		for e, b := range ev {
			if b > n || b == n && e < best {
				best, n = e, b
			}
		}
		d.Evidence = best
	}
	return out
}

// genericDirs are directories that name no tool or cache: "usr: 284 MB of
// build tooling" says nothing that "usr/libexec/gcc: 120 MB" does not say
// better, so flagged directories are named below them.
var genericDirs = map[string]bool{
	"usr": true, "usr/local": true, "usr/lib": true, "usr/lib64": true, "usr/libexec": true, "usr/share": true,
	"usr/local/lib": true, "usr/local/share": true, "var": true, "var/lib": true, "var/cache": true,
	"opt": true, "root": true, "home": true, "lib": true, "lib64": true, "etc": true, "srv": true,
}

// topSpecific is dirTotals.top without the generic directories as
// candidates: up to n non-overlapping directories, none dominated by one
// of its children, the largest first.
func topSpecific(d *dirTotals, n int) []string {
	d.flush()
	var cands []string
	for dir, b := range d.bytes {
		if dir == "." || b == 0 || genericDirs[dir] {
			continue
		}
		dominated := false
		for _, k := range d.kids[dir] {
			if abs(d.bytes[k])*10 >= abs(b)*9 {
				dominated = true
				break
			}
		}
		if !dominated {
			cands = append(cands, dir)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		bi, bj := abs(d.bytes[cands[i]]), abs(d.bytes[cands[j]])
		if bi != bj {
			return bi > bj
		}
		return cands[i] < cands[j]
	})
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		overlaps := false
		for _, o := range out {
			if index.Under(c, o) || index.Under(o, c) {
				overlaps = true
				break
			}
		}
		if !overlaps {
			out = append(out, c)
		}
	}
	return out
}

// verdictWords name the categories in the verdict.
var verdictWords = map[Category]string{
	BuildTool: "build tooling", Source: "sources", DevDependency: "dev dependencies", Cache: "caches",
	VCS: "version control data", Secret: "secrets",
}

// verdict is the one-line summary of what the image should not carry.
func verdict(img *Image, totals []CategoryTotal) string {
	var bad int64
	var parts []string
	for _, t := range totals {
		switch t.Category {
		case Other, Docs:
			continue
		}
		if t.Bytes > 0 {
			bad += t.Bytes
			parts = append(parts, verdictWords[t.Category])
		}
	}
	size := img.FS.Size()
	if bad == 0 || size == 0 {
		return "nothing flagged: no build tools, sources, dev dependencies, caches, VCS data or secrets found"
	}
	return fmt.Sprintf("%s (%.0f%%) of this image is %s", humanize.Bytes(uint64(bad)), 100*float64(bad)/float64(size), joinAnd(parts))
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
