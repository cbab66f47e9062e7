package config

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers"
)

// BudgetFlags are the budget flags and the config-file flags of analyze
// and compare. A nil pointer or map is a flag that was not given. Values
// are parsed and checked as the flags are parsed, so a bad value is a
// usage error from the flag set.
type BudgetFlags struct {
	ConfigPath string
	NoConfig   bool

	MaxSize           *int64
	MaxCompressedSize *int64
	MaxLayers         *int
	MaxCategory       map[model.Category]int64
	MaxWasted         *budget.Limit
	FailOn            []string
	// Compare only.
	MinSavings *budget.Limit
	MaxGrowth  *budget.Limit
}

// AddConfigFlags registers --config and --no-config alone on fs: for a
// command that reads the config file's rules but checks no budget
// (suggest), which must not accept budget flags it would ignore.
func AddConfigFlags(fs *pflag.FlagSet, f *BudgetFlags) {
	fs.StringVar(&f.ConfigPath, "config", "", "config file with budgets and rules (default: "+FileName+" in this directory or the nearest parent)")
	fs.BoolVar(&f.NoConfig, "no-config", false, "read no config file")
}

// AddBudgetFlags registers the config flags and the budgets of one image
// on fs (analyze): not the compare-only --min-savings and --max-growth,
// which analyze neither lists nor accepts.
func AddBudgetFlags(fs *pflag.FlagSet, f *BudgetFlags) {
	AddConfigFlags(fs, f)
	fs.Var(&sizeFlag{&f.MaxSize}, "max-size", "budget: max content size, e.g. 200MB (SI) or 190MiB (IEC)")
	fs.Var(&sizeFlag{&f.MaxCompressedSize}, "max-compressed-size", "budget: max compressed size, what a pull transfers (needs a registry or OCI source)")
	fs.Var(&countFlag{&f.MaxLayers}, "max-layers", "budget: max number of layers")
	fs.Var(&categoryFlag{&f.MaxCategory}, "max-category", "budget: max bytes of a category, CATEGORY=SIZE, e.g. build-tool=0 (repeatable)")
	fs.Var(&limitFlag{p: &f.MaxWasted}, "max-wasted", "budget: max bytes deleted or overwritten by later layers, a size or % of the content size")
	fs.Var(&failOnFlag{&f.FailOn}, "fail-on", "budget: fail when a finding id or category is present, e.g. secret,root-user (repeatable)")
}

// AddCompareBudgetFlags registers AddBudgetFlags's flags and the
// compare-only budgets on fs (compare).
func AddCompareBudgetFlags(fs *pflag.FlagSet, f *BudgetFlags) {
	AddBudgetFlags(fs, f)
	fs.Var(&limitFlag{p: &f.MinSavings, upTo100: true}, "min-savings", "compare budget: min ΔS = A − B, a size or % of A")
	fs.Var(&limitFlag{p: &f.MaxGrowth}, "max-growth", "compare budget: max growth B − A, a size or % of A")
}

// UsageError is a mistake in how the flags were combined; commands report
// it as a usage error (exit 2, with the usage text).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Resolve reads the config file the flags name (--config, else the
// nearest FileName at or above cwd, none with --no-config) and merges the
// budget flags over it. The file is nil when none was read; the budgets
// are nil when neither the file nor the flags set any. read is
// ReadConfigFile when nil. compare says which command asks: the compare-only
// flags are a UsageError for analyze.
func Resolve(f *BudgetFlags, cwd string, read ReadFunc, compare bool) (*File, *budget.Budgets, error) {
	if read == nil {
		read = ReadConfigFile
	}
	if !compare && (f.MinSavings != nil || f.MaxGrowth != nil) {
		return nil, nil, &UsageError{errors.New("--min-savings and --max-growth apply to compare only")}
	}
	file, err := f.load(cwd, read)
	if err != nil {
		return nil, nil, err
	}
	b := f.merge(file, cwd)
	if b.Empty() {
		return file, nil, nil
	}
	// Each value was checked as it was parsed, where an error can name
	// its line or flag; this is the same check on the merged whole.
	if err := b.Validate(); err != nil {
		return nil, nil, err
	}
	return file, b, nil
}

func (f *BudgetFlags) load(cwd string, read ReadFunc) (*File, error) {
	switch {
	case f.NoConfig && f.ConfigPath != "":
		return nil, &UsageError{errors.New("--config and --no-config contradict each other")}
	case f.NoConfig:
		return nil, nil
	case f.ConfigPath != "":
		p := f.ConfigPath
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		return Load(p, read)
	}
	path, data, err := Find(cwd, read)
	if err != nil || path == "" {
		return nil, err
	}
	return Parse(path, data)
}

// merge returns the file's budgets with the flags over them. A flag
// replaces its rule everywhere: a file budget loses that rule (so
// --max-size 300MB can relax a file's 200MB for one run), and the flags
// form one more budget that applies to every image. --max-category
// replaces per category; --fail-on replaces the file's lists.
func (f *BudgetFlags) merge(file *File, cwd string) *budget.Budgets {
	b := &budget.Budgets{}
	var sources []string
	if file != nil {
		for _, ib := range file.Budgets {
			ib = f.without(ib)
			if hasRules(ib) {
				b.Images = append(b.Images, ib)
			}
		}
		b.Compare = file.Compare
		if len(file.Budgets) > 0 || file.Compare != (budget.CompareBudget{}) {
			sources = append(sources, displayPath(file.Path, cwd))
		}
	}
	fb := budget.ImageBudget{
		MaxSize: f.MaxSize, MaxCompressedSize: f.MaxCompressedSize, MaxLayers: f.MaxLayers,
		MaxCategory: maps.Clone(f.MaxCategory), MaxWasted: f.MaxWasted, FailOn: slices.Clone(f.FailOn),
	}
	set := hasRules(fb)
	if set {
		b.Images = append(b.Images, fb)
	}
	if f.MinSavings != nil {
		b.Compare.MinSavings, set = f.MinSavings, true
	}
	if f.MaxGrowth != nil {
		b.Compare.MaxGrowth, set = f.MaxGrowth, true
	}
	if set {
		sources = append(sources, "flags")
	}
	b.Source = strings.Join(sources, " + ")
	return b
}

