package dpkg

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

// AptExtendedStates is apt's record of what it installed as a
// dependency, canonical, as a key of the contents map.
const AptExtendedStates = "var/lib/apt/extended_states"

// parseStrict parses deb822 paragraphs (dpkg status, status.d files,
// extended_states), refusing a malformed one: the graph of a database
// read in part would name wrong pullers. name names the input in errors.
func parseStrict(name string, b []byte) ([]Stanza, error) {
	var err error
	out := ParseStanzas(b, func(line int, why string) {
		if err == nil {
			err = fmt.Errorf("%s: line %d: %s: %w", name, line, why, pkggraph.ErrMalformed)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseRelations parses a dpkg relation field ("libc6 (>= 2.34),
// default-mta | mail-transport-agent, python3:any") into dependencies of
// kind k. Architecture restrictions ("[amd64]") and build profiles
// ("<!nocheck>"), which only source packages carry, are dropped.
func ParseRelations(k pkggraph.Kind, field string) []pkggraph.Dep {
	var out []pkggraph.Dep
	for _, group := range strings.Split(field, ",") {
		var d pkggraph.Dep
		for _, alt := range strings.Split(group, "|") {
			if r, ok := parseRelation(alt); ok {
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

func parseRelation(s string) (pkggraph.Relation, bool) {
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
	var r pkggraph.Relation
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

// ReadGraph reads the dpkg graph from an image's captured files, keyed by
// canonical path: var/lib/dpkg/status, or the distroless
// var/lib/dpkg/status.d/<pkg> stanzas, and apt's
// var/lib/apt/extended_states for what was installed as a dependency. It
// returns nil, nil when there is no dpkg database.
func ReadGraph(contents map[string][]byte) (*pkggraph.Graph, error) {
	var stanzas []Stanza
	found := false
	for _, k := range slices.Sorted(maps.Keys(contents)) {
		switch {
		case k == Status:
		case strings.HasPrefix(k, StatusDir):
			// Stanza files are named after the package ("libc6",
			// "libc6.status"); skip their .md5sums companions.
			if name := k[len(StatusDir):]; strings.Contains(name, "/") || strings.HasSuffix(name, ".md5sums") {
				continue
			}
		default:
			continue
		}
		found = true
		s, err := parseStrict(k, contents[k])
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
		es, err := parseStrict(AptExtendedStates, body)
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
	var pkgs []pkggraph.Package
	for _, s := range stanzas {
		if s["Package"] == "" || !Installed(s["Status"]) {
			continue
		}
		p := pkggraph.Package{
			Name: s["Package"], Version: s["Version"], Arch: s["Architecture"],
			Section: s["Section"], Priority: s["Priority"], Essential: s["Essential"] == "yes",
		}
		p.Source, _, _ = strings.Cut(s["Source"], " ") // "lvm2 (2.03.16-2)"
		if kib, err := strconv.ParseInt(s["Installed-Size"], 10, 64); err == nil {
			p.InstalledSize = kib * 1024
		}
		for _, r := range ParseRelations(pkggraph.Depends, s["Provides"]) {
			p.Provides = append(p.Provides, r.Alternatives[0].Name)
		}
		for _, f := range []struct {
			field string
			kind  pkggraph.Kind
		}{{"Pre-Depends", pkggraph.PreDepends}, {"Depends", pkggraph.Depends}, {"Recommends", pkggraph.Recommends}, {"Suggests", pkggraph.Suggests}} {
			p.Deps = append(p.Deps, ParseRelations(f.kind, s[f.field])...)
		}
		// extended_states names multi-arch packages with their
		// architecture; "all" packages are recorded under the native one.
		p.Auto = auto[p.Name+":"+p.Arch] || auto[p.Name]
		pkgs = append(pkgs, p)
	}
	return pkggraph.New("dpkg", pkgs, autoKnown), nil
}
