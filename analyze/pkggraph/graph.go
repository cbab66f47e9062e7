// Package pkggraph owns the dependency graph of the packages installed in
// an image, whatever database it came from (the readers of each format,
// analyze/dpkg, analyze/apk and analyze/rpm, build it with New; pkgdb.Graphs
// reads them all), and what follows from it with evidence: which packages
// were asked for by name, which were installed only because build tools
// need them, which came in only as a recommendation, and which requested
// package pulled in each one. It also says whether an image's
// configuration runs a given tool (see ToolUses). It is pure (no I/O) and
// uses the standard library and analyze/model alone.
package pkggraph

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// ErrMalformed is wrapped by the readers' errors (dpkg, apk, rpm) for a database they cannot
// parse.
var ErrMalformed = errors.New("malformed package database")

// Kind is the kind of a dependency relation.
type Kind int

// The relation kinds. apt installs Depends, Pre-Depends and (by default)
// Recommends; Suggests are recorded but never followed.
const (
	Depends Kind = iota
	PreDepends
	Recommends
	Suggests
)

func (k Kind) String() string {
	switch k {
	case Depends:
		return "Depends"
	case PreDepends:
		return "Pre-Depends"
	case Recommends:
		return "Recommends"
	case Suggests:
		return "Suggests"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// followed reports whether the package manager installs what a relation of
// kind k names (by default): everything but Suggests.
func (k Kind) followed() bool { return k != Suggests }

// Relation is one name a dependency can be satisfied by: "libc6 (>= 2.34)",
// "python3:any", "so:libc.musl-x86_64.so.1".
type Relation struct {
	Name string
	// Arch is the dpkg architecture qualifier ("any", "amd64"), if any.
	Arch string
	// Op and Version are the version constraint, if any (">=", "2.34").
	// They are kept for evidence; the installed set already satisfies them.
	Op, Version string
}

func (r Relation) String() string {
	s := r.Name
	if r.Arch != "" {
		s += ":" + r.Arch
	}
	if r.Op != "" {
		s += " (" + r.Op + " " + r.Version + ")"
	}
	return s
}

// Dep is one dependency of a package: any one of Alternatives satisfies
// it ("a | b").
type Dep struct {
	Kind         Kind
	Alternatives []Relation
}

// Package is one installed package as its database describes it.
type Package struct {
	Name    string
	Version string
	Arch    string
	// Section is the dpkg section, or the rpm group.
	Section string
	// Source is the source package, when the database names it.
	Source string
	// InstalledSize is the size the database records, in bytes.
	InstalledSize int64
	// Essential and Priority are dpkg's: an essential or required package
	// comes with every Debian system.
	Essential bool
	Priority  string
	// Provides are the virtual names the package provides (dpkg
	// Provides, apk p:, rpm Provides), without versions.
	Provides []string
	Deps     []Dep
	// Auto is set when the database says the package was installed as
	// a dependency, not asked for by name (apt Auto-Installed: 1, apk: not
	// in world).
	Auto bool
	// Files are the paths the database lists (rpm: from the header; dpkg
	// and apk readers elsewhere own file lists), canonical: no leading "/".
	Files []string
	// FileSizes is parallel to Files when the database records sizes.
	FileSizes []int64
}

// Edge is a resolved dependency between two installed packages, by index
// in Graph.Packages.
type Edge struct {
	From, To int
	Kind     Kind
	// Via is the relation of From that To satisfies.
	Via Relation
}

// Graph is the dependency graph of an image's installed packages, one
// package manager's.
type Graph struct {
	// Manager names the database: "dpkg", "apk", "rpm".
	Manager string
	// Packages are sorted by name (then architecture).
	Packages []Package
	// Out and In are the resolved edges of each package, parallel to
	// Packages: Out[i] are i's dependencies that are installed, In[i] the
	// installed packages that depend on i. Unresolved relations (not
	// installed, or rpmlib() capabilities) have no edge.
	Out, In [][]Edge
	// AutoKnown is set when the database tells requested packages from
	// dependencies (apt extended_states or apk world was read). Without
	// it every package counts as requested.
	AutoKnown bool

	byName   map[string]int
	provides map[string][]int
}

// New resolves the dependencies of pkgs into a graph. Dependencies name
// packages or the virtual names of Provides (and, for rpm, file paths a
// package lists); a relation that several installed packages satisfy gets
// an edge to each. Self-dependencies are dropped.
func New(manager string, pkgs []Package, autoKnown bool) *Graph {
	g := &Graph{Manager: manager, Packages: pkgs, AutoKnown: autoKnown,
		byName: map[string]int{}, provides: map[string][]int{}}
	sort.SliceStable(g.Packages, func(a, b int) bool {
		pa, pb := &g.Packages[a], &g.Packages[b]
		if pa.Name != pb.Name {
			return pa.Name < pb.Name
		}
		return pa.Arch < pb.Arch
	})
	for i := range g.Packages {
		p := &g.Packages[i]
		if _, ok := g.byName[p.Name]; !ok {
			g.byName[p.Name] = i
		}
		if p.Arch != "" {
			g.byName[p.Name+":"+p.Arch] = i
		}
		for _, v := range p.Provides {
			g.provides[v] = appendUnique(g.provides[v], i)
		}
		if manager == "rpm" {
			for _, f := range p.Files {
				g.provides["/"+f] = appendUnique(g.provides["/"+f], i)
			}
		}
	}
	g.Out = make([][]Edge, len(g.Packages))
	g.In = make([][]Edge, len(g.Packages))
	for i := range g.Packages {
		seen := map[[2]int]bool{}
		for _, d := range g.Packages[i].Deps {
			for _, r := range d.Alternatives {
				for _, j := range g.resolve(r) {
					if j == i || seen[[2]int{j, int(d.Kind)}] {
						continue
					}
					seen[[2]int{j, int(d.Kind)}] = true
					e := Edge{From: i, To: j, Kind: d.Kind, Via: r}
					g.Out[i] = append(g.Out[i], e)
					g.In[j] = append(g.In[j], e)
				}
			}
		}
	}
	return g
}

func appendUnique(s []int, i int) []int {
	for _, x := range s {
		if x == i {
			return s
		}
	}
	return append(s, i)
}

// resolve returns the installed packages that satisfy r: the package of
// that name (of that architecture when r names one other than "any"),
// else the packages that provide the name.
func (g *Graph) resolve(r Relation) []int {
	if r.Arch != "" && r.Arch != "any" {
		if i, ok := g.byName[r.Name+":"+r.Arch]; ok {
			return []int{i}
		}
	}
	if i, ok := g.byName[r.Name]; ok {
		return []int{i}
	}
	return g.provides[r.Name]
}

// Index returns the index of the package named name ("name" or
// "name:arch"), or -1.
func (g *Graph) Index(name string) int {
	if i, ok := g.byName[name]; ok {
		return i
	}
	return -1
}

// Requested reports whether package i was asked for by name: not marked
// auto-installed. Without AutoKnown every package counts as requested.
func (g *Graph) Requested(i int) bool { return !g.Packages[i].Auto }

// names returns the names of the packages at idx, sorted.
func (g *Graph) names(idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = g.Packages[i].Name
	}
	sort.Strings(out)
	return out
}

// listNames says a list of names in a line: "a, b and c", at most max of
// them, then "and N more".
func listNames(names []string, max int) string {
	if len(names) > max {
		rest := len(names) - max
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", rest)
	}
	return model.JoinAnd(names)
}
