package pkggraph

import (
	"fmt"
	"sort"
	"strings"
)

// Derived is a package that is a build tool because of the graph: every
// installed package that needs it (through Depends, Pre-Depends or
// Recommends, transitively) is a build tool.
type Derived struct {
	Name  string
	Index int
	// NeededBy are the build tools (of the seed set) that need it,
	// directly or through other derived packages and build tools: those
	// asked for by name when there are any (rustc rather than
	// libstd-rust-1.63; and of two such, rustc rather than cargo, which
	// depends on rustc), else all of them; sorted.
	NeededBy []string
	// Via are the packages that depend on it directly and are derived
	// themselves, not seeds, sorted.
	Via []string
	// Evidence says it in one line: "dpkg: libllvm14, needed only by
	// rustc (build-tool)".
	Evidence string
}

// BuildToolOnly returns the packages installed only because build tools
// need them, by name. isBuildTool is the seed set, decided by the
// classifier (dpkg sections devel and libdevel, names, rules), not here. A
// package is derived when it is not a seed, was not asked for by name
// (when the graph knows), is not Essential, some seed reaches it, and all
// of its installed reverse dependencies are seeds or derived (the greatest
// such set, so that a cycle of libraries only build tools need counts). A
// shared library a runtime package also needs (libc6, libssl3) is not.
func (g *Graph) BuildToolOnly(isBuildTool func(p *Package) bool) []Derived {
	n := len(g.Packages)
	seed := make([]bool, n)
	var queue []int
	for i := range g.Packages {
		if isBuildTool(&g.Packages[i]) {
			seed[i] = true
			queue = append(queue, i)
		}
	}
	reach := g.forward(queue, nil)
	cand := make([]bool, n)
	for i := range g.Packages {
		p := &g.Packages[i]
		cand[i] = !seed[i] && reach[i] && !p.Essential && (!g.AutoKnown || p.Auto) && g.hasFollowedIn(i)
	}
	// Remove, until none is left to remove, each candidate that a package
	// neither seed nor candidate needs.
	for changed := true; changed; {
		changed = false
		for i := range cand {
			if !cand[i] {
				continue
			}
			for _, e := range g.In[i] {
				if e.Kind.followed() && !seed[e.From] && !cand[e.From] {
					cand[i], changed = false, true
					break
				}
			}
		}
	}
	var out []Derived
	for i := range cand {
		if !cand[i] {
			continue
		}
		d := Derived{Name: g.Packages[i].Name, Index: i}
		// Walk reverse edges through derived packages and seeds: the
		// seeds met are the build tools that need it, and of them the
		// ones asked for by name say it best (rustc, not libstd-rust-1.63).
		seen := map[int]bool{i: true}
		stack := []int{i}
		var seeds, asked []int
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, e := range g.In[j] {
				if !e.Kind.followed() || seen[e.From] || !seed[e.From] && !cand[e.From] {
					continue
				}
				seen[e.From] = true
				stack = append(stack, e.From)
				if seed[e.From] {
					seeds = append(seeds, e.From)
					if g.AutoKnown && g.Requested(e.From) {
						asked = append(asked, e.From)
					}
				}
				if j == i && !seed[e.From] {
					d.Via = append(d.Via, g.Packages[e.From].Name)
				}
			}
		}
		if len(asked) > 0 {
			seeds = g.nearest(asked)
		}
		d.NeededBy = g.names(seeds)
		sort.Strings(d.Via)
		d.Evidence = fmt.Sprintf("%s: %s, needed only by %s (build-tool)", g.Manager, d.Name, listNames(d.NeededBy, 3))
		if len(d.Via) > 0 {
			d.Evidence += " via " + listNames(d.Via, 3)
		}
		out = append(out, d)
	}
	return out
}

// nearest drops from pkgs each package that depends on another of them
// (through Depends and Pre-Depends, transitively) that does not depend on
// it back: of cargo and rustc, where cargo depends on rustc (and rustc
// only recommends cargo), rustc is the nearer to what they both need.
func (g *Graph) nearest(pkgs []int) []int {
	reach := make([][]bool, len(pkgs))
	for k, p := range pkgs {
		reach[k] = g.forward([]int{p}, func(e Edge) bool { return e.Kind != Recommends })
	}
	var out []int
	for a, p := range pkgs {
		yields := false
		for b, q := range pkgs {
			if a != b && reach[a][q] && !reach[b][p] {
				yields = true
				break
			}
		}
		if !yields {
			out = append(out, p)
		}
	}
	return out
}

func (g *Graph) hasFollowedIn(i int) bool {
	for _, e := range g.In[i] {
		if e.Kind.followed() {
			return true
		}
	}
	return false
}

