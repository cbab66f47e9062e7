package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"

	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rules"
)

func ptr[T any](v T) *T { return &v }

// memFS is a ReadFunc over an in-memory tree of absolute paths.
type memFS map[string]string

func (m memFS) read(name string) ([]byte, error) {
	if s, ok := m[name]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

const full = `# every key
budgets:
  - image: "ghcr.io/acme/app:*"
    max-size: 150MB
    max-compressed-size: 60MiB
    max-layers: 20
    max-wasted: 5%
    max-category: {build-tool: 0, cache: 1.5MB}
    fail-on: [secret, root-user]
  - max-wasted: 10MiB
compare:
  min-savings: 30%
  max-growth: 5MB
rules:
  - id: acme-sdk
    category: build-tool
    reason: our SDK is build-time only
    paths: ["opt/acme-sdk/**"]
`

func TestParse(t *testing.T) {
	f, err := Parse("/repo/.imgdiff.yaml", []byte(full))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Path: "/repo/.imgdiff.yaml",
		Budgets: []budget.ImageBudget{
			{
				Image: "ghcr.io/acme/app:*", MaxSize: ptr[int64](150_000_000), MaxCompressedSize: ptr[int64](60 << 20),
				MaxLayers: ptr(20), MaxWasted: &budget.Limit{Percent: 5, IsPercent: true},
				MaxCategory: map[model.Category]int64{model.BuildTool: 0, model.Cache: 1_500_000},
				FailOn:      []string{"secret", "root-user"},
			},
			{MaxWasted: &budget.Limit{Bytes: 10 << 20}},
		},
		Compare: budget.CompareBudget{MinSavings: &budget.Limit{Percent: 30, IsPercent: true}, MaxGrowth: &budget.Limit{Bytes: 5_000_000}},
		Rules:   []rules.Spec{{ID: "acme-sdk", Category: model.BuildTool, Reason: "our SDK is build-time only", Paths: []string{"opt/acme-sdk/**"}}},
	}
	if diff := cmp.Diff(want, f, cmpopts.IgnoreUnexported(File{})); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	rs, err := f.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	if n, d := len(rs.Specs()), len(rules.Default().Specs()); n != d+1 {
		t.Errorf("RuleSet has %d rules, want the %d defaults plus acme-sdk", n, d)
	}
	// Budgets from the file are valid budgets.
	if err := (&budget.Budgets{Images: f.Budgets, Compare: f.Compare}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, doc := range []string{"", "# nothing yet\n", "budgets:\n", "budgets: []\ncompare:\nrules: []\n"} {
		f, err := Parse("c.yaml", []byte(doc))
		if err != nil || len(f.Budgets) != 0 || f.Compare != (budget.CompareBudget{}) || len(f.Rules) != 0 {
			t.Errorf("Parse(%q) = %+v, %v; want an empty config", doc, f, err)
		}
	}
}

// Every bad config names file:line:column and what is wrong.
func TestParseErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"unknown top-level key", "budget:\n  - max-size: 1MB\n", `c.yaml:1:1: unknown field "budget"`},
		{"unknown budget key", "budgets:\n  - image: \"*\"\n    max-sise: 1MB\n", `c.yaml:3:5: unknown field "max-sise"`},
		{"unknown compare key", "compare:\n  max-growth: 5%\n  min-saving: 1%\n", `c.yaml:3:3: unknown field "min-saving"`},
		{"duplicate key", "budgets:\n  - max-size: 1MB\n    max-size: 2MB\n", `c.yaml:3:5:`},
		{"bad unit", "budgets:\n  - max-size: 12 parsecs\n", `c.yaml:2:15: size "12 parsecs": unknown unit "parsecs"`},
		{"fractional bytes", "budgets:\n  - max-compressed-size: 1.5B\n", `c.yaml:2:26: size "1.5B" is not a whole number of bytes`},
		{"percentage where a size is due", "budgets:\n  - max-size: 10%\n", `c.yaml:2:15: size "10%": a percentage is not allowed here`},
		{"negative size", "budgets:\n  - max-size: -1MB\n", `c.yaml:2:15: size "-1MB"`},
		{"empty size", "budgets:\n  - max-size:\n", `c.yaml:2:15: max-size: want a size such as 50MB or 50MiB, not an empty value`},
		{"boolean size", "budgets:\n  - max-size: yes\n", `c.yaml:2:15:`},
		{"list size", "budgets:\n  - max-size: [1]\n", `c.yaml:2:15: max-size: want a size such as 50MB or 50MiB, not a list`},
		{"layers not a number", "budgets:\n  - max-layers: many\n", `c.yaml:2:17: max-layers: want a whole number of layers, not "many"`},
		{"layers fractional", "budgets:\n  - max-layers: 1.5\n", `c.yaml:2:17: max-layers: want a whole number`},
		{"layers negative", "budgets:\n  - max-layers: -1\n", `c.yaml:2:17: max-layers: want a whole number`},
		{"unknown category", "budgets:\n  - max-category:\n      compilers: 0\n", `c.yaml:3:7: max-category: unknown category "compilers"`},
		{"category not a map", "budgets:\n  - max-category: 0\n", `c.yaml:2:19: max-category: want a mapping`},
		{"category bad size", "budgets:\n  - max-category: {cache: lots}\n", `c.yaml:2:27: size "lots"`},
		{"fail-on not a list", "budgets:\n  - fail-on: secret\n", `c.yaml:2:14: fail-on: want a list of finding ids or categories`},
		{"fail-on unknown id", "budgets:\n  - fail-on: [secret, roots]\n", `c.yaml:2:23: fail-on: unknown finding or category "roots"`},
		{"bad percentage", "budgets:\n  - max-wasted: 5 %%\n", `c.yaml:2:17: percentage "5 %%"`},
		{"negative percentage", "compare:\n  max-growth: -5%\n", `c.yaml:2:15: percentage "-5%"`},
		{"impossible saving", "compare:\n  min-savings: 101%\n", `c.yaml:2:16: compare.min-savings: 101% can never be met`},
		{"image not a string", "budgets:\n  - image: {a: b}\n", `c.yaml:2:12: image: want a reference pattern`},
		{"budgets not a list", "budgets:\n  max-size: 1MB\n", `c.yaml:2:`},
		{"budget not a mapping", "budgets:\n  - 50MB\n", `c.yaml:2:5: budgets entry: want a mapping, not "50MB"`},
		{"not a mapping", "- a\n", `c.yaml:1:1: want a mapping with budgets:, compare: and rules:`},
		{"syntax", "budgets: [\n", `c.yaml:1:10:`},
		{"two documents", "budgets: []\n---\nbudgets: []\n", `c.yaml:2:1: a config file holds one YAML document`},
		{"rule unknown key", "rules:\n  - id: x\n    categry: source\n", `c.yaml:3:5: unknown field "categry"`},
		{"rule bad category", "rules:\n  - id: x\n    category: nope\n    reason: r\n    paths: [a]\n", `c.yaml:2:5: rules[0]: `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse("c.yaml", []byte(c.doc))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", f)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %q\nwant prefix  %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestFind(t *testing.T) {
	m := memFS{
		"/repo/.imgdiff.yaml":          "budgets: []\n",
		"/repo/svc/api/.imgdiff.yaml":  "budgets: []\n",
		"/elsewhere/.imgdiff.yaml/x":   "a directory of that name is not the file",
		"/locked/sub/.imgdiff.yaml/..": "",
	}
	cases := []struct{ cwd, want string }{
		{"/repo", "/repo/.imgdiff.yaml"},
		{"/repo/svc/web/src", "/repo/.imgdiff.yaml"},
		{"/repo/svc/api", "/repo/svc/api/.imgdiff.yaml"},
		{"/repo/svc/api/cmd", "/repo/svc/api/.imgdiff.yaml"},
		{"/tmp/x", ""},
	}
	for _, c := range cases {
		p, data, err := Find(c.cwd, m.read)
		if err != nil || p != c.want || (p != "" && string(data) != m[p]) {
			t.Errorf("Find(%s) = %q, %q, %v; want %q", c.cwd, p, data, err, c.want)
		}
	}
	// A read error other than "not there" stops the walk.
	denied := func(name string) ([]byte, error) {
		if name == "/a/.imgdiff.yaml" {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		return nil, fs.ErrNotExist
	}
	if _, _, err := Find("/a/b", denied); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Find with an unreadable file: %v, want ErrPermission", err)
	}
}