// without returns a copy of ib less the rules the flags set.
func (f *BudgetFlags) without(ib budget.ImageBudget) budget.ImageBudget {
	if f.MaxSize != nil {
		ib.MaxSize = nil
	}
	if f.MaxCompressedSize != nil {
		ib.MaxCompressedSize = nil
	}
	if f.MaxLayers != nil {
		ib.MaxLayers = nil
	}
	if f.MaxWasted != nil {
		ib.MaxWasted = nil
	}
	if f.FailOn != nil {
		ib.FailOn = nil
	}
	ib.MaxCategory = maps.Clone(ib.MaxCategory)
	for cat := range f.MaxCategory {
		delete(ib.MaxCategory, cat)
	}
	if len(ib.MaxCategory) == 0 {
		ib.MaxCategory = nil
	}
	return ib
}

func hasRules(ib budget.ImageBudget) bool {
	return ib.MaxSize != nil || ib.MaxCompressedSize != nil || ib.MaxLayers != nil ||
		len(ib.MaxCategory) > 0 || ib.MaxWasted != nil || len(ib.FailOn) > 0
}

// displayPath shows a config path relative to cwd when it is at or below
// it, as a user would type it.
func displayPath(p, cwd string) string {
	if rel, err := filepath.Rel(cwd, p); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return p
}

// The flag values. Each parses and checks its value in Set, so pflag
// reports a bad one as "invalid argument ... for --flag: reason".

type sizeFlag struct{ p **int64 }

func (v *sizeFlag) Set(s string) error {
	n, err := budget.ParseSize(s)
	if err != nil {
		return err
	}
	*v.p = &n
	return nil
}

func (v *sizeFlag) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.FormatInt(**v.p, 10)
}

func (v *sizeFlag) Type() string { return "size" }

type limitFlag struct {
	p       **budget.Limit
	upTo100 bool
}

func (v *limitFlag) Set(s string) error {
	l, err := budget.ParseLimit(s)
	if err != nil {
		return err
	}
	if err := budget.CheckLimit(l, v.upTo100); err != nil {
		return err
	}
	*v.p = &l
	return nil
}

func (v *limitFlag) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return (*v.p).String()
}

func (v *limitFlag) Type() string { return "size|percent" }

type countFlag struct{ p **int }

func (v *countFlag) Set(s string) error {
	n, err := parseCount(s)
	if err != nil {
		return fmt.Errorf("want a whole number, not %q", s)
	}
	*v.p = &n
	return nil
}

func (v *countFlag) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.Itoa(**v.p)
}

func (v *countFlag) Type() string { return "int" }

// categoryFlag takes CATEGORY=SIZE, comma-separated or repeated; a later
// value for the same category wins.
type categoryFlag struct {
	m *map[model.Category]int64
}

func (v *categoryFlag) Set(s string) error {
	for kv := range strings.SplitSeq(s, ",") {
		cat, size, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return fmt.Errorf("want CATEGORY=SIZE, e.g. build-tool=0, not %q", kv)
		}
		if err := budget.CheckCategory(cat); err != nil {
			return err
		}
		n, err := budget.ParseSize(size)
		if err != nil {
			return fmt.Errorf("%s: %w", cat, err)
		}
		if *v.m == nil {
			*v.m = map[model.Category]int64{}
		}
		(*v.m)[model.Category(cat)] = n
	}
	return nil
}

func (v *categoryFlag) String() string {
	if v.m == nil || len(*v.m) == 0 {
		return ""
	}
	var parts []string
	for _, c := range model.Categories() {
		if n, ok := (*v.m)[c]; ok {
			parts = append(parts, fmt.Sprintf("%s=%d", c, n))
		}
	}
	return strings.Join(parts, ",")
}

func (v *categoryFlag) Type() string { return "category=size" }

// failOnFlag takes finding ids and categories, comma-separated or
// repeated.
type failOnFlag struct{ p *[]string }

func (v *failOnFlag) Set(s string) error {
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if err := budget.CheckFailOn(name); err != nil {
			return err
		}
		if !slices.Contains(*v.p, name) {
			*v.p = append(*v.p, name)
		}
	}
	return nil
}

func (v *failOnFlag) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

func (v *failOnFlag) Type() string { return "ids" }

// MaxFileSize caps what ReadConfigFile reads: a real .imgdiff.yaml is a
// few kB.
const MaxFileSize = 1 << 20

// ReadConfigFile reads a config file that must be a regular file of at
// most MaxFileSize bytes: a FIFO or a link to /dev/zero is refused at once
// instead of hanging the run or exhausting its memory.
func ReadConfigFile(p string) ([]byte, error) {
	return layers.ReadRegularFile(p, MaxFileSize)
}
