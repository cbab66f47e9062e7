package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/explain"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// otherGroup accumulates one OtherGroup.
type otherGroup struct {
	name     string // for a package or directory group
	pullers  []string
	packages map[string]bool
	bytes    int64
	files    int
}

// other records n unflagged bytes of A's file f (at index i) that B does
// not carry, in the group of the requested packages that pulled its
// package in, else of its package (a package asked for by name, or one
// whose graph is unknown), else of its directory.
func (d *differ) other(i int, f model.File, n int64) {
	var key, name string
	var pullers []string
	pkg := ""
	if d.ca != nil && i < len(d.ca.Owners) && d.ca.Owners[i] >= 0 {
		p := &d.ca.Packages[d.ca.Owners[i]]
		pkg = p.Name
		if len(p.PulledBy) > 0 && !(len(p.PulledBy) == 1 && p.PulledBy[0] == p.Name) {
			pullers = p.PulledBy
			key = p.Manager + " pulled by " + strings.Join(p.PulledBy, ",")
		} else {
			key = "package " + pkg
			name = fmt.Sprintf("%s (%s)", p.Name, p.Manager)
		}
	} else {
		dir := explain.TopDir(f.Path)
		key = "dir " + dir
		name = "files under " + dir + " (no package)"
		if dir == "." {
			name = "files at the root (no package)"
		}
	}
	g := d.others[key]
	if g == nil {
		g = &otherGroup{name: name, pullers: pullers, packages: map[string]bool{}}
		d.others[key] = g
	}
	if pkg != "" {
		g.packages[pkg] = true
	}
	g.bytes += n
	g.files++
}

// otherGroups returns the largest other groups, at most opts.Top.
func (d *differ) otherGroups() []OtherGroup {
	var out []OtherGroup
	for _, g := range d.others {
		og := OtherGroup{Name: g.name, Pullers: g.pullers, Packages: len(g.packages), Bytes: g.bytes, Files: g.files}
		if len(g.pullers) > 0 {
			og.Name = explain.PulledName(g.pullers, g.packages)
		}
		out = append(out, og)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Bytes != out[b].Bytes {
			return out[a].Bytes > out[b].Bytes
		}
		return out[a].Name < out[b].Name
	})
	if len(out) > d.opts.Top {
		out = out[:d.opts.Top:d.opts.Top]
	}
	return out
}
