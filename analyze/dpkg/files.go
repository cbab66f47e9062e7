package dpkg

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// statusStanza is the part of a status stanza classification uses.
type statusStanza struct {
	name, version, arch, section, source, status string
	installedKiB                                 int64
}

// parseLenient reads the stanzas of status or a status.d file,
// taking what it can: a malformed line is skipped, a stanza without a
// Package is no package. Of each field it takes the first line (a hostile
// Version continued over lines is not one).
func parseLenient(b []byte) []statusStanza {
	var out []statusStanza
	for _, st := range ParseStanzas(b, nil) {
		field := func(k string) string { v, _, _ := strings.Cut(st[k], "\n"); return v }
		s := statusStanza{
			name: field("Package"), version: field("Version"), arch: field("Architecture"),
			section: field("Section"), status: field("Status"),
		}
		if s.name == "" {
			continue
		}
		s.source, _, _ = strings.Cut(field("Source"), " ") // "lvm2 (2.03.16-2)"
		s.installedKiB, _ = strconv.ParseInt(field("Installed-Size"), 10, 64)
		out = append(out, s)
	}
	return out
}

// ReadPackages reads the dpkg status database (or distroless status.d) and the
// per-package file lists: info/<pkg>[:<arch>].list, or status.d/<pkg>.md5sums
// where the lists are missing.
func ReadPackages(contents map[string][]byte) []*model.FoundPackage {
	var stanzas []statusStanza
	lists := map[string][]byte{}   // "<pkg>[:<arch>]" -> .list body
	md5sums := map[string][]byte{} // distroless "<pkg>" -> .md5sums body
	for _, k := range slices.Sorted(maps.Keys(contents)) {
		switch {
		case k == Status:
			stanzas = append(stanzas, parseLenient(contents[k])...)
		case strings.HasPrefix(k, StatusDir):
			name := k[len(StatusDir):]
			if pkg, ok := strings.CutSuffix(name, ".md5sums"); ok {
				md5sums[pkg] = contents[k]
			} else if !strings.Contains(name, "/") {
				stanzas = append(stanzas, parseLenient(contents[k])...)
			}
		case strings.HasPrefix(k, InfoDir) && strings.HasSuffix(k, ".list"):
			lists[strings.TrimSuffix(k[len(InfoDir):], ".list")] = contents[k]
		}
	}

	var out []*model.FoundPackage
	for _, s := range stanzas {
		if !Installed(s.status) {
			continue
		}
		p := &model.FoundPackage{Package: model.Package{
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

// lines calls fn for each line of b, without the trailing "\r\n" or "\n".
func lines(b []byte, fn func(line string)) {
	for line := range strings.Lines(string(b)) {
		fn(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
	}
}