// parseFlags registers the budget flags on a fresh flag set and parses
// args.
func parseFlags(t *testing.T, args ...string) (*BudgetFlags, error) {
	t.Helper()
	var f BudgetFlags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(&strings.Builder{})
	AddCompareBudgetFlags(fs, &f)
	return &f, fs.Parse(args)
}

func TestBudgetFlags(t *testing.T) {
	f, err := parseFlags(t,
		"--max-size", "200MB", "--max-compressed-size=80MiB", "--max-layers", "0",
		"--max-category", "build-tool=0", "--max-category", "cache=1MB,source=2KiB", "--max-category", "cache=3MB",
		"--max-wasted", "5%", "--fail-on", "secret", "--fail-on", "root-user,vcs,secret",
		"--min-savings", "1.5GB", "--max-growth", "10%", "--config", "ci/budgets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &BudgetFlags{
		ConfigPath: "ci/budgets.yaml",
		MaxSize:    ptr[int64](200_000_000), MaxCompressedSize: ptr[int64](80 << 20), MaxLayers: ptr(0),
		MaxCategory: map[model.Category]int64{model.BuildTool: 0, model.Cache: 3_000_000, model.Source: 2048},
		MaxWasted:   &budget.Limit{Percent: 5, IsPercent: true},
		FailOn:      []string{"secret", "root-user", "vcs"},
		MinSavings:  &budget.Limit{Bytes: 1_500_000_000},
		MaxGrowth:   &budget.Limit{Percent: 10, IsPercent: true},
	}
	if diff := cmp.Diff(want, f, cmpopts.IgnoreUnexported(File{})); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}

	// Nothing given: every budget field stays nil.
	if f, err := parseFlags(t); err != nil || !cmp.Equal(f, &BudgetFlags{}) {
		t.Errorf("no flags: %+v, %v", f, err)
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--max-size", "5 apples"}, `invalid argument "5 apples" for "--max-size" flag: size "5 apples"`},
		{[]string{"--max-size", "-5MB"}, `for "--max-size" flag: size "-5MB"`},
		{[]string{"--max-size", "10%"}, "a percentage is not allowed here"},
		{[]string{"--max-layers", "-1"}, `for "--max-layers" flag: want a whole number`},
		{[]string{"--max-layers", "many"}, "want a whole number"},
		{[]string{"--max-category", "build-tool"}, "want CATEGORY=SIZE"},
		{[]string{"--max-category", "compilers=0"}, `unknown category "compilers"`},
		{[]string{"--max-category", "cache=lots"}, `cache: size "lots"`},
		{[]string{"--fail-on", "no-such-thing"}, "unknown finding or category"},
		{[]string{"--max-wasted", "x%"}, "percentage"},
		{[]string{"--min-savings", "120%"}, "can never be met"},
		{[]string{"--max-growth", "-1%"}, "percentage"},
	}
	for _, c := range bad {
		if _, err := parseFlags(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

func TestResolve(t *testing.T) {
	m := memFS{
		"/repo/.imgdiff.yaml":  "budgets:\n  - image: \"*app*\"\n    max-size: 100MB\n    max-layers: 10\n    max-category: {build-tool: 0, cache: 1MB}\n    fail-on: [secret]\n  - image: other\n    max-size: 1MB\ncompare:\n  max-growth: 5%\n",
		"/repo/ci/strict.yaml": "budgets:\n  - max-layers: 3\n",
		"/repo/ci/bad.yaml":    "budgets:\n  - max-layers: lots\n",
	}
	// repoFile is what /repo/.imgdiff.yaml says, read from source.
	repoFile := func(source string) *budget.Budgets {
		return &budget.Budgets{
			Source: source,
			Images: []budget.ImageBudget{
				{Image: "*app*", MaxSize: ptr[int64](1e8), MaxLayers: ptr(10), MaxCategory: map[model.Category]int64{"build-tool": 0, "cache": 1e6}, FailOn: []string{"secret"}},
				{Image: "other", MaxSize: ptr[int64](1e6)},
			},
			Compare: budget.CompareBudget{MaxGrowth: &budget.Limit{Percent: 5, IsPercent: true}},
		}
	}
	cases := []struct {
		name    string
		cwd     string
		args    []string
		compare bool
		file    string // the File's path, "" for none
		want    *budget.Budgets
	}{
		{"file found by walking up", "/repo/svc", nil, true, "/repo/.imgdiff.yaml", repoFile("/repo/.imgdiff.yaml")},
		{"source relative to cwd", "/repo", nil, false, "/repo/.imgdiff.yaml", repoFile(".imgdiff.yaml")},
		{"flags replace the file's rules", "/repo", []string{"--max-size", "300MB", "--max-category", "cache=0", "--fail-on", "root-user", "--max-growth", "1MB"}, true, "/repo/.imgdiff.yaml", &budget.Budgets{
			Source: ".imgdiff.yaml + flags",
			Images: []budget.ImageBudget{
				// The file's max-size, cache limit and fail-on give way;
				// the second budget had only max-size, so it goes.
				{Image: "*app*", MaxLayers: ptr(10), MaxCategory: map[model.Category]int64{"build-tool": 0}},
				{MaxSize: ptr[int64](3e8), MaxCategory: map[model.Category]int64{"cache": 0}, FailOn: []string{"root-user"}},
			},
			Compare: budget.CompareBudget{MaxGrowth: &budget.Limit{Bytes: 1e6}},
		}},
		{"--config relative to cwd", "/repo", []string{"--config", "ci/strict.yaml"}, false, "/repo/ci/strict.yaml", &budget.Budgets{
			Source: "ci/strict.yaml", Images: []budget.ImageBudget{{MaxLayers: ptr(3)}},
		}},
		{"--no-config with flags", "/repo", []string{"--no-config", "--max-layers", "2"}, false, "", &budget.Budgets{
			Source: "flags", Images: []budget.ImageBudget{{MaxLayers: ptr(2)}},
		}},
		{"--no-config alone: no budgets", "/repo", []string{"--no-config"}, false, "", nil},
		{"no file, no flags: no budgets", "/tmp", nil, true, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := parseFlags(t, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			file, b, err := Resolve(f, c.cwd, m.read, c.compare)
			if err != nil {
				t.Fatal(err)
			}
			if got := pathOf(file); got != c.file {
				t.Errorf("file %q, want %q", got, c.file)
			}
			if diff := cmp.Diff(c.want, b); diff != "" {
				t.Errorf("budgets (-want +got):\n%s", diff)
			}
			if b != nil {
				if err := b.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}

	// Merging must not change the file's own budgets (a second command in
	// the same process would see them cut).
	f, _ := parseFlags(t, "--max-category", "cache=0")
	file, _, _ := Resolve(f, "/repo", m.read, false)
	if file.Budgets[0].MaxCategory["cache"] != 1e6 {
		t.Errorf("Resolve changed the file's budgets: %+v", file.Budgets[0])
	}

	errs := []struct {
		args    []string
		compare bool
		want    string
		usage   bool
	}{
		{[]string{"--config", "ci/bad.yaml"}, false, "/repo/ci/bad.yaml:2:17: max-layers: want a whole number", false},
		{[]string{"--config", "ci/none.yaml"}, false, "read config", false},
		{[]string{"--config", "x.yaml", "--no-config"}, false, "contradict", true},
		{[]string{"--min-savings", "10%"}, false, "compare only", true},
		{[]string{"--max-growth", "1MB"}, false, "compare only", true},
	}
	for _, c := range errs {
		f, err := parseFlags(t, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Resolve(f, "/repo", m.read, c.compare)
		var ue *UsageError
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.As(err, &ue) != c.usage {
			t.Errorf("%v: %v, want %q (usage error: %v)", c.args, err, c.want, c.usage)
		}
	}
}

func pathOf(f *File) string {
	if f == nil {
		return ""
	}
	return f.Path
}

// The real file system, through the default reader: the path in errors
// is the one on disk.
func TestResolveOnDisk(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte("budgets:\n  - max-size: 5 parsecs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Resolve(&BudgetFlags{}, sub, nil, false)
	if err == nil || !strings.HasPrefix(err.Error(), p+":2:15: ") {
		t.Errorf("Resolve: %v, want an error at %s:2:15", err, p)
	}
}

func TestDockerfiles(t *testing.T) {
	f, err := Parse("/repo/.imgdiff.yaml", []byte(`dockerfiles:
  - image: "ghcr.io/acme/app:*"
    dockerfile: build/Dockerfile
    target: runtime
    build-args: {VERSION: "1.2", DEBUG: "0"}
  - image: "*"
    dockerfile: /abs/Dockerfile
`))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := f.DockerfileFor("ghcr.io/acme/app:pr-1")
	want := Dockerfile{Image: "ghcr.io/acme/app:*", Path: filepath.Join("/repo", "build/Dockerfile"), Target: "runtime", BuildArgs: map[string]string{"VERSION": "1.2", "DEBUG": "0"}}
	if !ok || !cmp.Equal(d, want) {
		t.Errorf("DockerfileFor(app) = %+v, %v; want %+v", d, ok, want)
	}
	if d, ok := f.DockerfileFor("other:1"); !ok || d.Path != "/abs/Dockerfile" {
		t.Errorf("DockerfileFor(other) = %+v, %v; want the catch-all", d, ok)
	}
	var nilFile *File
	if _, ok := nilFile.DockerfileFor("x"); ok {
		t.Error("a nil file has a Dockerfile")
	}
	for _, bad := range []struct{ doc, want string }{
		{"dockerfiles:\n  - image: x\n    dockerfil: D\n", `c.yaml:3:5: unknown field "dockerfil"`},
		{"dockerfiles:\n  - image: x\n", "want image: and dockerfile:"},
		{"dockerfiles:\n  - image: x\n    dockerfile: D\n    build-args: [A]\n", "build-args: want a mapping"},
	} {
		_, err := Parse("c.yaml", []byte(bad.doc))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.doc, err, bad.want)
		}
	}
}