// Needs returns, by index, what the start packages cannot work without:
// the packages reachable over Depends and Pre-Depends, transitively,
// start included. (A recommendation is not needed: apt installs it by
// default, --no-install-recommends leaves it out.)
func (g *Graph) Needs(start []int) []bool {
	return g.forward(start, func(e Edge) bool { return e.Kind == Depends || e.Kind == PreDepends })
}

// forward returns the packages reachable from start over the edges the
// package manager follows (all, or those keep accepts), start included.
func (g *Graph) forward(start []int, keep func(Edge) bool) []bool {
	reach, _ := g.bfs(start, keep)
	return reach
}

// bfs is a breadth-first walk from start over followed edges that keep
// accepts (nil: all). It returns the reached set and, for each reached
// package not in start, the edge it was first reached by.
func (g *Graph) bfs(start []int, keep func(Edge) bool) ([]bool, []Edge) {
	reach := make([]bool, len(g.Packages))
	parent := make([]Edge, len(g.Packages))
	for i := range parent {
		parent[i].From = -1
	}
	queue := append([]int(nil), start...)
	for _, i := range start {
		reach[i] = true
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, e := range g.Out[i] {
			if !e.Kind.followed() || reach[e.To] || keep != nil && !keep(e) {
				continue
			}
			reach[e.To] = true
			parent[e.To] = e
			queue = append(queue, e.To)
		}
	}
	return reach, parent
}

// Recommendation is a package installed only as a recommendation: the
// requested packages reach it, but only through at least one Recommends
// edge, so --no-install-recommends would have left it out.
type Recommendation struct {
	Name  string
	Index int
	// Chain is the shortest path from a requested package to it, both
	// included: ["npm", "node-gyp", "libx265-199"]; Kinds[k] is the kind
	// of the edge from Chain[k] to Chain[k+1].
	Chain []string
	Kinds []Kind
	// Evidence says it: "dpkg: libc-devtools, recommended by libc-dev-bin
	// (via rustc → libc6-dev → libc-dev-bin)".
	Evidence string
}

// Recommended returns the packages installed only as recommendations. It
// needs to know what was asked for by name (AutoKnown); without it, every
// package counts as requested and none as a recommendation.
func (g *Graph) Recommended() []Recommendation {
	roots := g.requested()
	hard, _ := g.bfs(roots, func(e Edge) bool { return e.Kind != Recommends })
	all, parent := g.bfs(roots, nil)
	var out []Recommendation
	for i := range g.Packages {
		if !all[i] || hard[i] {
			continue
		}
		r := Recommendation{Name: g.Packages[i].Name, Index: i}
		for j := i; parent[j].From >= 0; j = parent[j].From {
			r.Chain = append(r.Chain, g.Packages[j].Name)
			r.Kinds = append(r.Kinds, parent[j].Kind)
		}
		r.Chain = append(r.Chain, g.Packages[rootOf(parent, i)].Name)
		reverseStrings(r.Chain)
		for a, b := 0, len(r.Kinds)-1; a < b; a, b = a+1, b-1 {
			r.Kinds[a], r.Kinds[b] = r.Kinds[b], r.Kinds[a]
		}
		r.Evidence = g.Manager + ": " + r.Name + ", " + r.says()
		out = append(out, r)
	}
	return out
}

// says renders the chain: "recommended by apt" for a direct
// recommendation, "recommended by libc-dev-bin (via rustc → libc6-dev →
// libc-dev-bin)" when the last edge is the Recommends, else "recommended
// via npm → node-gyp ⇢ python3 → libpython3-stdlib", where ⇢ marks the
// Recommends edge.
func (r *Recommendation) says() string {
	path := func(n int) string { // the chain up to Chain[n]
		var b strings.Builder
		b.WriteString(r.Chain[0])
		for k := 0; k < n; k++ {
			if r.Kinds[k] == Recommends {
				b.WriteString(" ⇢ ")
			} else {
				b.WriteString(" → ")
			}
			b.WriteString(r.Chain[k+1])
		}
		return b.String()
	}
	last := len(r.Chain) - 2
	switch {
	case last < 0:
		return "recommended"
	case r.Kinds[last] == Recommends && last == 0:
		return "recommended by " + r.Chain[0]
	case r.Kinds[last] == Recommends:
		return "recommended by " + r.Chain[last] + " (via " + path(last) + ")"
	}
	return "recommended via " + path(last)
}

func rootOf(parent []Edge, i int) int {
	for parent[i].From >= 0 {
		i = parent[i].From
	}
	return i
}

func reverseStrings(s []string) {
	for a, b := 0, len(s)-1; a < b; a, b = a+1, b-1 {
		s[a], s[b] = s[b], s[a]
	}
}

