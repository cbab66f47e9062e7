// Package config reads imgdiff's config file, .imgdiff.yaml: size and
// hygiene budgets, and classification rules. It finds the file by walking
// up from the working directory (or takes --config), decodes it strictly
// (an unknown key, a wrong type or a bad value is an error naming
// file:line:column), and merges the budget flags over it (flags.go).
//
// The file's schema:
//
//	budgets:                  # per image; every entry whose pattern matches applies
//	  - image: "ghcr.io/acme/app:*"   # "*" matches anything, "/" and ":" included
//	    max-size: 150MB               # content size; SI (MB) or IEC (MiB) units
//	    max-compressed-size: 60MiB    # what a pull transfers
//	    max-layers: 20
//	    max-wasted: 5%                # bytes, or % of the content size
//	    max-category: {build-tool: 0, cache: 1MB}
//	    fail-on: [secret, root-user]  # finding ids or categories
//	compare:                  # imgdiff compare only; % are of A's content size
//	  min-savings: 30%
//	  max-growth: 5MB
//	rules: []                 # classification rules, as in analyze/rules/default.yaml
//	dockerfiles:              # per image; the first entry whose pattern matches applies
//	  - image: "ghcr.io/acme/app:*"
//	    dockerfile: build/Dockerfile  # relative to the config file's directory
//	    target: runtime               # the stage built (default: the last)
//	    build-args: {VERSION: "1.2"}
//
// A --dockerfile flag (--dockerfile-a, --dockerfile-b) wins over dockerfiles:.
//
// Reading goes through a ReadFunc so that tests need no files.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rules"
)

// FileName is the config file looked for in the working directory and its
// parents.
const FileName = ".imgdiff.yaml"

// ReadFunc reads a whole file; os.ReadFile in the binary. It must return
// an error satisfying errors.Is(err, fs.ErrNotExist) for a missing file.
type ReadFunc func(name string) ([]byte, error)

// File is a parsed and checked config file.
type File struct {
	// Path is where the file was read from ("" when there was none).
	Path string
	// Budgets are the per-image budgets, in file order.
	Budgets []budget.ImageBudget
	// Compare limits what compare measures.
	Compare budget.CompareBudget
	// Rules add, replace (same id) or disable (disabled: true) default
	// classification rules; see RuleSet.
	Rules []rules.Spec
	// Dockerfiles say which Dockerfile built which images, in file order.
	Dockerfiles []Dockerfile
	// compiled is Rules compiled, by Parse.
	compiled *rules.Rules
}

// Dockerfile is one entry of dockerfiles:.
type Dockerfile struct {
	// Image is the reference pattern, as for budgets ("*" matches anything).
	Image string
	// Path is the Dockerfile, as written: relative to the config file's
	// directory unless absolute.
	Path      string
	Target    string
	BuildArgs map[string]string
}

// DockerfileFor returns the first dockerfiles: entry whose pattern
// matches ref, its Path made relative to the working directory's view
// (joined to the config file's directory).
func (f *File) DockerfileFor(ref string) (Dockerfile, bool) {
	if f == nil {
		return Dockerfile{}, false
	}
	for _, d := range f.Dockerfiles {
		if budget.MatchImage(d.Image, ref) {
			if !filepath.IsAbs(d.Path) && f.Path != "" {
				d.Path = filepath.Join(filepath.Dir(f.Path), d.Path)
			}
			return d, true
		}
	}
	return Dockerfile{}, false
}

var dockerfileKeys = []string{"image", "dockerfile", "target", "build-args"}

