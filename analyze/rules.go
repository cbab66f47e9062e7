package analyze

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// defaultRulesYAML is the default rule set; its header documents the rule
// format and the precedence Classify applies.
//
//go:embed rules/default.yaml
var defaultRulesYAML []byte

// RuleSpec is one classification rule as written in YAML (see the header of
// analyze/rules/default.yaml). A rule is either a path rule (Paths, Names,
// Dirs) or a package rule (Packages, Sections, Dev), never both.
type RuleSpec struct {
	ID       string   `yaml:"id" json:"id"`
	Category Category `yaml:"category" json:"category"`
	Reason   string   `yaml:"reason" json:"reason"`

	Paths    []string `yaml:"paths,omitempty" json:"paths,omitempty"`
	Names    []string `yaml:"names,omitempty" json:"names,omitempty"`
	Dirs     []string `yaml:"dirs,omitempty" json:"dirs,omitempty"`
	Markers  []string `yaml:"markers,omitempty" json:"markers,omitempty"`
	Contains []string `yaml:"contains,omitempty" json:"contains,omitempty"`

	Packages []string `yaml:"packages,omitempty" json:"packages,omitempty"`
	Sections []string `yaml:"sections,omitempty" json:"sections,omitempty"`
	Managers []string `yaml:"managers,omitempty" json:"managers,omitempty"`
	Dev      bool     `yaml:"dev,omitempty" json:"dev,omitempty"`

	// Except lists path globs (path rules) or package-name globs (package
	// rules) the rule never flags.
	Except []string `yaml:"except,omitempty" json:"except,omitempty"`
	// Disabled, in a user rule, removes the default rule of the same id.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

func (s *RuleSpec) isPackageRule() bool {
	return len(s.Packages) > 0 || len(s.Sections) > 0 || s.Dev
}

// Rules is a compiled, immutable rule set. Build one with DefaultRules,
// ParseRules or CompileRules, and combine them with Merge.
type Rules struct {
	specs []RuleSpec
	// pkg are the package rules, in file order.
	pkg []*pkgRule
	// paths indexes the path rules for per-file and per-directory lookups.
	paths *pathIndex
}

// Specs returns the rules in order (a copy), for listing and for merging.
func (r *Rules) Specs() []RuleSpec { return slices.Clone(r.specs) }

var (
	defaultOnce  sync.Once
	defaultRules *Rules
)

// DefaultRules returns the embedded default rule set. It is compiled once;
// a failure is a bug in the embedded file, which the tests catch.
func DefaultRules() *Rules {
	defaultOnce.Do(func() {
		r, err := parseRules(defaultRulesYAML, false)
		if err != nil {
			panic("analyze: embedded default rules: " + err.Error())
		}
		defaultRules = r
	})
	return defaultRules
}

// rulesDoc is the shape of a rules document: `rules:` and nothing else.
type rulesDoc struct {
	Rules []ast.Node `yaml:"rules"`
}

// ParseRules parses a rules document (`rules: [...]`, the format of
// analyze/rules/default.yaml). Parsing is strict: an unknown key, a wrong
// type, an unknown category, a bad glob or a rule mixing path and package
// matchers is an error that names the line and column. Rules with
// `disabled: true` are kept as such, for Merge to remove defaults with.
func ParseRules(data []byte) (*Rules, error) { return parseRules(data, true) }

// parseRules parses a rules document; user checks whether each `contains`
// rule names files imgdiff captures (the defaults define that set).
func parseRules(data []byte, user bool) (*Rules, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("rules: %s", yaml.FormatError(err, false, false))
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, errors.New("rules: empty document")
	}
	var doc rulesDoc
	if err := yaml.NodeToValue(file.Docs[0].Body, &doc, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("rules: %s", yaml.FormatError(err, false, false))
	}
	specs := make([]RuleSpec, 0, len(doc.Rules))
	for i, n := range doc.Rules {
		var s RuleSpec
		if err := yaml.NodeToValue(n, &s, yaml.Strict()); err != nil {
			return nil, fmt.Errorf("rules[%d]: %s", i, yaml.FormatError(err, false, false))
		}
		err := s.validate()
		if err == nil && user {
			err = checkCaptured(&s)
		}
		if err != nil {
			tk := n.GetToken()
			return nil, fmt.Errorf("rules[%d] at line %d, column %d: %w", i, tk.Position.Line, tk.Position.Column, err)
		}
		specs = append(specs, s)
	}
	return compile(specs)
}

