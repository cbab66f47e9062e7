package classify

import (
	"fmt"
	"path"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/dpkg"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The rule ids of the categories the dependency graph decides (they are
// not rules of analyze/rules: no path or name decides them, the graph
// does).
const (
	// RuleBuildToolDependency: a package installed only because build
	// tools need it ("dpkg: libllvm14, needed only by rustc (build-tool)").
	RuleBuildToolDependency = "build-tool-dependency"
	// RuleBuildOnlyTool: a VCS client, package manager or build driver the
	// final configuration does not run.
	RuleBuildOnlyTool = "build-only-tool"
	// RuleRecommended: a package installed only as a recommendation.
	RuleRecommended = "recommended"
	// RuleRunTimeTool marks, with no category, a package a rule flagged
	// that the container runs (a compiler an entrypoint script calls):
	// its evidence keeps what flagged it and says what runs it, so
	// suggest keeps it, and asks about it.
	RuleRunTimeTool = "run-time-tool"
)

// FindingBuildToolUsed is the id of the finding that says a build-only
// tool (git, npm, make, ...) is not flagged because the container runs it.
const FindingBuildToolUsed = "build-tool-used"

// FindingPackageGraph is the id of the warning that a package database's
// dependency graph could not be read (its packages then get no graph
// evidence).
const FindingPackageGraph = "package-graph-unreadable"

// graphEvidence reads the dependency graphs of img's package databases and
// extends the categories the rules gave found: a build-only tool the
// configuration does not run is a build tool; a package installed only
// because build tools need it is one too; a package installed only as a
// recommendation is Recommended. Each package of a graph learns which
// requested packages pulled it in. It returns findings for build-only
// tools the configuration runs, and the graphs' read errors as warnings.
func graphEvidence(img *model.Image, r *rules.Rules, found []*model.FoundPackage, graphs []*pkggraph.Graph, err error) ([]model.Finding, []string) {
	var warnings []string
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("package dependency graph: %v", err))
	}
	var findings []model.Finding
	for _, g := range graphs {
		byName := map[string]*model.FoundPackage{}
		files := map[string][]string{}
		for _, f := range found {
			if f.Manager == g.Manager {
				if _, dup := byName[f.Name]; !dup {
					byName[f.Name] = f
					files[f.Name] = f.Files
				}
			}
		}
		if len(byName) == 0 {
			continue // a database no pkgdb reader knows (rpm): nothing owns files by it
		}

		cfg := pkggraph.RunConfig{Entrypoint: img.Config.Entrypoint, Cmd: img.Config.Cmd,
			Healthcheck: img.Config.HealthcheckTest, Scripts: map[string][]byte{}}
		for _, p := range pkggraph.ScriptPaths(img.Config.WorkingDir, img.Config.Entrypoint, img.Config.Cmd, img.Config.HealthcheckTest) {
			if b, ok := img.Contents[p]; ok {
				cfg.Scripts[p] = b
			}
		}
		reported := map[string]bool{} // packages a build-tool-used finding names
		for _, u := range pkggraph.ToolUses(cfg, g, files) {
			tool := toolPackages(u.Tool)
			switch {
			case u.Used:
				findings = append(findings, model.Finding{ID: FindingBuildToolUsed, Severity: model.Info, Step: -1,
					Title:  fmt.Sprintf("%s is installed and the container runs it: not flagged", u.Tool),
					Detail: u.Evidence, Field: "config.Cmd"})
				for _, name := range tool {
					reported[name] = true
					if f := byName[name]; f != nil && f.Rule == RuleBuildOnlyTool {
						f.Category, f.Rule, f.Evidence = "", "", ""
					}
				}
			case u.Certain:
				for _, name := range tool {
					if f := byName[name]; f != nil && f.Category == "" {
						f.Category, f.Rule = model.BuildTool, RuleBuildOnlyTool
						f.Evidence = fmt.Sprintf("%s: %s, build-only tool: %s", g.Manager, name, u.Evidence)
					}
				}
			}
		}

		needed, used := neededAtRun(cfg, g, byName)
		for i, ok := range needed {
			if f := byName[g.Packages[i].Name]; ok && f != nil && runtimeFlag(f.Category) {
				f.Category, f.Rule, f.Evidence = "", "", ""
			}
		}
		for _, u := range used {
			f := byName[u.name]
			f.Rule, f.Evidence = RuleRunTimeTool, u.flagged+", but "+u.evidence
			if !reported[u.name] {
				findings = append(findings, model.Finding{ID: FindingBuildToolUsed, Severity: model.Info, Step: -1,
					Title:  fmt.Sprintf("%s is installed and the container runs it: not flagged", u.name),
					Detail: u.evidence, Field: "config.Cmd"})
			}
		}

		inferred := inferAuto(img, g, byName)
		keepLinked(img, r, g, byName, found)

		// A package whose command the configuration runs (the JRE's
		// java, for a JDK image that runs java -jar) is as good as asked
		// for: never derived from the build tools that also need it, nor
		// what it needs, nor a recommendation.
		for i := range g.Packages {
			p := &g.Packages[i]
			if f := byName[p.Name]; f != nil && f.Category == "" && p.Auto {
				if cmds := pkggraph.Commands(f.Files); len(cmds) > 0 && pkggraph.Runs(cfg, cmds).Used {
					p.Auto = false
				}
			}
		}
		seed := func(p *pkggraph.Package) bool {
			f := byName[p.Name]
			return f != nil && f.Category == model.BuildTool
		}
		// Without a record of what was asked for by name (apt's
		// extended_states lost, a partial status), every package counts
		// as asked for: a library the base system needs (libstdc++6 for
		// apt) could otherwise look needed by build tools only.
		var derived []pkggraph.Derived
		if g.AutoKnown {
			derived = g.BuildToolOnly(seed)
		}
		for _, d := range derived {
			if f := byName[d.Name]; f != nil && f.Category == "" && !needed[d.Index] {
				f.Category, f.Rule, f.Evidence = model.BuildTool, RuleBuildToolDependency, d.Evidence
				// A runtime (a JRE, python3, nodejs) the build tools pulled
				// in: its commands were checked above (a package whose
				// command the configuration runs is never derived).
				if cmds := pkggraph.Commands(f.Files); len(cmds) > 0 {
					f.Evidence += "; nothing in the image runs " + commandList(cmds, 3)
				}
				if inferred {
					f.Evidence += "; installed after the base image (the database does not record what was asked for)"
				}
			}
		}
		for _, r := range g.Recommended() {
			if f := byName[r.Name]; f != nil && f.Category == "" && !needed[r.Index] {
				f.Category, f.Rule, f.Evidence = model.Recommended, RuleRecommended, r.Evidence
			}
		}
		pullers := g.Pullers()
		for i, p := range g.Packages {
			if f := byName[p.Name]; f != nil && len(pullers[i]) > 0 {
				f.PulledBy = pullers[i]
			}
		}
	}
	return findings, warnings
}