// requested returns the indexes of the packages asked for by name.
func (g *Graph) requested() []int {
	var out []int
	for i := range g.Packages {
		if g.Requested(i) {
			out = append(out, i)
		}
	}
	return out
}

// Pullers returns, for each package (parallel to Packages), the requested
// packages that pulled it in, sorted: a requested package is its own
// puller; another package's pullers are the nearest requested packages
// that reach it over followed edges (a walk from one requested package
// stops at the others, and a puller that reaches another puller of the
// same package yields to it: what nodejs pulls in is nodejs's, not npm's,
// when npm depends on nodejs). nil for a package nothing requested reaches.
func (g *Graph) Pullers() [][]string {
	n := len(g.Packages)
	roots := g.requested()
	isRoot := make([]bool, n)
	for _, r := range roots {
		isRoot[r] = true
	}
	// reaches[r] is what root r reaches without passing through another
	// root; rootReach[r] the roots it reaches that way.
	by := make([][]int, n)
	rootReach := map[int]map[int]bool{}
	for _, r := range roots {
		by[r] = []int{r}
		reached, _ := g.bfs([]int{r}, func(e Edge) bool { return !isRoot[e.From] || e.From == r })
		rootReach[r] = map[int]bool{}
		for i, ok := range reached {
			if !ok || i == r {
				continue
			}
			if isRoot[i] {
				rootReach[r][i] = true
				continue
			}
			by[i] = append(by[i], r)
		}
	}
	// reachesRoot reports whether root a reaches root b, through roots.
	memo := map[[2]int]bool{}
	reachesRoot := func(a, b int) bool {
		k := [2]int{a, b}
		if v, ok := memo[k]; ok {
			return v
		}
		seen := map[int]bool{a: true}
		stack := []int{a}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for y := range rootReach[x] {
				if y == b {
					memo[k] = true
					return true
				}
				if !seen[y] {
					seen[y] = true
					stack = append(stack, y)
				}
			}
		}
		memo[k] = false
		return false
	}
	out := make([][]string, n)
	for i, ps := range by {
		if len(ps) == 0 {
			continue
		}
		var keep []int
		for _, a := range ps {
			yields := false
			for _, b := range ps {
				if a != b && reachesRoot(a, b) && !reachesRoot(b, a) {
					yields = true
					break
				}
			}
			if !yields {
				keep = append(keep, a)
			}
		}
		out[i] = g.names(keep)
	}
	return out
}

// Group is the packages one set of requested packages pulled in, with
// their bytes.
type Group struct {
	// Pullers are the requested packages (one, usually); empty for
	// packages nothing requested reaches.
	Pullers []string
	// Packages are the members, pullers included, sorted.
	Packages []string
	Bytes    int64
}

// String says the group in a report's words: "npm and the 412 packages it
// pulled in", "nodejs, npm and the 3 packages they pulled in" (what several requested
// packages need is theirs together).
func (gr Group) String() string {
	if len(gr.Pullers) == 0 {
		if len(gr.Packages) == 1 {
			return gr.Packages[0] + ", which nothing requested pulls in"
		}
		return fmt.Sprintf("%d packages nothing requested pulls in", len(gr.Packages))
	}
	others := len(gr.Packages)
	for _, p := range gr.Packages {
		for _, q := range gr.Pullers {
			if p == q {
				others--
			}
		}
	}
	who, pron := strings.Join(gr.Pullers, ", "), "it"
	if len(gr.Pullers) > 1 {
		pron = "they"
	}
	switch others {
	case 0:
		return who
	case 1:
		return fmt.Sprintf("%s and the package %s pulled in", who, pron)
	}
	return fmt.Sprintf("%s and the %d packages %s pulled in", who, others, pron)
}

// Groups sums packages by puller set, the largest first. include says
// whether package i counts, and with how many bytes (the caller's: bytes
// left unexplained in a comparison, say).
func (g *Graph) Groups(include func(i int) (int64, bool)) []Group {
	pullers := g.Pullers()
	idx := map[string]int{}
	var out []Group
	for i := range g.Packages {
		b, ok := include(i)
		if !ok {
			continue
		}
		key := strings.Join(pullers[i], "\x00")
		k, seen := idx[key]
		if !seen {
			k = len(out)
			idx[key] = k
			out = append(out, Group{Pullers: pullers[i]})
		}
		out[k].Packages = append(out[k].Packages, g.Packages[i].Name)
		out[k].Bytes += b
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Bytes != out[b].Bytes {
			return out[a].Bytes > out[b].Bytes
		}
		return strings.Join(out[a].Pullers, ",") < strings.Join(out[b].Pullers, ",")
	})
	for k := range out {
		sort.Strings(out[k].Packages)
	}
	return out
}
