// Package dpkg owns the dpkg database of Debian and Ubuntu images (and
// distroless's status.d): where it lies, the one deb822 paragraph parser
// and what "installed" means (this file), which files each package owns
// (ReadPackages: the info/*.list files, or status.d's md5sums, read
// leniently), and the dependency graph with apt's record of what it
// installed as a dependency (ReadGraph: read strictly, a malformed
// database is an error). It is pure: bytes in, values out.
package dpkg

import "strings"

// Paths of the dpkg database, canonical (no leading "/"), as keys of the
// contents map an image's capture gives.
const (
	Status    = "var/lib/dpkg/status"
	StatusDir = "var/lib/dpkg/status.d/" // distroless: one stanza file per package
	InfoDir   = "var/lib/dpkg/info/"
)

// Stanza is one deb822 paragraph: field name → value, continuation lines
// joined with "\n".
type Stanza map[string]string

// ParseStanzas parses deb822 paragraphs (dpkg status, status.d files,
// apt's extended_states). Paragraphs are separated by lines that are
// empty or white space alone; "#" lines are comments. A line that is
// neither a "Field: value" nor the continuation of a field is malformed:
// bad, when set, is told its number (from 1) and why, and the line is
// skipped. Callers that must refuse a malformed database stop at the
// first; those that take what they can pass nil.
func ParseStanzas(b []byte, bad func(line int, why string)) []Stanza {
	var out []Stanza
	cur := Stanza{}
	last := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur, last = Stanza{}, ""
	}
	malformed := func(n int, why string) {
		last = "" // a continuation of this line is outside a field too
		if bad != nil {
			bad(n+1, why)
		}
	}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				malformed(n, "continuation line outside a field")
				continue
			}
			cur[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		if line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			malformed(n, `not a "Field: value" line`)
			continue
		}
		last = k
		cur[k] = strings.TrimSpace(v)
	}
	flush()
	return out
}

// Installed reports whether a Status field says installed: "install ok
// installed" or "hold ok installed", not "deinstall ok config-files".
// Distroless stanzas have no Status: they are installed.
func Installed(status string) bool {
	if status == "" {
		return true
	}
	f := strings.Fields(status)
	return len(f) == 3 && f[2] == "installed"
}