// inferAuto fills in, for a database that never records what was asked
// for by name (rpm, whose record is dnf's history; distroless
// status.d, which no apt wrote), when the image's base is known: a
// package the base brought counts as asked for, one a later step wrote as
// pulled in, so that the build tools that step installed with it say
// whether only they need it. It returns whether it did. Without a base,
// and for a dpkg status whose apt record is lost (a partial status may
// lack the packages that need a library), every package stays asked for.
func inferAuto(img *model.Image, g *pkggraph.Graph, byName map[string]*model.FoundPackage) bool {
	if g.AutoKnown || img.Base == nil || img.Base.Steps == 0 || img.FS == nil {
		return false
	}
	if _, status := img.Contents[dpkg.Status]; g.Manager != "rpm" && (g.Manager != "dpkg" || status) {
		return false
	}
	for i := range g.Packages {
		p := &g.Packages[i]
		step := -1
		if f := byName[p.Name]; f != nil {
			for _, path := range f.Files {
				if k, ok := img.FS.IndexOf(path); ok && img.FS.Files[k].Kind != index.Dir {
					step = img.StepOf(img.FS.Files[k].Layer)
					break
				}
			}
		}
		p.Auto = step >= img.Base.Steps
	}
	g.AutoKnown = true
	return true
}

// keepLinked counts as asked for by name (never derived from the build
// tools, nor what it needs) each pulled-in package that holds a shared
// library an ELF file the image keeps needs (its DT_NEEDED, img.ELF):
// the app a build linked against libmpfr6, installed in the same step as
// gcc, needs libmpfr6 at run time, although no package of the database
// says so (the app is no package of it). Where the database never
// records what was asked for (rpm, distroless: inferAuto), the graph
// alone would call such a library a build tool's.
//
// An ELF file counts unless it is a build tool's own: one a package of
// this database owns (its needs are that package's Depends, which the
// graph follows already), one a flagged package of another manager owns
// (a dev dependency's native module), or one a path rule flags as a build
// tool or dev dependency (a toolchain unpacked into /usr/local/go). A
// file of an unflagged package of another manager (a Python wheel's
// native module) counts: no database of this graph knows what it needs.
func keepLinked(img *model.Image, r *rules.Rules, g *pkggraph.Graph, byName map[string]*model.FoundPackage, found []*model.FoundPackage) {
	if len(img.ELF) == 0 || !g.AutoKnown {
		return
	}
	// The sonames the kept ELF files need.
	other := map[string]*model.FoundPackage{} // file → its package, of another manager
	for _, f := range found {
		if f.Manager != g.Manager {
			for _, p := range f.Files {
				if _, ok := img.ELF[p]; ok {
					other[p] = f
				}
			}
		}
	}
	own := map[string]bool{} // ELF files a package of this database owns
	for i := range g.Packages {
		if f := byName[g.Packages[i].Name]; f != nil {
			for _, p := range f.Files {
				if _, ok := img.ELF[p]; ok {
					own[p] = true
				}
			}
		}
	}
	needed := map[string]bool{}
	for p, e := range img.ELF {
		if len(e.Needed) == 0 || own[p] {
			continue
		}
		if f := other[p]; f != nil && runtimeFlag(f.Category) || f == nil && pathFlagged(img, r, p) {
			continue
		}
		for _, n := range e.Needed {
			needed[n] = true
		}
	}
	if len(needed) == 0 {
		return
	}
	for i := range g.Packages {
		p := &g.Packages[i]
		f := byName[p.Name]
		if f == nil || !p.Auto {
			continue
		}
		for _, path := range f.Files {
			if needed[index.Base(path)] && isLibDir(index.Parent(path)) {
				p.Auto = false
				break
			}
		}
	}
}

