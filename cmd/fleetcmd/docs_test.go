package fleetcmd

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/cmdutil/cmdtest"
)

// docBlocks returns the yaml code blocks of docs/fleet.md.
func docBlocks(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// docBlock is the one yaml block of docs/fleet.md that holds marker,
// decoded strictly into v (a field v does not know is an error: a typo
// in the manifest fails here, not in the user's cluster).
func docBlock(t *testing.T, marker string, v any) {
	t.Helper()
	var found []string
	for _, b := range docBlocks(t) {
		if strings.Contains(b, marker) {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("docs/fleet.md: %d yaml blocks hold %q, want 1", len(found), marker)
	}
	if err := yaml.UnmarshalWithOptions([]byte(found[0]), v, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("docs/fleet.md: the %q block: %v", marker, err)
	}
}

// parseScan parses args as `imgdiff fleet scan` does and returns the
// shard it resolves with env.
func parseScan(t *testing.T, args []string, env map[string]string) (opts *ScanOptions, shard, shards int) {
	t.Helper()
	ios, _, _ := cmdutil.Test()
	ios.Getenv = func(k string) string { return env[k] }
	cmd := NewCmdScan(ios, func(_ context.Context, o *ScanOptions) error { opts = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(ios.ErrOut)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("imgdiff fleet scan %q: %v", args, err)
	}
	i, n, err := parseShard(opts.Shard, opts.Shards, ios.Getenv)
	if err != nil {
		t.Fatalf("imgdiff fleet scan %q: %v", args, err)
	}
	return opts, i, n
}

// words splits a documented shell line whose quoted words hold no
// spaces.
func words(line string, vars map[string]string) []string {
	for k, v := range vars {
		line = strings.ReplaceAll(line, k, v)
	}
	f := strings.Fields(line)
	for i, w := range f {
		f[i] = strings.Trim(w, `"'`)
	}
	return f
}

type workflowStep struct {
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
}

type workflow struct {
	Name        string            `yaml:"name"`
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]struct {
		RunsOn   string `yaml:"runs-on"`
		Needs    string `yaml:"needs"`
		If       string `yaml:"if"`
		Strategy struct {
			FailFast *bool `yaml:"fail-fast"`
			Matrix   struct {
				Shard []int `yaml:"shard"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []workflowStep `yaml:"steps"`
	} `yaml:"jobs"`
}

// The GitHub Actions workflow in docs/fleet.md is valid YAML with the
// fields Actions reads; its matrix gives every shard of N exactly once,
// each scan step parses as `imgdiff fleet scan` parses it, and the report
// runs after the scans.
func TestDocsWorkflow(t *testing.T) {
	var w workflow
	docBlock(t, "strategy:", &w)
	scan, report := w.Jobs["scan"], w.Jobs["report"]
	if len(w.Jobs) != 2 || scan.RunsOn == "" || report.RunsOn == "" {
		t.Fatalf("jobs %v: want scan and report, each with runs-on", slices.Collect(func(yield func(string) bool) {
			for k := range w.Jobs {
				yield(k)
			}
		}))
	}
	if report.Needs != "scan" {
		t.Errorf("report needs %q, want scan", report.Needs)
	}
	if w.Permissions["packages"] != "write" {
		t.Errorf("permissions %v: the scan pushes entries to GHCR (packages: write)", w.Permissions)
	}
	if scan.Strategy.FailFast == nil || *scan.Strategy.FailFast {
		t.Error("the matrix must not fail fast: one failed shard leaves the others' entries useful")
	}
	vars := map[string]string{`"$IMAGES"`: w.Env["IMAGES"], `"$STORE"`: strings.ReplaceAll(w.Env["STORE"], "${{ github.repository_owner }}", "octo")}
	seen := map[int]int{}
	var n0 int
	for _, m := range scan.Strategy.Matrix.Shard {
		var runs int
		for _, s := range scan.Steps {
			if !strings.HasPrefix(s.Run, "imgdiff fleet scan") {
				continue
			}
			runs++
			vars["${{ matrix.shard }}"] = strconv.Itoa(m)
			opts, i, n := parseScan(t, words(s.Run, vars)[3:], nil)
			if opts.Select.FromFile != "images.txt" || opts.Select.Store != "docker://ghcr.io/octo/imgdiff-store" {
				t.Errorf("scan step %q: --from-file %q --store %q", s.Run, opts.Select.FromFile, opts.Select.Store)
			}
			if n0 != 0 && n != n0 {
				t.Errorf("shard %d/%d, others of %d", i, n, n0)
			}
			n0 = n
			seen[i]++
		}
		if runs != 1 {
			t.Fatalf("the scan job has %d imgdiff fleet scan steps, want 1", runs)
		}
	}
	if n0 == 0 || len(seen) != n0 {
		t.Errorf("the matrix gives shards %v of %d: want each of 0..%d once", seen, n0, n0-1)
	}
	for i := range n0 {
		if seen[i] != 1 {
			t.Errorf("shard %d/%d: in the matrix %d times, want 1", i, n0, seen[i])
		}
	}
	var reports int
	for _, s := range report.Steps {
		if !strings.HasPrefix(s.Run, "imgdiff fleet report") {
			continue
		}
		reports++
		args := words(s.Run, vars)[3:]
		if k := slices.IndexFunc(args, func(w string) bool { return strings.HasPrefix(w, ">") }); k >= 0 {
			args = args[:k] // up to the redirection
		}
		got, err := cmdtest.Parse(NewCmdReport, args...)
		if err != nil {
			t.Fatalf("%q: %v", s.Run, err)
		}
		if f := fmt.Sprint(got.Output.Format); f != "markdown" && f != "csv" {
			t.Errorf("%q: -o %q", s.Run, f)
		}
	}
	if reports != 2 {
		t.Errorf("%d report steps, want 2 (markdown to the summary, csv to an artifact)", reports)
	}
}

type indexedJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode       string `yaml:"completionMode"`
		Completions          int    `yaml:"completions"`
		Parallelism          int    `yaml:"parallelism"`
		BackoffLimitPerIndex int    `yaml:"backoffLimitPerIndex"`
		Template             struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Name  string   `yaml:"name"`
					Image string   `yaml:"image"`
					Args  []string `yaml:"args"`
					Env   []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
						ReadOnly  bool   `yaml:"readOnly"`
					} `yaml:"volumeMounts"`
					Resources struct {
						Requests map[string]string `yaml:"requests"`
					} `yaml:"resources"`
				} `yaml:"containers"`
				Volumes []struct {
					Name   string `yaml:"name"`
					Secret struct {
						SecretName string `yaml:"secretName"`
						Items      []struct {
							Key  string `yaml:"key"`
							Path string `yaml:"path"`
						} `yaml:"items"`
					} `yaml:"secret"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// The Kubernetes Indexed Job in docs/fleet.md is valid YAML with the
// fields batch/v1 defines; each pod's JOB_COMPLETION_INDEX with the
// manifest's IMGDIFF_FLEET_SHARDS gives it its own shard of the
// completions, as the scan command parses its arguments.
func TestDocsIndexedJob(t *testing.T) {
	var j indexedJob
	docBlock(t, "kind: Job", &j)
	s := j.Spec
	if j.APIVersion != "batch/v1" || s.CompletionMode != "Indexed" || s.Completions < 1 {
		t.Fatalf("%s %s, completionMode %q, completions %d: want an Indexed batch/v1 Job", j.APIVersion, j.Kind, s.CompletionMode, s.Completions)
	}
	// backoffLimitPerIndex needs restartPolicy Never.
	if s.BackoffLimitPerIndex > 0 && s.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("backoffLimitPerIndex with restartPolicy %q: Kubernetes wants Never", s.Template.Spec.RestartPolicy)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(s.Template.Spec.Containers))
	}
	c := s.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["IMGDIFF_FLEET_SHARDS"] != strconv.Itoa(s.Completions) {
		t.Errorf("IMGDIFF_FLEET_SHARDS=%q, completions %d: they must agree", env["IMGDIFF_FLEET_SHARDS"], s.Completions)
	}
	volumes := map[string]bool{}
	for _, v := range s.Template.Spec.Volumes {
		volumes[v.Name] = true
	}
	for _, m := range c.VolumeMounts {
		if !volumes[m.Name] {
			t.Errorf("volume mount %s names no volume", m.Name)
		}
		if m.MountPath == env["DOCKER_CONFIG"] && !m.ReadOnly {
			t.Errorf("the credentials are mounted writable")
		}
	}
	if len(c.Args) < 2 || c.Args[0] != "fleet" || c.Args[1] != "scan" {
		t.Fatalf("args %q: want fleet scan ...", c.Args)
	}
	for k := range s.Completions {
		env["JOB_COMPLETION_INDEX"] = strconv.Itoa(k) // Kubernetes sets it in each pod
		opts, i, n := parseScan(t, c.Args[2:], env)
		if i != k || n != s.Completions {
			t.Errorf("pod %d: shard %d/%d, want %d/%d", k, i, n, k, s.Completions)
		}
		if !strings.HasPrefix(opts.Select.Store, "docker://") || len(opts.Select.Selectors) == 0 {
			t.Errorf("pod %d: selectors %q, store %q", k, opts.Select.Selectors, opts.Select.Store)
		}
	}
}
