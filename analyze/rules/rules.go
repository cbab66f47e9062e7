// Package rules owns the classification rules: their YAML format (Spec),
// parsing and validation, the compiled, immutable rule set (Rules) with
// its path index and package rules, the embedded default.yaml, and the set
// of file bodies a walk captures so that rules with `contains` and the
// package databases can read them (WantContent, CaptureKey). Package
// analyze applies the rules in Classify.
package rules

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

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// defaultRulesYAML is the default rule set; its header documents the rule
// format and the precedence Classify applies.
//
//go:embed default.yaml
var defaultRulesYAML []byte

// Spec is one classification rule as written in YAML (see the header of
// analyze/rules/default.yaml). A rule is either a path rule (Paths, Names,
// Dirs) or a package rule (Packages, Sections, Dev), never both.
type Spec struct {
	ID       string         `yaml:"id" json:"id"`
	Category model.Category `yaml:"category" json:"category"`
	Reason   string         `yaml:"reason" json:"reason"`

	Paths    []string `yaml:"paths,omitempty" json:"paths,omitempty"`
	Names    []string `yaml:"names,omitempty" json:"names,omitempty"`
	Dirs     []string `yaml:"dirs,omitempty" json:"dirs,omitempty"`
	Markers  []string `yaml:"markers,omitempty" json:"markers,omitempty"`
	Contains []string `yaml:"contains,omitempty" json:"contains,omitempty"`
	// Header and Magic decide from the file's first index.HeadSize bytes,
	// which the walk keeps for the files these rules name whatever their
	// size: Header are strings one of which those bytes must hold (the
	// line a generator writes at the top), Magic names of binary formats
	// the file must start as (see magics).
	Header []string `yaml:"header,omitempty" json:"header,omitempty"`
	Magic  []string `yaml:"magic,omitempty" json:"magic,omitempty"`

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

func (s *Spec) isPackageRule() bool {
	return len(s.Packages) > 0 || len(s.Sections) > 0 || s.Dev
}

// Rules is a compiled, immutable rule set. Build one with Default,
// Parse or Compile, and combine them with Merge.
type Rules struct {
	specs []Spec
	// pkg are the package rules, in file order.
	pkg []*pkgRule
	// paths indexes the path rules for per-file and per-directory lookups.
	paths *pathIndex
}

// Specs returns the rules in order (a copy), for listing and for merging.
func (r *Rules) Specs() []Spec { return slices.Clone(r.specs) }

var (
	defaultOnce  sync.Once
	defaultRules *Rules
)

// Default returns the embedded default rule set. It is compiled once;
// a failure is a bug in the embedded file, which the tests catch.
func Default() *Rules {
	defaultOnce.Do(func() {
		r, err := parse(defaultRulesYAML, false)
		if err != nil {
			panic("rules: embedded default rules: " + err.Error())
		}
		defaultRules = r
	})
	return defaultRules
}

// rulesDoc is the shape of a rules document: `rules:` and nothing else.
type rulesDoc struct {
	Rules []ast.Node `yaml:"rules"`
}

// Parse parses a rules document (`rules: [...]`, the format of
// analyze/rules/default.yaml). Parsing is strict: an unknown key, a wrong
// type, an unknown category, a bad glob or a rule mixing path and package
// matchers is an error that names the line and column. Rules with
// `disabled: true` are kept as such, for Merge to remove defaults with.
func Parse(data []byte) (*Rules, error) { return parse(data, true) }

// parse parses a rules document; user checks whether each `contains`
// rule names files imgdiff captures (the defaults define that set).
func parse(data []byte, user bool) (*Rules, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("rules: %s", yaml.FormatError(err, false, false))
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, errors.New("rules: empty document")
	}
	var doc rulesDoc
	if err := decodeNode(file.Docs[0].Body, &doc); err != nil {
		return nil, fmt.Errorf("rules: %s", yaml.FormatError(err, false, false))
	}
	specs := make([]Spec, 0, len(doc.Rules))
	for i, n := range doc.Rules {
		s, err := decodeSpec(n, user)
		var ye yaml.Error
		switch {
		case errors.As(err, &ye):
			return nil, fmt.Errorf("rules[%d]: %s", i, yaml.FormatError(err, false, false))
		case err != nil:
			tk := n.GetToken()
			return nil, fmt.Errorf("rules[%d] at line %d, column %d: %w", i, tk.Position.Line, tk.Position.Column, err)
		}
		specs = append(specs, s)
	}
	return compile(specs)
}

