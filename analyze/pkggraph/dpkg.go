package pkggraph

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Paths of the databases the readers take, canonical (no leading "/"), as
// keys of the contents map an image's capture gives.
const (
	DpkgStatus        = "var/lib/dpkg/status"
	DpkgStatusDir     = "var/lib/dpkg/status.d/" // distroless: one stanza file per package
	AptExtendedStates = "var/lib/apt/extended_states"
	ApkInstalled      = "lib/apk/db/installed"
	ApkWorld          = "etc/apk/world"
	RpmSqlite         = "var/lib/rpm/rpmdb.sqlite"
	RpmSqliteUsr      = "usr/lib/sysimage/rpm/rpmdb.sqlite"
	RpmBerkeleyDB     = "var/lib/rpm/Packages"
	RpmNdb            = "var/lib/rpm/Packages.db"
	RpmNdbUsr         = "usr/lib/sysimage/rpm/Packages.db"
	RpmBerkeleyDBUsr  = "usr/lib/sysimage/rpm/Packages"
)

// ErrMalformed is wrapped by the readers' errors for a database they cannot
// parse.
var ErrMalformed = errors.New("malformed package database")

// stanza is one deb822 paragraph: field name → value, continuation lines
// joined with "\n".
type stanza map[string]string

// parseStanzas parses deb822 paragraphs (dpkg status, status.d files,
// extended_states). name names the input in errors.
func parseStanzas(name string, b []byte) ([]stanza, error) {
	var out []stanza
	cur := stanza{}
	last := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur, last = stanza{}, ""
	}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return nil, fmt.Errorf("%s: line %d: continuation line outside a field: %w", name, n+1, ErrMalformed)
			}
			cur[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		if line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s: line %d: not a \"Field: value\" line: %w", name, n+1, ErrMalformed)
		}
		last = k
		cur[k] = strings.TrimSpace(v)
	}
	flush()
	return out, nil
}

// ParseDpkgRelations parses a dpkg relation field ("libc6 (>= 2.34),
// default-mta | mail-transport-agent, python3:any") into dependencies of
// kind k. Architecture restrictions ("[amd64]") and build profiles
// ("<!nocheck>"), which only source packages carry, are dropped.
func ParseDpkgRelations(k Kind, field string) []Dep {
	var out []Dep
	for _, group := range strings.Split(field, ",") {
		var d Dep
		for _, alt := range strings.Split(group, "|") {
			if r, ok := parseDpkgRelation(alt); ok {
				d.Alternatives = append(d.Alternatives, r)
			}
		}
		if len(d.Alternatives) > 0 {
			d.Kind = k
			out = append(out, d)
		}
	}
	return out
}

func parseDpkgRelation(s string) (Relation, bool) {
	s = strings.Join(strings.Fields(s), " ") // continuation newlines too
	// Cut at "[amd64]" or a build profile "<!nocheck>", outside the
	// parentheses of a version ("(<< 2)").
	depth := 0
	for i, c := range s {
		if c == '(' {
			depth++
		} else if c == ')' {
			depth--
		} else if depth == 0 && (c == '[' || c == '<') {
			s = strings.TrimSpace(s[:i])
			break
		}
	}
	var r Relation
	name, rest, _ := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if name == "" {
		return r, false
	}
	r.Name, r.Arch, _ = strings.Cut(name, ":")
	if rest != "" {
		ver, _, _ := strings.Cut(rest, ")")
		ver = strings.TrimSpace(ver)
		i := strings.IndexFunc(ver, func(c rune) bool { return !strings.ContainsRune("<>=", c) })
		if i > 0 {
			r.Op, r.Version = ver[:i], strings.TrimSpace(ver[i:])
		} else {
			r.Version = ver
		}
	}
	return r, true
}

// dpkgInstalled reports whether a Status field says installed: "install
// ok installed" or "hold ok installed", not "deinstall ok config-files".
// Distroless stanzas have no Status: they are installed.
func dpkgInstalled(status string) bool {
	if status == "" {
		return true
	}
	f := strings.Fields(status)
	return len(f) == 3 && f[2] == "installed"
}

// ReadDpkg reads the dpkg graph from an image's captured files, keyed by
// canonical path: var/lib/dpkg/status, or the distroless
// var/lib/dpkg/status.d/<pkg> stanzas, and apt's
// var/lib/apt/extended_states for what was installed as a dependency. It
// returns nil, nil when there is no dpkg database.
func ReadDpkg(contents map[string][]byte) (*Graph, error) {
	var stanzas []stanza
	keys := make([]string, 0, len(contents))
	for k := range contents {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	found := false
	for _, k := range keys {
		switch {
		case k == DpkgStatus:
		case strings.HasPrefix(k, DpkgStatusDir):
			// Stanza files are named after the package ("libc6",
			// "libc6.status"); skip their .md5sums companions.
			if name := k[len(DpkgStatusDir):]; strings.Contains(name, "/") || strings.HasSuffix(name, ".md5sums") {
				continue
			}
		default:
			continue
		}
		found = true
		s, err := parseStanzas(k, contents[k])
		if err != nil {
			return nil, err
		}
		stanzas = append(stanzas, s...)
	}
	if !found {
		return nil, nil
	}
	auto := map[string]bool{}
	body, autoKnown := contents[AptExtendedStates]
	if autoKnown {
		es, err := parseStanzas(AptExtendedStates, body)
		if err != nil {
			return nil, err
		}
		for _, s := range es {
			if s["Auto-Installed"] == "1" {
				auto[s["Package"]+":"+s["Architecture"]] = true
				auto[s["Package"]] = true
			}
		}
	}
	var pkgs []Package
	for _, s := range stanzas {
		if s["Package"] == "" || !dpkgInstalled(s["Status"]) {
			continue
		}
		p := Package{
			Name: s["Package"], Version: s["Version"], Arch: s["Architecture"],
			Section: s["Section"], Priority: s["Priority"], Essential: s["Essential"] == "yes",
		}
		p.Source, _, _ = strings.Cut(s["Source"], " ") // "lvm2 (2.03.16-2)"
		if kib, err := strconv.ParseInt(s["Installed-Size"], 10, 64); err == nil {
			p.InstalledSize = kib * 1024
		}
		for _, r := range ParseDpkgRelations(Depends, s["Provides"]) {
			p.Provides = append(p.Provides, r.Alternatives[0].Name)
		}
		for _, f := range []struct {
			field string
			kind  Kind
		}{{"Pre-Depends", PreDepends}, {"Depends", Depends}, {"Recommends", Recommends}, {"Suggests", Suggests}} {
			p.Deps = append(p.Deps, ParseDpkgRelations(f.kind, s[f.field])...)
		}
		// extended_states names multi-arch packages with their
		// architecture; "all" packages are recorded under the native one.
		p.Auto = auto[p.Name+":"+p.Arch] || auto[p.Name]
		pkgs = append(pkgs, p)
	}
	return New("dpkg", pkgs, autoKnown), nil
}
