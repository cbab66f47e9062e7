package imagetest

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// debPkg is an installed Debian package: its status stanza fields and the
// files it owns.
type debPkg struct {
	name, version, section, source, multiArch, depends, desc string
	files                                                    tree
}

const debArch = "amd64"

// listName is the package's file list under var/lib/dpkg/info: Multi-Arch
// "same" packages carry the architecture in the name.
func (p debPkg) listName() string {
	if p.multiArch == "same" {
		return p.name + ":" + debArch + ".list"
	}
	return p.name + ".list"
}

// stanza is the package's var/lib/dpkg/status stanza, fields in dpkg's order.
func (p debPkg) stanza() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\nSection: %s\n", p.name, p.section)
	fmt.Fprintf(&b, "Installed-Size: %d\n", (p.files.size()+1023)/1024)
	fmt.Fprintf(&b, "Maintainer: Debian Maintainers <debian-devel@lists.debian.org>\nArchitecture: %s\n", debArch)
	if p.multiArch != "" {
		fmt.Fprintf(&b, "Multi-Arch: %s\n", p.multiArch)
	}
	if p.source != "" {
		fmt.Fprintf(&b, "Source: %s\n", p.source)
	}
	fmt.Fprintf(&b, "Version: %s\n", p.version)
	if p.depends != "" {
		fmt.Fprintf(&b, "Depends: %s\n", p.depends)
	}
	desc := p.desc
	if desc == "" {
		desc = p.name
	}
	fmt.Fprintf(&b, "Description: %s\n This package is part of the imgdiff demo image; its files are generated.\nHomepage: https://www.debian.org/\n\n", desc)
	return b.String()
}

// list is the package's .list file: "/.", then every directory and file it
// owns, with a leading slash, parents first.
func (p debPkg) list() string {
	seen := map[string]bool{"/.": true}
	var lines []string
	for _, e := range p.files.entries() {
		for d := path.Dir(e.Path); d != "." && !seen["/"+d]; d = path.Dir(d) {
			seen["/"+d] = true
			lines = append(lines, "/"+d)
		}
		if !seen["/"+e.Path] {
			seen["/"+e.Path] = true
			lines = append(lines, "/"+e.Path)
		}
	}
	sort.Strings(lines)
	return "/.\n" + strings.Join(lines, "\n") + "\n"
}

// dpkgStatus is var/lib/dpkg/status for pkgs, sorted by name as dpkg
// writes it.
func dpkgStatus(pkgs []debPkg) string {
	s := append([]debPkg(nil), pkgs...)
	sort.Slice(s, func(i, j int) bool { return s[i].name < s[j].name })
	var b strings.Builder
	for _, p := range s {
		b.WriteString(p.stanza())
	}
	return b.String()
}

// installPkgs is what `apt-get install` of pkgs on top of installed writes:
// the packages' files, their lists, and the rewritten status database
// (the previous one kept as status-old, as dpkg does).
func installPkgs(installed, pkgs []debPkg) tree {
	t := tree{}
	for _, p := range pkgs {
		t.merge(p.files)
		t.body("var/lib/dpkg/info/"+p.listName(), p.list())
	}
	all := append(append([]debPkg(nil), installed...), pkgs...)
	t.body("var/lib/dpkg/status", dpkgStatus(all))
	if len(installed) > 0 {
		t.body("var/lib/dpkg/status-old", dpkgStatus(installed))
	}
	return t
}
