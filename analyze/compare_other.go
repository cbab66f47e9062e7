package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"
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
		dir := topDir(f.Path)
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

// topDir is the directory a file outside any package is grouped by: its
// first two path elements ("usr/local" of usr/local/bin/app, "app" of
// app/server.js).
func topDir(p string) string {
	parts := strings.SplitN(p, "/", 3)
	switch len(parts) {
	case 1:
		return "."
	case 2:
		return parts[0]
	}
	return parts[0] + "/" + parts[1]
}

// otherGroups returns the largest other groups, at most opts.Top.
func (d *differ) otherGroups() []OtherGroup {
	var out []OtherGroup
	for _, g := range d.others {
		og := OtherGroup{Name: g.name, Pullers: g.pullers, Packages: len(g.packages), Bytes: g.bytes, Files: g.files}
		if len(g.pullers) > 0 {
			og.Name = pulledName(g.pullers, g.packages)
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

// pulledName says a group of packages requested packages pulled in, in
// the words of pkggraph.Group: "npm and the 412 packages it pulled in";
// members are the group's packages (the pullers among them when their own
// bytes are in it).
func pulledName(pullers []string, members map[string]bool) string {
	others := len(members)
	for _, p := range pullers {
		if members[p] {
			others--
		}
	}
	who, pron := strings.Join(pullers, ", "), "it"
	if len(pullers) > 1 {
		pron = "they"
	}
	switch {
	case others <= 0:
		return who
	case others == 1:
		return fmt.Sprintf("%s and the package %s pulled in", who, pron)
	}
	return fmt.Sprintf("%s and the %d packages %s pulled in", who, others, pron)
}

// baseDetail names both images' bases with their sizes and where each
// was found: "A: debian:12 (117 MB; dockerfile: Dockerfile:1 FROM
// debian:12) → B: no base image (scratch; dockerfile: …)", or, unnamed,
// "117 MB of base layers (heuristic docker import: Imported from -) → …".
func baseDetail(a, b *model.Image) string {
	side := func(img *model.Image) string {
		base := img.Base
		if base == nil {
			return "no base found (the history does not map to the layers)"
		}
		how := base.Source
		if base.Source == "heuristic" {
			how += " " + base.Heuristic
		}
		if base.Evidence != "" {
			how += ": " + model.Shorten(base.Evidence, 60) // a history entry, on one line
		}
		switch {
		case base.Steps == 0 && base.Source == "none":
			return "no base found"
		case base.Steps == 0:
			return "no base image (scratch; " + how + ")"
		case base.Name != "":
			return fmt.Sprintf("%s (%s; %s)", base.Name, humanize.Bytes(uint64(base.Size)), how)
		}
		return fmt.Sprintf("%s of base layers (%s)", humanize.Bytes(uint64(base.Size)), how)
	}
	return "A: " + side(a) + " → B: " + side(b)
}