// CompileRules compiles rules decoded elsewhere (a config file that embeds
// a `rules:` list decodes it into []RuleSpec itself).
func CompileRules(specs []RuleSpec) (*Rules, error) {
	for i := range specs {
		err := specs[i].validate()
		if err == nil {
			err = checkCaptured(&specs[i])
		}
		if err != nil {
			return nil, fmt.Errorf("rules[%d]: %w", i, err)
		}
	}
	return compile(slices.Clone(specs))
}

// Merge returns r with o's rules applied: a rule of o with an id r has
// replaces it in place, a disabled one removes it, a new id is appended.
// Disabling an id r does not have is an error (most likely a typo).
func (r *Rules) Merge(o *Rules) (*Rules, error) {
	specs := r.Specs()
	pos := map[string]int{}
	for i, s := range specs {
		pos[s.ID] = i
	}
	drop := map[string]bool{}
	for _, s := range o.specs {
		i, ok := pos[s.ID]
		switch {
		case s.Disabled && !ok:
			return nil, fmt.Errorf("rules: cannot disable unknown rule %q", s.ID)
		case s.Disabled:
			drop[s.ID] = true
		case ok:
			specs[i] = s
			delete(drop, s.ID)
		default:
			pos[s.ID] = len(specs)
			specs = append(specs, s)
		}
	}
	specs = slices.DeleteFunc(specs, func(s RuleSpec) bool { return drop[s.ID] })
	return compile(specs)
}

var knownManagers = map[string]bool{"dpkg": true, "apk": true, "python": true, "npm": true, "pnpm": true}

// validate checks one rule on its own; compile checks the set.
func (s *RuleSpec) validate() error {
	if s.ID == "" {
		return errors.New("rule has no id")
	}
	for _, c := range s.ID {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("rule %q: id must be lower-case letters, digits, '-', '_' or '.'", s.ID)
		}
	}
	if s.Disabled {
		return nil
	}
	if !slices.Contains(Categories, s.Category) || s.Category == Other {
		return fmt.Errorf("rule %q: unknown category %q (want one of build-tool, source, dev-dependency, cache, vcs, secret, docs)", s.ID, s.Category)
	}
	if strings.TrimSpace(s.Reason) == "" {
		return fmt.Errorf("rule %q: reason is required", s.ID)
	}
	pathRule := len(s.Paths) > 0 || len(s.Names) > 0 || len(s.Dirs) > 0
	switch {
	case pathRule && s.isPackageRule():
		return fmt.Errorf("rule %q: mixes path matchers (paths, names, dirs) with package matchers (packages, sections, dev)", s.ID)
	case !pathRule && !s.isPackageRule():
		return fmt.Errorf("rule %q: has no matcher (paths, names, dirs, packages, sections or dev)", s.ID)
	case pathRule && len(s.Managers) > 0:
		return fmt.Errorf("rule %q: managers applies to package rules only", s.ID)
	case len(s.Markers) > 0 && len(s.Dirs) == 0:
		return fmt.Errorf("rule %q: markers needs dirs", s.ID)
	case len(s.Contains) > 0 && len(s.Paths) == 0 && len(s.Names) == 0:
		return fmt.Errorf("rule %q: contains applies to files (paths or names)", s.ID)
	case len(s.Contains) > 0 && len(s.Dirs) > 0:
		return fmt.Errorf("rule %q: contains cannot be combined with dirs", s.ID)
	}
	for _, m := range s.Managers {
		if !knownManagers[m] {
			return fmt.Errorf("rule %q: unknown manager %q (want dpkg, apk, python, npm or pnpm)", s.ID, m)
		}
	}
	for _, list := range [][]string{s.Paths, s.Names, s.Dirs, s.Packages, s.Except} {
		for _, g := range list {
			if g == "" || !doublestar.ValidatePattern(g) {
				return fmt.Errorf("rule %q: bad glob %q", s.ID, g)
			}
			if strings.HasPrefix(g, "/") {
				return fmt.Errorf("rule %q: glob %q must not start with '/': paths in an image have no leading slash", s.ID, g)
			}
		}
	}
	for _, list := range [][]string{s.Names, s.Dirs, s.Markers} {
		for _, n := range list {
			if strings.Contains(n, "/") {
				return fmt.Errorf("rule %q: %q is a name and cannot contain '/' (use paths)", s.ID, n)
			}
		}
	}
	return nil
}

