package rules

import (
	"bytes"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Category ranks for path rules (and the package-evidence slot between vcs
// and the rest): lower wins. See the precedence in rules/default.yaml.
const (
	rankSecret  = 0
	rankVCS     = 1
	rankPackage = 2
	rankNone    = 1 << 30
)

var pathRank = map[model.Category]int{
	model.Secret: rankSecret, model.VCS: rankVCS,
	model.Cache: 3, model.BuildTool: 4, model.DevDependency: 5, model.Docs: 6, model.Source: 7,
}

// pathRule is a compiled path rule.
type pathRule struct {
	spec  *Spec
	order int
	rank  int
}

// excluded reports whether the rule's except globs cover path p.
func (r *pathRule) excluded(p string) bool {
	for _, g := range r.spec.Except {
		if doublestar.MatchUnvalidated(g, p) {
			return true
		}
	}
	return false
}

// fileMatcher is one (brace-expanded) name or path glob of a path rule,
// filed under the cheapest key that can find it.
type fileMatcher struct {
	rule *pathRule
	// name is a glob over the base name, path one over the whole path;
	// one of them is set. suffix, when set, is the literal the base name
	// must end with (the glob is "*" + suffix): checked without a glob.
	name, path, suffix string
	// prefix is a literal the base name (name globs) or path (path
	// globs) must start with before the glob is tried.
	prefix string
	label  string
}

// dirMatcher flags a directory and its whole tree.
type dirMatcher struct {
	rule *pathRule
	// glob is matched against the directory's path; empty for a dirs
	// entry matched by name alone.
	glob string
	// nameGlob is a non-literal dirs entry, matched against the base name.
	nameGlob string
	prefix   string
	label    string
}

// pathIndex finds the path rules that can match a file or a directory with
// a few map lookups: by literal base name, by extension, and a short list
// of globs filtered by literal prefix. No glob runs unless its key matched.
type pathIndex struct {
	fileByName map[string][]fileMatcher
	names      nameFilter // of fileByName's keys: most base names are none
	fileByExt  map[string][]fileMatcher
	fileOther  []fileMatcher
	// otherFirst holds the bytes that fileOther's base-name globs can
	// start with: most base names start with none of them.
	otherFirst [256]bool
	dirByName  map[string][]dirMatcher
	dirOther   []dirMatcher
}

func newPathIndex() *pathIndex {
	return &pathIndex{
		fileByName: map[string][]fileMatcher{},
		fileByExt:  map[string][]fileMatcher{},
		dirByName:  map[string][]dirMatcher{},
	}
}

func (x *pathIndex) add(s *Spec, order int) {
	r := &pathRule{spec: s, order: order, rank: pathRank[s.Category]}
	for _, n := range s.Names {
		for _, e := range expandBraces(n) {
			m := fileMatcher{rule: r, name: e, label: "name: " + n}
			x.addFile(m, e)
		}
	}
	for _, p := range s.Paths {
		for _, e := range expandBraces(p) {
			if d, ok := strings.CutSuffix(e, "/**"); ok {
				m := dirMatcher{rule: r, glob: d, label: "path: " + p}
				if last := index.Base(d); !hasMeta(last) {
					x.dirByName[last] = append(x.dirByName[last], m)
				} else {
					m.prefix = literalPrefix(d)
					x.dirOther = append(x.dirOther, m)
				}
				continue
			}
			x.addFile(fileMatcher{rule: r, path: e, label: "path: " + p}, index.Base(e))
		}
	}
	for _, d := range s.Dirs {
		for _, e := range expandBraces(d) {
			m := dirMatcher{rule: r, label: "dir: " + d}
			if !hasMeta(e) {
				x.dirByName[e] = append(x.dirByName[e], m)
			} else {
				m.nameGlob, m.prefix = e, literalPrefix(e)
				x.dirOther = append(x.dirOther, m)
			}
		}
	}
}

// addFile files m under the base-name part of its glob, last.
func (x *pathIndex) addFile(m fileMatcher, last string) {
	switch {
	case !hasMeta(last):
		if m.path == "" {
			m.name = "" // a literal name needs no glob
		}
		x.fileByName[last] = append(x.fileByName[last], m)
		x.names.add(last)
	case last[0] == '*' && !hasMeta(last[1:]) && strings.Contains(last, "."):
		m.suffix = last[1:]
		if m.path == "" {
			m.name = ""
		}
		ext := last[strings.LastIndexByte(last, '.')+1:]
		x.fileByExt[ext] = append(x.fileByExt[ext], m)
	default:
		if m.path != "" {
			m.prefix = literalPrefix(m.path)
		} else {
			m.prefix = literalPrefix(m.name)
		}
		x.fileOther = append(x.fileOther, m)
		if head := literalPrefix(last); head != "" {
			x.otherFirst[head[0]] = true
		} else {
			for b := range x.otherFirst {
				x.otherFirst[b] = true
			}
		}
	}
}

// nameFilter is a set of names that can answer "surely not among them"
// without hashing: one bit per fingerprint of length, first and last byte.
// Nearly every file's base name is no rule's name, and the filter turns it
// away for less than the map lookup it spares.
type nameFilter [16]uint64 // 1024 bits

func nameBit(s string) uint {
	if s == "" {
		return 0
	}
	return (uint(len(s))*131 + uint(s[0])*31 + uint(s[len(s)-1])) % 1024
}

func (f *nameFilter) add(s string) { b := nameBit(s); f[b/64] |= 1 << (b % 64) }

func (f *nameFilter) mayHold(s string) bool { b := nameBit(s); return f[b/64]&(1<<(b%64)) != 0 }

// Match is the best path-rule match found for an entry.
type Match struct {
	rule  *pathRule
	label string
}

// Better reports whether m beats b: a stronger category, then the earlier
// rule.
func (m Match) Better(b Match) bool {
	if b.rule == nil {
		return m.rule != nil
	}
	if m.rule == nil {
		return false
	}
	if m.rule.rank != b.rule.rank {
		return m.rule.rank < b.rule.rank
	}
	return m.rule.order < b.rule.order
}

// Category is the category of the matching rule, "" when none matched.
func (m Match) Category() model.Category {
	if m.rule == nil {
		return ""
	}
	return m.rule.spec.Category
}

// Flag is the flag m gives a file: the zero Flag when no rule matched.
func (m Match) Flag() model.Flag {
	if m.rule == nil {
		return model.Flag{}
	}
	return model.Flag{Category: m.rule.spec.Category, Rule: m.rule.spec.ID, Evidence: m.label}
}

// MatchFile returns the best path-rule match for the non-directory at
// canonical path p with base name base. content returns the captured body
// of a path, if any.
func (r *Rules) MatchFile(p, base string, content func(string) ([]byte, bool)) Match {
	return r.paths.matchFile(p, base, content)
}

// MatchDir returns the best path-rule match flagging the directory at p
// (base name base) and its tree. exists reports whether a path is in the
// filesystem, for markers.
func (r *Rules) MatchDir(p, base string, exists func(string) bool) Match {
	return r.paths.matchDir(p, base, exists)
}

// matchFile returns the best file-level match for the non-directory at p
// with base name base. content returns the captured body of p, if any.
func (x *pathIndex) matchFile(p, base string, content func(string) ([]byte, bool)) Match {
	var best Match
	try := func(ms []fileMatcher) {
		for i := range ms {
			m := &ms[i]
			c := Match{rule: m.rule, label: m.label}
			if !c.Better(best) || !m.matches(p, base) || m.rule.excluded(p) {
				continue
			}
			if len(m.rule.spec.Contains) > 0 && !containsAny(content, p, m.rule.spec.Contains) {
				continue
			}
			if sp := m.rule.spec; len(sp.Header)+len(sp.Magic) > 0 {
				if content == nil {
					continue
				}
				head, ok := content(p)
				if !ok {
					continue
				}
				ev, ok := headEvidence(sp, head)
				if !ok {
					continue
				}
				c.label += "; " + ev
			}
			best = c
		}
	}
	if x.names.mayHold(base) {
		try(x.fileByName[base])
	}
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		if ms := x.fileByExt[base[i+1:]]; ms != nil {
			try(ms)
		}
	}
	if base != "" && x.otherFirst[base[0]] {
		try(x.fileOther)
	}
	return best
}

func (m *fileMatcher) matches(p, base string) bool {
	if m.suffix != "" && !strings.HasSuffix(base, m.suffix) {
		return false
	}
	if m.path != "" {
		return strings.HasPrefix(p, m.prefix) && doublestar.MatchUnvalidated(m.path, p)
	}
	if m.name != "" {
		return strings.HasPrefix(base, m.prefix) && doublestar.MatchUnvalidated(m.name, base)
	}
	return true
}

func containsAny(content func(string) ([]byte, bool), p string, subs []string) bool {
	if content == nil {
		return false
	}
	body, ok := content(p)
	if !ok {
		return false
	}
	for _, s := range subs {
		if bytes.Contains(body, []byte(s)) {
			return true
		}
	}
	return false
}

// matchDir returns the best match flagging the directory at p (base name
// base) and its tree. exists reports whether a path is in the filesystem,
// for markers.
func (x *pathIndex) matchDir(p, base string, exists func(string) bool) Match {
	var best Match
	try := func(m *dirMatcher) {
		c := Match{rule: m.rule, label: m.label}
		if !c.Better(best) {
			return
		}
		switch {
		case m.glob != "":
			if !strings.HasPrefix(p, m.prefix) || !doublestar.MatchUnvalidated(m.glob, p) {
				return
			}
		case m.nameGlob != "":
			if !strings.HasPrefix(base, m.prefix) || !doublestar.MatchUnvalidated(m.nameGlob, base) {
				return
			}
		}
		if m.rule.excluded(p) || !hasMarker(m.rule.spec.Markers, p, exists) {
			return
		}
		best = c
	}
	for i, ms := 0, x.dirByName[base]; i < len(ms); i++ {
		try(&ms[i])
	}
	for i := range x.dirOther {
		try(&x.dirOther[i])
	}
	return best
}

func hasMarker(markers []string, dir string, exists func(string) bool) bool {
	if len(markers) == 0 {
		return true
	}
	for _, m := range markers {
		if exists(dir + "/" + m) {
			return true
		}
	}
	return false
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[{\\") }

// literalPrefix is the part of glob g before its first meta character.
func literalPrefix(g string) string {
	if i := strings.IndexAny(g, "*?[{\\"); i >= 0 {
		return g[:i]
	}
	return g
}

// expandBraces turns "a/{b,c}/d" into "a/b/d" and "a/c/d" (nested and
// repeated groups too), so that each alternative can be indexed by its own
// literal parts. Globs with escapes are left whole for doublestar.
func expandBraces(g string) []string {
	if strings.Contains(g, "\\") {
		return []string{g}
	}
	open := strings.IndexByte(g, '{')
	if open < 0 {
		return []string{g}
	}
	depth, start := 0, open+1
	var alts []string
	for i := open; i < len(g); i++ {
		switch g[i] {
		case '{':
			depth++
		case ',':
			if depth == 1 {
				alts = append(alts, g[start:i])
				start = i + 1
			}
		case '}':
			depth--
			if depth == 0 {
				alts = append(alts, g[start:i])
				var out []string
				for _, a := range alts {
					out = append(out, expandBraces(g[:open]+a+g[i+1:])...)
				}
				return out
			}
		}
	}
	return []string{g} // unbalanced: ValidatePattern rejects it earlier
}