// dockerfileEntry decodes one entry of dockerfiles:.
func dockerfileEntry(n ast.Node) (Dockerfile, error) {
	var d Dockerfile
	err := eachEntry(n, "dockerfiles entry", knownKeys(dockerfileKeys...), func(key string, v ast.Node) error {
		switch key {
		case "image", "dockerfile", "target":
			s, ok := scalar(v)
			if !ok || s == "" {
				return posErrorf("", v, "%s: want a string, not %s", key, describe(v))
			}
			switch key {
			case "image":
				d.Image = s
			case "dockerfile":
				d.Path = s
			default:
				d.Target = s
			}
		case "build-args":
			d.BuildArgs = map[string]string{}
			return eachEntry(v, "build-args", func(string) error { return nil }, func(k string, v ast.Node) error {
				val, ok := scalar(v)
				if !ok {
					return posErrorf("", v, "build-args.%s: want a string, not %s", k, describe(v))
				}
				d.BuildArgs[k] = val
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	if d.Image == "" || d.Path == "" {
		return d, posErrorf("", n, "dockerfiles entry: want image: and dockerfile:")
	}
	return d, nil
}

// Find returns the path and content of the config file in dir or its
// nearest parent, or "" and nil when there is none.
func Find(dir string, read ReadFunc) (string, []byte, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, fmt.Errorf("find config: %w", err)
	}
	for {
		p := filepath.Join(dir, FileName)
		data, err := read(p)
		switch {
		case err == nil:
			return p, data, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", nil, fmt.Errorf("read config: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil, nil
		}
		dir = parent
	}
}

// Load reads and parses the config file at path.
func Load(path string, read ReadFunc) (*File, error) {
	data, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and checks a config document. name is the file name put
// in front of error positions: "NAME:LINE:COL: message".
func Parse(name string, data []byte) (*File, error) {
	f := &File{Path: name}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(name, err)
	}
	if len(file.Docs) > 1 {
		second := ast.Node(file.Docs[1])
		if file.Docs[1].Start != nil {
			second = &ast.StringNode{BaseNode: &ast.BaseNode{}, Token: file.Docs[1].Start} // the "---"
		}
		return nil, posErrorf(name, second, "a config file holds one YAML document, this one has %d", len(file.Docs))
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return f, nil // empty, or comments only
	}
	body := file.Docs[0].Body
	if _, ok := body.(*ast.MappingNode); !ok {
		if _, ok := body.(*ast.MappingValueNode); !ok {
			return nil, posErrorf(name, body, "want a mapping with budgets:, compare: and rules:")
		}
	}
	if err := listsAreLists(body); err != nil {
		return nil, fmt.Errorf("%s:%w", name, err)
	}
	var doc fileDoc
	if err := decodeNode(body, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	for _, n := range doc.Budgets {
		ib, err := imageBudget(n)
		if err != nil {
			return nil, fmt.Errorf("%s:%w", name, err)
		}
		f.Budgets = append(f.Budgets, ib)
	}
	for _, n := range doc.Dockerfiles {
		d, err := dockerfileEntry(n)
		if err != nil {
			return nil, fmt.Errorf("%s:%w", name, err)
		}
		f.Dockerfiles = append(f.Dockerfiles, d)
	}
	if doc.Compare != nil {
		c, err := compareBudget(doc.Compare)
		if err != nil {
			return nil, fmt.Errorf("%s:%w", name, err)
		}
		f.Compare = c
	}
	for i, n := range doc.Rules {
		s, err := rules.DecodeSpec(n)
		var ye yaml.Error
		switch {
		case errors.As(err, &ye):
			return nil, yamlError(name, err)
		case err != nil:
			return nil, posErrorf(name, n, "rules[%d]: %v", i, err)
		}
		f.Rules = append(f.Rules, s)
	}
	if len(f.Rules) > 0 {
		// Compiled once, here: RuleSet merges this set into the defaults.
		if f.compiled, err = rules.Compile(f.Rules); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return f, nil
}

// RuleSet returns the default classification rules with the file's rules
// merged in; the defaults alone when f is nil or has no rules.
func (f *File) RuleSet() (*rules.Rules, error) {
	defaults := rules.Default()
	if f == nil || len(f.Rules) == 0 {
		return defaults, nil
	}
	user := f.compiled
	if user == nil { // a File built in code, not by Parse
		var err error
		if user, err = rules.Compile(f.Rules); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
	}
	merged, err := defaults.Merge(user)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return merged, nil
}

// fileDoc is the top level as goccy decodes it (strictly: an unknown
// top-level key is an error). Below it, budgets are walked node by node,
// so that every bad value, an empty one included, is reported where it
// is written, with a message that names the key rather than a Go type.
type fileDoc struct {
	Budgets []ast.Node `yaml:"budgets"`
	Compare ast.Node   `yaml:"compare"`
	Rules   []ast.Node `yaml:"rules"`
	// Dockerfiles are walked node by node, like budgets.
	Dockerfiles []ast.Node `yaml:"dockerfiles"`
}

// listsAreLists checks that budgets: and rules:, when set, hold lists:
// goccy's decoder dereferences nil when a tagged scalar stands where it
// decodes a slice ("budgets: !!str x").
func listsAreLists(body ast.Node) error {
	var kvs []*ast.MappingValueNode
	switch m := body.(type) {
	case *ast.MappingNode:
		kvs = m.Values
	case *ast.MappingValueNode:
		kvs = []*ast.MappingValueNode{m}
	}
	for _, kv := range kvs {
		k, _ := scalar(kv.Key)
		if k != "budgets" && k != "rules" || kv.Value == nil {
			continue
		}
		switch unwrap(kv.Value).(type) {
		case *ast.SequenceNode, *ast.NullNode:
			continue
		}
		return posErrorf("", kv.Value, "%s: want a list, not %s", k, describe(kv.Value))
	}
	return nil
}

// decodeNode is yaml.NodeToValue, strict, with any panic of the decoder
// (a nil dereference on shapes it does not expect) turned into an error:
// the config file comes with the pull request.
func decodeNode(n ast.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML the decoder cannot read (%v)", r)
		}
	}()
	return yaml.NodeToValue(n, v, yaml.Strict())
}

// eachEntry calls do with the key and value of each pair of a mapping
// node in order, after checking every key: duplicate keys and those
// checkKey rejects are errors, and so is the first error do returns.
// Errors start with "LINE:COL: " (the caller adds the file name).
func eachEntry(n ast.Node, what string, checkKey func(string) error, do func(key string, v ast.Node) error) error {
	var kvs []*ast.MappingValueNode
	switch m := unwrap(n).(type) {
	case *ast.MappingNode:
		kvs = m.Values
	case *ast.MappingValueNode:
		kvs = []*ast.MappingValueNode{m}
	default:
		return posErrorf("", n, "%s: want a mapping, not %s", what, describe(n))
	}
	seen := map[string]bool{}
	for _, kv := range kvs {
		k, _ := scalar(kv.Key)
		if err := checkKey(k); err != nil {
			return posErrorf("", kv.Key, "%v", err)
		}
		if seen[k] {
			return posErrorf("", kv.Key, "%q is set twice", k)
		}
		seen[k] = true
	}
	for _, kv := range kvs {
		k, _ := scalar(kv.Key)
		if err := do(k, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

var budgetKeys = []string{"image", "max-size", "max-compressed-size", "max-layers", "max-category", "max-wasted", "fail-on"}

// imageBudget decodes one entry of budgets:.
func imageBudget(n ast.Node) (budget.ImageBudget, error) {
	var ib budget.ImageBudget
	err := eachEntry(n, "budgets entry", knownKeys(budgetKeys...), func(key string, v ast.Node) (err error) {
		switch key {
		case "image":
			s, ok := scalar(v)
			if !ok {
				return posErrorf("", v, "image: want a reference pattern such as \"ghcr.io/acme/app:*\", not %s", describe(v))
			}
			ib.Image = s
		case "max-size":
			ib.MaxSize, err = sizeValue(v, key)
		case "max-compressed-size":
			ib.MaxCompressedSize, err = sizeValue(v, key)
		case "max-layers":
			s, ok := scalar(v)
			n, perr := parseCount(s)
			if !ok || perr != nil {
				return posErrorf("", v, "max-layers: want a whole number of layers, not %s", describe(v))
			}
			ib.MaxLayers = &n
		case "max-wasted":
			ib.MaxWasted, err = limitValue(v, key, false)
		case "max-category":
			ib.MaxCategory, err = categoryLimits(v)
		case "fail-on":
			ib.FailOn, err = failOn(v)
		}
		return err
	})
	return ib, err
}

func categoryLimits(n ast.Node) (map[model.Category]int64, error) {
	if _, ok := unwrap(n).(*ast.NullNode); ok {
		return nil, posErrorf("", n, "max-category: want a mapping of category to size, e.g. {build-tool: 0}, not an empty value")
	}
	out := map[model.Category]int64{}
	err := eachEntry(n, "max-category", func(k string) error {
		if err := budget.CheckCategory(k); err != nil {
			return fmt.Errorf("max-category: %w", err)
		}
		return nil
	}, func(key string, v ast.Node) error {
		size, err := sizeValue(v, "max-category."+key)
		if err != nil {
			return err
		}
		out[model.Category(key)] = *size
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// knownKeys accepts the given keys only, with goccy's message for others.
func knownKeys(keys ...string) func(string) error {
	return func(k string) error {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("unknown field %q", k)
		}
		return nil
	}
}

func failOn(n ast.Node) ([]string, error) {
	seq, ok := unwrap(n).(*ast.SequenceNode)
	if !ok {
		return nil, posErrorf("", n, "fail-on: want a list of finding ids or categories, e.g. [secret, root-user], not %s", describe(n))
	}
	out := []string{}
	for _, v := range seq.Values {
		s, ok := scalar(v)
		if !ok {
			return nil, posErrorf("", v, "fail-on: want a finding id or category, not %s", describe(v))
		}
		if err := budget.CheckFailOn(s); err != nil {
			return nil, posErrorf("", v, "fail-on: %v", err)
		}
		out = append(out, s)
	}
	return out, nil
}

func compareBudget(n ast.Node) (budget.CompareBudget, error) {
	var c budget.CompareBudget
	if _, ok := unwrap(n).(*ast.NullNode); ok {
		return c, nil // "compare:" with nothing under it
	}
	err := eachEntry(n, "compare", knownKeys("min-savings", "max-growth"), func(key string, v ast.Node) error {
		l, err := limitValue(v, "compare."+key, key == "min-savings")
		if err != nil {
			return err
		}
		if key == "min-savings" {
			c.MinSavings = l
		} else {
			c.MaxGrowth = l
		}
		return nil
	})
	return c, err
}

// sizeValue parses a size node; an empty value is an error.
func sizeValue(n ast.Node, where string) (*int64, error) {
	s, ok := scalar(n)
	if !ok {
		return nil, posErrorf("", n, "%s: want a size such as 50MB or 50MiB, not %s", where, describe(n))
	}
	v, err := budget.ParseSize(s)
	if err != nil {
		return nil, posErrorf("", n, "%v", err) // names the value; the position names the key
	}
	return &v, nil
}

// limitValue parses a size-or-percentage node. upTo100 caps percentages
// that are shares of a whole.
func limitValue(n ast.Node, where string, upTo100 bool) (*budget.Limit, error) {
	s, ok := scalar(n)
	if !ok {
		return nil, posErrorf("", n, "%s: want a size such as 50MB or a percentage such as 10%%, not %s", where, describe(n))
	}
	l, err := budget.ParseLimit(s)
	if err != nil {
		return nil, posErrorf("", n, "%v", err)
	}
	if err := budget.CheckLimit(l, upTo100); err != nil {
		return nil, posErrorf("", n, "%s: %v", where, err)
	}
	return &l, nil
}

// parseCount parses a non-negative whole number written as digits.
func parseCount(s string) (int, error) {
	n := 0
	if s == "" || len(s) > 9 {
		return 0, errors.New("bad count")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("bad count")
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}

// unwrap looks through comments and tags ("!!str 50MB") to the value.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.CommentGroupNode:
			return n
		default:
			return n
		}
	}
}

// scalar is the text of a string or number node. Booleans, nulls, lists
// and mappings are not values any budget takes.
func scalar(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.IntegerNode, *ast.FloatNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// describe names what a bad node is, for error messages. A list item
// with nothing after its "-" is a nil node.
func describe(n ast.Node) string {
	if n == nil {
		return "an empty value"
	}
	switch v := unwrap(n).(type) {
	case *ast.NullNode:
		return "an empty value"
	case *ast.BoolNode:
		return fmt.Sprintf("the boolean %s", v.GetToken().Value)
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	}
	return fmt.Sprintf("%q", n.GetToken().Value)
}

// posErrorf formats "NAME:LINE:COL: message" at n's position, or
// "LINE:COL: message" when name is "" (the caller adds it).
func posErrorf(name string, n ast.Node, format string, args ...any) error {
	pos := "?:?"
	// A block mapping's own token is its first ":"; point at the key
	// instead (a flow mapping's "{" is fine).
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			n = m.Values[0].Key
		}
	case *ast.MappingValueNode:
		n = m.Key
	}
	if n == nil {
		// An empty list item has no token to point at.
	} else if tk := n.GetToken(); tk != nil && tk.Position != nil {
		pos = fmt.Sprintf("%d:%d", tk.Position.Line, tk.Position.Column)
	}
	if name != "" {
		pos = name + ":" + pos
	}
	return fmt.Errorf("%s: %s", pos, fmt.Sprintf(format, args...))
}

// yamlError makes goccy's errors "NAME:LINE:COL: message" on one line.
func yamlError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return fmt.Errorf("%s:%d:%d: %s", name, tk.Position.Line, tk.Position.Column, ye.GetMessage())
		}
		return fmt.Errorf("%s: %s", name, ye.GetMessage())
	}
	return fmt.Errorf("%s: %w", name, err)
}
