package apk

import (
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

// parseRelation parses one token of an apk dependency or provides
// list: "so:libc.musl-x86_64.so.1", "binutils>=2.41", "cmd:sh",
// "so:libz.so.1=1.3.1", "nodejs@edge". ok is false for conflicts
// ("!name"), which install nothing.
func parseRelation(tok string) (r pkggraph.Relation, ok bool) {
	if tok == "" || tok[0] == '!' {
		return r, false
	}
	i := strings.IndexAny(tok, "<>=~")
	name := tok
	if i >= 0 {
		name = tok[:i]
		j := i
		for j < len(tok) && strings.IndexByte("<>=~", tok[j]) >= 0 {
			j++
		}
		r.Op, r.Version = tok[i:j], tok[j:]
	}
	name, _, _ = strings.Cut(name, "@") // repository tag
	if name == "" {
		return r, false
	}
	r.Name = name
	return r, true
}

// ReadGraph reads the apk graph from an image's captured files, keyed by
// canonical path: lib/apk/db/installed ("P:" name, "V:" version, "A:" arch,
// "I:" installed size, "D:" dependencies, "p:" provides, "o:" origin) and
// etc/apk/world, what was asked for by name (a package absent from it was
// pulled in as a dependency). It returns nil, nil when there is no apk
// database.
func ReadGraph(contents map[string][]byte) (*pkggraph.Graph, error) {
	body, ok := contents[Installed]
	if !ok {
		return nil, nil
	}
	world, autoKnown := contents[World]
	asked := map[string]bool{}
	for _, tok := range strings.Fields(string(world)) {
		if r, ok := parseRelation(tok); ok {
			asked[r.Name] = true
		}
	}
	var pkgs []pkggraph.Package
	err := scanInstalled(body, true, func(name string) {
		pkgs = append(pkgs, pkggraph.Package{Name: name})
	}, func(k byte, v string) {
		cur := &pkgs[len(pkgs)-1]
		switch k {
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.Source = v
		case 'I':
			cur.InstalledSize, _ = strconv.ParseInt(v, 10, 64)
		case 'D':
			for _, tok := range strings.Fields(v) {
				if r, ok := parseRelation(tok); ok {
					cur.Deps = append(cur.Deps, pkggraph.Dep{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{r}})
				}
			}
		case 'p':
			for _, tok := range strings.Fields(v) {
				if r, ok := parseRelation(tok); ok {
					cur.Provides = append(cur.Provides, r.Name)
				}
			}
		}
	}, func() {})
	if err != nil {
		return nil, err
	}
	for i := range pkgs {
		pkgs[i].Auto = autoKnown && !asked[pkgs[i].Name]
	}
	// apk names packages without an architecture qualifier; keep Arch
	// for display only, so "name:arch" lookups do not shadow names.
	return pkggraph.New("apk", pkgs, autoKnown), nil
}