// isLibDir reports whether dir is one the dynamic loader searches by
// default or through Debian's and Fedora's ld.so.conf (a soname found
// elsewhere, in a package's private directory, is not what DT_NEEDED
// finds).
func isLibDir(dir string) bool {
	for _, d := range []string{"lib", "lib64", "usr/lib", "usr/lib64", "usr/local/lib"} {
		if dir == d || strings.HasPrefix(dir, d+"/") && !strings.Contains(dir[len(d)+1:], "/") && strings.Contains(dir, "-linux-") {
			return true
		}
	}
	return false
}

// pathFlagged reports whether a path rule flags p, or a directory above
// it, as a build tool or a dev dependency.
func pathFlagged(img *model.Image, r *rules.Rules, p string) bool {
	if r == nil {
		return false
	}
	content := func(q string) ([]byte, bool) { b, ok := img.Contents[q]; return b, ok }
	if runtimeFlag(r.MatchFile(p, index.Base(p), content).Category()) {
		return true
	}
	exists := func(q string) bool { _, ok := img.FS.IndexOf(q); return ok }
	for d := index.Parent(p); d != "." && d != ""; d = index.Parent(d) {
		if runtimeFlag(r.MatchDir(d, index.Base(d), exists).Category()) {
			return true
		}
	}
	return false
}

// commandList says some of a package's commands: "java, jfr, jpackage
// or 3 other commands of the package".
func commandList(cmds []string, max int) string {
	if len(cmds) <= max {
		if len(cmds) == 1 {
			return cmds[0]
		}
		return strings.Join(cmds[:len(cmds)-1], ", ") + " or " + cmds[len(cmds)-1]
	}
	return fmt.Sprintf("%s or %d other commands of the package", strings.Join(cmds[:max], ", "), len(cmds)-max)
}

// toolPackages are the package names of the build-only tool named name.
// runtimeFlag reports whether a package category says the final image
// should not carry the package, which a package the container runs, and
// what it needs, lose. (Recommended stays: it says how the package came
// in, which is still true.)
func runtimeFlag(c model.Category) bool { return c == model.BuildTool || c == model.DevDependency }

// toolUse is a flagged package the configuration runs: what flagged it
// ("build-tool (dpkg: gcc-12 (devel))") and what runs it.
type toolUse struct{ name, flagged, evidence string }