// compile checks the set and builds the matching indexes.
func compile(specs []RuleSpec) (*Rules, error) {
	seen := map[string]bool{}
	r := &Rules{specs: specs}
	idx := newPathIndex()
	for i := range specs {
		s := &specs[i]
		if seen[s.ID] {
			return nil, fmt.Errorf("rules: duplicate id %q", s.ID)
		}
		seen[s.ID] = true
		if s.Disabled {
			continue
		}
		if s.isPackageRule() {
			r.pkg = append(r.pkg, newPkgRule(s, i))
			continue
		}
		idx.add(s, i)
	}
	r.paths = idx
	return r, nil
}

// pkgRule is a compiled package rule.
type pkgRule struct {
	spec     *RuleSpec
	order    int
	managers map[string]bool
	sections map[string]bool
}

func newPkgRule(s *RuleSpec, order int) *pkgRule {
	pr := &pkgRule{spec: s, order: order}
	if len(s.Managers) > 0 {
		pr.managers = map[string]bool{}
		for _, m := range s.Managers {
			pr.managers[m] = true
		}
	}
	if len(s.Sections) > 0 {
		pr.sections = map[string]bool{}
		for _, sec := range s.Sections {
			pr.sections[sec] = true
		}
	}
	return pr
}

// match reports whether the rule flags p, and the evidence that says why.
// Package rules run once per package, not per file, so globs are fine here
// (after the cheaper checks).
func (pr *pkgRule) match(p *foundPackage) (string, bool) {
	s := pr.spec
	if pr.managers != nil && !pr.managers[p.Manager] {
		return "", false
	}
	// Every matcher given must hold: a rule with sections and packages
	// flags packages of those sections with those names.
	why := ""
	if s.Dev {
		if !p.Dev {
			return "", false
		}
		why = "dev"
	}
	if pr.sections != nil {
		sec := p.Section
		if i := strings.LastIndexByte(sec, '/'); i >= 0 {
			sec = sec[i+1:] // "universe/devel", "contrib/libdevel"
		}
		if !pr.sections[sec] {
			return "", false
		}
		why = sec
	}
	name := p.Name
	if p.Manager == "python" {
		name = normalizePythonName(name)
	}
	for _, g := range s.Except {
		if doublestar.MatchUnvalidated(g, name) {
			return "", false
		}
	}
	if len(s.Packages) > 0 {
		hit := ""
		for _, g := range s.Packages {
			if doublestar.MatchUnvalidated(g, name) {
				hit = g
				break
			}
		}
		if hit == "" {
			return "", false
		}
		if why == "" {
			why = "name " + hit
		}
	}
	return packageEvidence(p, why), true
}

// packageEvidence formats what a package flag rests on, e.g.
// "dpkg: gcc-12 (devel)" or "npm lockfile: dev (typescript)".
func packageEvidence(p *foundPackage, why string) string {
	if p.source != "" {
		return fmt.Sprintf("%s: %s (%s)", p.source, why, p.Name)
	}
	return fmt.Sprintf("%s: %s (%s)", p.Manager, p.Name, why)
}

// classifyPackage sets the category, rule and evidence of p from the first
// package rule that matches it.
func (r *Rules) classifyPackage(p *foundPackage) {
	for _, pr := range r.pkg {
		if ev, ok := pr.match(p); ok {
			p.Category, p.Rule, p.Evidence = pr.spec.Category, pr.spec.ID, ev
			return
		}
	}
	p.Category, p.Rule = "", ""
}

// normalizePythonName is PEP 503 normalization: lower case, and runs of
// '-', '_' and '.' become one '-'.
func normalizePythonName(s string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '.' {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