// DecodeSpec decodes one user rule from its YAML node, strictly, and
// validates it: the one decoder of the rule format, for rules documents
// (Parse) and for a config file's `rules:` list alike. A decoding error
// is goccy's (a yaml.Error, which knows its token); a rule that decodes
// but means nothing valid is any other error, for the caller to place at
// n.
func DecodeSpec(n ast.Node) (Spec, error) { return decodeSpec(n, true) }

// decodeSpec is DecodeSpec; user checks whether a `contains` rule names
// files imgdiff captures (the defaults define that set).
func decodeSpec(n ast.Node, user bool) (Spec, error) {
	var s Spec
	if n == nil {
		// A list item with nothing after its "-": goccy's decoder would
		// dereference it.
		return Spec{}, fmt.Errorf("an empty rule: want a mapping with id, category and paths, names or packages")
	}
	if err := decodeNode(n, &s); err != nil {
		return Spec{}, err
	}
	err := s.validate()
	if err == nil && user {
		err = checkCaptured(&s)
	}
	return s, err
}

// decodeNode is yaml.NodeToValue, strict, with any panic of the decoder
// (goccy dereferences nil on some tagged nodes where it decodes a list)
// turned into an error: rules can come from a config file in a pull
// request.
func decodeNode(n ast.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML the decoder cannot read (%v)", r)
		}
	}()
	return yaml.NodeToValue(n, v, yaml.Strict())
}

// Compile compiles rules decoded elsewhere (a config file that embeds
// a `rules:` list decodes it into []Spec itself).
func Compile(specs []Spec) (*Rules, error) {
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
	specs = slices.DeleteFunc(specs, func(s Spec) bool { return drop[s.ID] })
	return compile(specs)
}

var knownManagers = map[string]bool{"dpkg": true, "apk": true, "python": true, "npm": true, "pnpm": true, "rpm": true}

// validate checks one rule on its own; compile checks the set.
func (s *Spec) validate() error {
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
	if !slices.Contains(model.Categories(), s.Category) || s.Category == model.Other {
		return fmt.Errorf("rule %q: unknown category %q (want one of build-tool, source, dev-dependency, recommended, cache, vcs, secret, docs)", s.ID, s.Category)
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
	case len(s.Header)+len(s.Magic) > 0 && (len(s.Dirs) > 0 || len(s.Paths) > 0 || len(s.Names) == 0):
		return fmt.Errorf("rule %q: header and magic apply to files named by names only", s.ID)
	case len(s.Header)+len(s.Magic) > 0 && len(s.Contains) > 0:
		return fmt.Errorf("rule %q: contains cannot be combined with header or magic", s.ID)
	}
	for _, m := range s.Magic {
		if magics[m] == nil {
			return fmt.Errorf("rule %q: unknown magic %q (want one of %s)", s.ID, m, strings.Join(magicNames(), ", "))
		}
	}
	for _, h := range s.Header {
		if h == "" || len(h) > index.HeadSize {
			return fmt.Errorf("rule %q: a header string must hold 1 to %d bytes", s.ID, index.HeadSize)
		}
	}
	for _, m := range s.Managers {
		if !knownManagers[m] {
			return fmt.Errorf("rule %q: unknown manager %q (want dpkg, apk, rpm, python, npm or pnpm)", s.ID, m)
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
func compile(specs []Spec) (*Rules, error) {
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