// neededAtRun finds the packages the configuration runs that a rule
// flagged (a compiler an entrypoint script calls: gcc is a build tool by
// its section, not one of pkggraph.BuildTools) and returns them with
// what they need (Depends, Pre-Depends, transitively; Graph.Needs), by
// index in g.Packages: the container needs all of it at run time.
func neededAtRun(cfg pkggraph.RunConfig, g *pkggraph.Graph, byName map[string]*model.FoundPackage) ([]bool, []toolUse) {
	type candidate struct {
		i    int
		cmds []string
	}
	var cands []candidate
	var all []string
	for i, p := range g.Packages {
		f := byName[p.Name]
		if f == nil || !runtimeFlag(f.Category) {
			continue
		}
		if cmds := pkggraph.Commands(f.Files); len(cmds) > 0 {
			cands = append(cands, candidate{i, cmds})
			all = append(all, cmds...)
		}
	}
	// One scan of the config and its scripts for every candidate's
	// commands first: the container runs none of them in almost every
	// image, and Runs reads the scripts (up to 256 KiB each) per call.
	if len(cands) == 0 || !pkggraph.Runs(cfg, all).Used {
		return make([]bool, len(g.Packages)), nil
	}
	var start []int
	var used []toolUse
	for _, c := range cands {
		if u := pkggraph.Runs(cfg, c.cmds); u.Used {
			f := byName[g.Packages[c.i].Name]
			start = append(start, c.i)
			used = append(used, toolUse{g.Packages[c.i].Name, fmt.Sprintf("%s (%s)", f.Category, f.Evidence), u.Evidence})
		}
	}
	return g.Needs(start), used
}

func toolPackages(name string) []string {
	for _, t := range pkggraph.BuildTools {
		if strings.EqualFold(t.Name, name) {
			return t.Packages
		}
	}
	return nil
}

// adoptGenerated gives files no database lists, but that a package's
// installation wrote, the flag of that package when its category decides
// (the files stay unowned): the bytecode Python compiles at install time
// (dir/__pycache__/name.cpython-311.pyc belongs to the owner of
// dir/name.py: py3compile runs in the package's postinst), and dpkg's own
// records of a package (var/lib/dpkg/info/NAME[:ARCH].list, .md5sums,
// .postinst, ...). owners and flags are Classify's, parallel to the files.
func adoptGenerated(img *model.Image, found []*model.FoundPackage, owners []int, flags []model.Flag) {
	dpkg := map[string]int{}
	for i, f := range found {
		if f.Manager == "dpkg" {
			if _, dup := dpkg[f.Name]; !dup {
				dpkg[f.Name] = i
			}
		}
	}
	files := img.FS.Files
	for i := range files {
		f := &files[i]
		if owners[i] >= 0 || f.Kind == index.Dir {
			continue
		}
		o := -1
		switch {
		case strings.HasSuffix(f.Path, ".pyc"):
			if src, ok := pycSource(f.Path); ok {
				if j, ok := img.FS.IndexOf(src); ok {
					o = owners[j]
				}
			}
		case strings.HasPrefix(f.Path, dpkgInfo):
			name := f.Path[len(dpkgInfo):]
			if k := strings.LastIndexByte(name, '.'); k > 0 && !strings.Contains(name, "/") {
				name = name[:k]
				if a := strings.IndexByte(name, ':'); a >= 0 {
					name = name[:a]
				}
				if j, ok := dpkg[name]; ok {
					o = j
				}
			}
		}
		if o < 0 {
			continue
		}
		// The flag only: a package's bytes stay what its database lists
		// (docker's own figure for the package, which the e2e test
		// checks to the byte).
		if p := found[o]; decides(p) && flags[i].Category != model.Secret && flags[i].Category != model.VCS {
			flags[i] = model.Flag{Category: p.Category, Rule: p.Rule, Evidence: p.Evidence}
		}
	}
}

// dpkgInfo is dpkg's directory of per-package records.
const dpkgInfo = "var/lib/dpkg/info/"

// pycSource returns the source of a compiled Python file:
// usr/lib/python3.11/__pycache__/os.cpython-311.pyc → usr/lib/python3.11/os.py
// (also .opt-1.pyc and .opt-2.pyc).
func pycSource(p string) (string, bool) {
	dir, name := path.Split(p)
	if path.Base(dir) != "__pycache__" {
		return "", false
	}
	name = strings.TrimSuffix(name, ".pyc")
	// name.TAG[.opt-N]: the source's name is what precedes the tag.
	k := strings.Index(name, ".cpython-")
	if k < 0 {
		k = strings.Index(name, ".pypy")
	}
	if k <= 0 {
		return "", false
	}
	return path.Join(path.Dir(strings.TrimSuffix(dir, "/")), name[:k]+".py"), true
}
