package pkgdb

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The dpkg database, as Debian and Ubuntu images keep it.
const (
	dpkgStatus    = "var/lib/dpkg/status"
	dpkgStatusDir = "var/lib/dpkg/status.d/" // distroless: one stanza file per package
	dpkgInfoDir   = "var/lib/dpkg/info/"
)

// dpkgStanza is the part of a status stanza classification uses.
type dpkgStanza struct {
	name, version, arch, section, source, status string
	installedKiB                                 int64
}

// parseDpkgStanzas parses control stanzas (status, status.d/*). Multi-line
// fields (Description, Conffiles) are skipped.
func parseDpkgStanzas(b []byte) []dpkgStanza {
	var out []dpkgStanza
	var cur dpkgStanza
	flush := func() {
		if cur.name != "" {
			out = append(out, cur)
		}
		cur = dpkgStanza{}
	}
	lines(b, func(line string) {
		if line == "" {
			flush()
			return
		}
		if line[0] == ' ' || line[0] == '\t' {
			return // continuation
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.name = v
		case "Version":
			cur.version = v
		case "Architecture":
			cur.arch = v
		case "Section":
			cur.section = v
		case "Source":
			cur.source, _, _ = strings.Cut(v, " ") // "lvm2 (2.03.16-2)"
		case "Status":
			cur.status = v
		case "Installed-Size":
			cur.installedKiB, _ = strconv.ParseInt(v, 10, 64)
		}
	})
	flush()
	return out
}

// installed reports whether the stanza is an installed package: "install
// ok installed" or "hold ok installed", not "deinstall ok config-files".
// Distroless stanzas may have no Status at all.
func (s *dpkgStanza) installed() bool {
	if s.status == "" {
		return true
	}
	f := strings.Fields(s.status)
	return len(f) == 3 && f[2] == "installed"
}

// readDpkg reads the dpkg status database (or distroless status.d) and the
// per-package file lists: info/<pkg>[:<arch>].list, or status.d/<pkg>.md5sums
// where the lists are missing.
func readDpkg(contents map[string][]byte) []*Found {
	var stanzas []dpkgStanza
	lists := map[string][]byte{}   // "<pkg>[:<arch>]" -> .list body
	md5sums := map[string][]byte{} // distroless "<pkg>" -> .md5sums body
	for _, k := range slices.Sorted(maps.Keys(contents)) {
		switch {
		case k == dpkgStatus:
			stanzas = append(stanzas, parseDpkgStanzas(contents[k])...)
		case strings.HasPrefix(k, dpkgStatusDir):
			name := k[len(dpkgStatusDir):]
			if pkg, ok := strings.CutSuffix(name, ".md5sums"); ok {
				md5sums[pkg] = contents[k]
			} else if !strings.Contains(name, "/") {
				stanzas = append(stanzas, parseDpkgStanzas(contents[k])...)
			}
		case strings.HasPrefix(k, dpkgInfoDir) && strings.HasSuffix(k, ".list"):
			lists[strings.TrimSuffix(k[len(dpkgInfoDir):], ".list")] = contents[k]
		}
	}

	var out []*Found
	for _, s := range stanzas {
		if !s.installed() {
			continue
		}
		p := &Found{Package: model.Package{
			Name: s.name, Version: s.version, Manager: "dpkg", Section: s.section,
			InstalledSize: s.installedKiB * 1024, Step: -1,
		}}
		// Multi-arch packages name their list "<pkg>:<arch>.list".
		body, ok := lists[s.name+":"+s.arch]
		if !ok {
			body, ok = lists[s.name]
		}
		if ok {
			p.Files = make([]string, 0, bytes.Count(body, []byte{'\n'})+1) // a path a line
			lines(body, func(line string) {
				// Canonical, as the index's paths: a hostile list's
				// "usr//bin/x" or "/" names what the image holds or
				// nothing, never a path no file can match.
				if f := index.Canonical(line); line != "" && f != "." {
					p.Files = append(p.Files, f)
				}
			})
		} else if body, ok := md5sums[s.name]; ok {
			// "<md5>  usr/lib/x86_64-linux-gnu/libc.so.6"
			lines(body, func(line string) {
				if _, f, ok := strings.Cut(line, "  "); ok && index.Canonical(f) != "." {
					p.Files = append(p.Files, index.Canonical(f))
				}
			})
		}
		out = append(out, p)
	}
	return out
}
