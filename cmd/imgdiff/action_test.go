package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/goccy/go-yaml"
)

// actionFile is action.yml, decoded strictly so that a misspelt key
// (ouputs:) fails the test.
type actionFile struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Author      string            `yaml:"author"`
	Branding    map[string]string `yaml:"branding"`
	Inputs      map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Env   map[string]string `yaml:"env"`
	With  map[string]any    `yaml:"with"`
}

type workflowFile struct {
	On          any               `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		RunsOn string       `yaml:"runs-on"`
		Steps  []actionStep `yaml:"steps"`
	} `yaml:"jobs"`
}

func readAction(t *testing.T) (*actionFile, string) {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.UnmarshalWithOptions(data, &a, yaml.Strict()); err != nil {
		t.Fatalf("action.yml: %s", yaml.FormatError(err, false, true))
	}
	return &a, string(data)
}

// readmeWorkflow is the first ```yaml block of the README's "## In CI"
// section.
func readmeWorkflow(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## In CI\n")
	if !ok {
		t.Fatal(`README.md has no "## In CI" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal(`the "## In CI" section has no yaml block`)
	}
	block, _, ok = strings.Cut(block, "\n```")
	if !ok {
		t.Fatal("the yaml block is not closed")
	}
	return block
}

var (
	exprInput  = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)
	exprOutput = regexp.MustCompile(`\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)
)

// TestActionIsConsistent checks action.yml on its own: a composite action
// whose steps use only declared inputs, whose outputs come from steps that
// exist and set them, and whose scripts take inputs through env (never
// ${{ }} inside a script, where a crafted image name could inject shell).
func TestActionIsConsistent(t *testing.T) {
	a, text := readAction(t)
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite", a.Runs.Using)
	}
	if !a.Inputs["image"].Required {
		t.Error("input image must be required")
	}
	for _, m := range exprInput.FindAllStringSubmatch(text, -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses undeclared input %q", m[1])
		}
	}
	ids := map[string]actionStep{}
	for _, s := range a.Runs.Steps {
		if s.ID != "" {
			ids[s.ID] = s
		}
		if s.Run != "" {
			if s.Shell == "" {
				t.Errorf("step %q runs a script without shell:", s.Name)
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("step %q interpolates an expression into its script; pass it through env", s.Name)
			}
		}
	}
	for name, o := range a.Outputs {
		ms := exprOutput.FindAllStringSubmatch(o.Value, -1)
		if len(ms) != 1 || o.Description == "" {
			t.Errorf("output %s: value %q, want one step output and a description", name, o.Value)
			continue
		}
		s, ok := ids[ms[0][1]]
		if !ok {
			t.Errorf("output %s reads step %q, which does not exist", name, ms[0][1])
			continue
		}
		if s.Uses != "" {
			// An action's own output (upload-artifact's artifact-url):
			// only the actions it is documented for.
			if !(strings.HasPrefix(s.Uses, "actions/upload-artifact@") && ms[0][2] == "artifact-url") {
				t.Errorf("output %s reads %s of action %s, which is not known to write it", name, ms[0][2], s.Uses)
			}
			continue
		}
		if !strings.Contains(s.Run, ms[0][2]+"=") {
			t.Errorf("output %s: step %q never writes %s= to $GITHUB_OUTPUT", name, s.ID, ms[0][2])
		}
	}
	for _, want := range []string{"status", "delta-bytes", "report"} {
		if _, ok := a.Outputs[want]; !ok {
			t.Errorf("no output %q", want)
		}
	}
}

// TestREADMEWorkflowUsesTheAction checks the README's example: valid
// YAML, only declared inputs in with:, every required input given, only
// declared outputs read, and the permission the comment needs.
func TestREADMEWorkflowUsesTheAction(t *testing.T) {
	a, _ := readAction(t)
	text := readmeWorkflow(t)
	var wf workflowFile
	if err := yaml.UnmarshalWithOptions([]byte(text), &wf); err != nil {
		t.Fatalf("README workflow: %s", yaml.FormatError(err, false, true))
	}
	var uses []actionStep
	for _, job := range wf.Jobs {
		if job.RunsOn == "" {
			t.Error("a job without runs-on")
		}
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "imgdiff/imgdiff@") || s.Uses == "./" {
				uses = append(uses, s)
			}
		}
	}
	if len(uses) == 0 {
		t.Fatal("the README workflow never uses the action")
	}
	ids := map[string]bool{}
	for _, s := range uses {
		// Pinned to a release: the Action then downloads that archive
		// instead of compiling a moving branch.
		if !regexp.MustCompile(`^imgdiff/imgdiff@v[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(s.Uses) {
			t.Errorf("the README uses %q; pin a release tag, imgdiff/imgdiff@vX.Y.Z", s.Uses)
		}
		if s.ID == "" {
			t.Error("the action's step has no id, so its outputs cannot be read")
		}
		ids[s.ID] = true
		for k := range s.With {
			if _, ok := a.Inputs[k]; !ok {
				t.Errorf("with: %s is not an input of action.yml", k)
			}
		}
		for name, in := range a.Inputs {
			if _, given := s.With[name]; in.Required && !given {
				t.Errorf("required input %s not given", name)
			}
		}
		if c, _ := s.With["comment"].(bool); c && wf.Permissions["pull-requests"] != "write" {
			t.Error("comment: true needs permissions: pull-requests: write")
		}
	}
	read := 0
	for _, m := range exprOutput.FindAllStringSubmatch(text, -1) {
		if !ids[m[1]] {
			continue // another step's outputs
		}
		read++
		if _, ok := a.Outputs[m[2]]; !ok {
			t.Errorf("the workflow reads steps.%s.outputs.%s, not an output of action.yml", m[1], m[2])
		}
	}
	if read == 0 {
		t.Error("the workflow reads none of the action's outputs")
	}
}

// actionScript returns the script of the action step with the given name.
func actionScript(t *testing.T, a *actionFile, name string) actionStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("action.yml has no step %q", name)
	return actionStep{}
}

// needTools skips the test unless every tool is on PATH.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

// stepLog, when set, receives what runStep's script printed.
var stepLog *strings.Builder

// runStep runs one step's script with bash as the runner would, with a
// PATH whose first directory holds the fakes, and returns $GITHUB_OUTPUT
// parsed, the job summary and the exit code.
func runStep(t *testing.T, s actionStep, fakes string, env map[string]string) (map[string]string, string, int) {
	t.Helper()
	tmp := t.TempDir()
	outFile, summary := filepath.Join(tmp, "output"), filepath.Join(tmp, "summary")
	for _, f := range []string{outFile, summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", s.Run) // as the runner does
	cmd.Env = []string{
		"PATH=" + fakes + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + tmp, "RUNNER_TEMP=" + tmp, "GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + summary,
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s:\n%s", s.Name, out)
	if stepLog != nil {
		stepLog.Write(out)
	}
	outputs := map[string]string{}
	b, _ := os.ReadFile(outFile)
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			outputs[k] = v
		}
	}
	sum, _ := os.ReadFile(summary)
	return outputs, string(sum), code
}

// writeFake writes an executable script into dir.
func writeFake(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/usr/bin/env bash\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestActionRunStep runs the action's "Run imgdiff" script against a fake
// imgdiff for each exit code, and its "Enforce budgets" script on the
// result: exit 1 must give status fail and fail the job, exit 2 status
// error; the step itself must never fail (the comment comes first).
func TestActionRunStep(t *testing.T) {
	needTools(t, "bash", "jq")
	a, _ := readAction(t)
	run, enforce := actionScript(t, a, "Run imgdiff"), actionScript(t, a, "Enforce budgets")

	cases := []struct {
		name     string
		baseline string
		code     int
		status   string
		delta    string
		size     string
		jobCode  int
	}{
		{"compare within budget", "docker-daemon:app:base", 0, "pass", "1500", "8500", 0},
		{"compare over budget", "docker-daemon:app:base", 1, "fail", "1500", "8500", 1},
		{"compare error", "docker-daemon:app:base", 2, "error", "", "", 2},
		{"analyze within budget", "", 0, "pass", "", "7000", 0},
		{"analyze over budget", "", 1, "fail", "", "7000", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fakes := t.TempDir()
			calls := filepath.Join(fakes, "calls")
			// The fake prints a report in the asked format and exits with
			// the case's code; it logs its arguments and whether it saw
			// GITHUB_STEP_SUMMARY (which would double the summary).
			writeFake(t, fakes, "imgdiff", `echo "$* summary=${GITHUB_STEP_SUMMARY:-}" >> `+calls+`
if [ `+strconv.Itoa(c.code)+` -ge 2 ]; then echo "imgdiff: docker-daemon:app:pr: no such image" >&2; exit `+strconv.Itoa(c.code)+`; fi
case "$*" in
  *markdown*) printf '<!-- imgdiff:app:pr:linux/amd64 -->\n**imgdiff** report\n' ;;
  *compare*) echo '{"kind":"compare","delta":{"size":1500},"a":{"size":10000},"b":{"size":8500}}' ;;
  *) echo '{"kind":"analyze","image":{"size":7000}}' ;;
esac
exit `+strconv.Itoa(c.code)+`
`)
			out, summary, code := runStep(t, run, fakes, map[string]string{
				"IMAGE": "docker-daemon:app:pr", "BASELINE": c.baseline, "CONFIG": "ci/budgets.yaml",
				"PLATFORM": "linux/amd64", "ARGS": "--max-growth 5% --fail-on secret",
				"DOCKERFILE": "", "BASELINE_DOCKERFILE": "", "TARGET": "", "SARIF": "", "SNAPSHOT_KEY": "",
			})
			if code != 0 {
				t.Fatalf("the run step exited %d; it must leave failing to the last step", code)
			}
			if out["status"] != c.status || out["exit-code"] != strconv.Itoa(c.code) || out["delta-bytes"] != c.delta || out["size-bytes"] != c.size {
				t.Errorf("outputs %v; want status %s exit-code %d delta-bytes %q size-bytes %q", out, c.status, c.code, c.delta, c.size)
			}
			b, _ := os.ReadFile(calls)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			want := "analyze docker-daemon:app:pr"
			if c.baseline != "" {
				want = "compare docker-daemon:app:base docker-daemon:app:pr"
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, want+" --config ci/budgets.yaml --platform linux/amd64 --max-growth 5% --fail-on secret -o ") ||
					!strings.HasSuffix(l, " summary=") {
					t.Errorf("imgdiff called as %q", l)
				}
			}
			if c.status == "error" {
				if len(lines) != 1 || !strings.Contains(summary, "no such image") || out["report"] == "" {
					t.Errorf("error: %d calls, summary %q, outputs %v", len(lines), summary, out)
				}
			} else {
				// Markdown, JSON, then the HTML report written to the
				// file the html output names, then the workflow-command
				// annotations on stdout.
				if len(lines) != 4 || !strings.Contains(lines[2], " -o html --output-file "+out["html"]+" ") || out["html"] == "" ||
					!strings.HasSuffix(lines[3], " -o github summary=") || out["sarif"] != "" {
					t.Errorf("calls %q; html output %q, sarif output %q: want the third call to write the HTML report there, the fourth -o github, no SARIF", lines, out["html"], out["sarif"])
				}
				md, _ := os.ReadFile(out["report"])
				if len(lines) != 4 || !strings.HasPrefix(summary, "<!-- imgdiff:app:pr:linux/amd64 -->") || string(md) != summary {
					t.Errorf("%d calls; summary %q; report %q", len(lines), summary, md)
				}
			}

			_, _, job := runStep(t, enforce, fakes, map[string]string{"STATUS": out["status"], "CODE": out["exit-code"]})
			if job != c.jobCode {
				t.Errorf("enforce step exited %d, want %d", job, c.jobCode)
			}
		})
	}
}

// TestActionRunStepDockerfile: the Dockerfile inputs become each side's
// flags, and the sarif input a fifth call writing SARIF there.
func TestActionRunStepDockerfile(t *testing.T) {
	needTools(t, "bash", "jq")
	a, _ := readAction(t)
	run := actionScript(t, a, "Run imgdiff")
	fakes := t.TempDir()
	calls := filepath.Join(fakes, "calls")
	writeFake(t, fakes, "imgdiff", `echo "$*" >> `+calls+`
case "$*" in
  *markdown*) printf '<!-- imgdiff:app:pr:linux/amd64 -->\n' ;;
  *json*) echo '{"kind":"compare","delta":{"size":1},"b":{"size":2}}' ;;
esac
`)
	sarif := filepath.Join(fakes, "imgdiff.sarif")
	out, _, code := runStep(t, run, fakes, map[string]string{
		"IMAGE": "docker-daemon:app:pr", "BASELINE": "docker-daemon:app:main", "CONFIG": "", "PLATFORM": "", "ARGS": "",
		"DOCKERFILE": "app/Dockerfile", "BASELINE_DOCKERFILE": "app/Dockerfile.main", "TARGET": "runtime", "SARIF": sarif,
		"SNAPSHOT_KEY": "",
	})
	if code != 0 || out["status"] != "pass" || out["sarif"] != sarif {
		t.Fatalf("exit %d, outputs %v", code, out)
	}
	b, _ := os.ReadFile(calls)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	const flags = "compare docker-daemon:app:main docker-daemon:app:pr --dockerfile-b app/Dockerfile --target-b runtime --dockerfile-a app/Dockerfile.main -o "
	if len(lines) != 5 || lines[4] != flags+"sarif --output-file "+sarif {
		t.Fatalf("calls %q", lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, flags) {
			t.Errorf("imgdiff called as %q, want the Dockerfile flags", l)
		}
	}
}

// TestActionChoosesInstall: a release tag (the action's own ref, the
// runner's checkout directory when the runner leaves the ref empty, or
// the version input) downloads; a branch builds the checkout; another
// version input is go installed.
func TestActionChoosesInstall(t *testing.T) {
	needTools(t, "bash")
	a, _ := readAction(t)
	step := actionScript(t, a, "Choose how to install imgdiff")
	cases := []struct{ name, version, ref, repo, path, mode, wantRef, wantRepo string }{
		{"own tag", "", "v1.2.3", "imgdiff/imgdiff", "/r/_actions/imgdiff/imgdiff/v1.2.3", "download", "v1.2.3", "imgdiff/imgdiff"},
		{"pre-release tag", "", "v1.2.3-rc.1", "acme/imgdiff", "/x", "download", "v1.2.3-rc.1", "acme/imgdiff"},
		{"ref empty in a composite action", "", "", "", "/home/runner/work/_actions/acme/imgdiff/v2.0.0", "download", "v2.0.0", "acme/imgdiff"},
		{"branch", "", "main", "imgdiff/imgdiff", "/r/_actions/imgdiff/imgdiff/main", "source", "main", "imgdiff/imgdiff"},
		{"commit", "", "0123456789abcdef0123456789abcdef01234567", "imgdiff/imgdiff", "/x", "source", "0123456789abcdef0123456789abcdef01234567", "imgdiff/imgdiff"},
		{"version input, a tag", "v1.0.0", "main", "imgdiff/imgdiff", "/x", "download", "v1.0.0", "imgdiff/imgdiff"},
		{"version input, a branch", "next", "v1.2.3", "imgdiff/imgdiff", "/x", "go-install", "next", "imgdiff/imgdiff"},
		{"not quite a tag", "", "v1.2", "imgdiff/imgdiff", "/x", "source", "v1.2", "imgdiff/imgdiff"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, code := runStep(t, step, t.TempDir(), map[string]string{
				"VERSION": c.version, "ACTION_REF": c.ref, "ACTION_REPO": c.repo, "GITHUB_ACTION_PATH": c.path,
			})
			if code != 0 || out["mode"] != c.mode || out["ref"] != c.wantRef || out["repo"] != c.wantRepo {
				t.Errorf("exit %d, outputs %v; want mode %s ref %s repo %s", code, out, c.mode, c.wantRef, c.wantRepo)
			}
		})
	}
}

// TestActionRunStepSnapshot: without a baseline input, the snapshot the
// restore step found is the baseline (compare snapshot:FILE IMAGE, named in
// the baseline output); without one, or with a baseline given, it is not.
func TestActionRunStepSnapshot(t *testing.T) {
	needTools(t, "bash", "jq")
	a, _ := readAction(t)
	run := actionScript(t, a, "Run imgdiff")
	cases := []struct{ name, baseline, key, want string }{
		{"restored", "", "imgdiff-snapshot-default-abc", "compare snapshot:SNAP docker-daemon:app:pr"},
		{"none restored", "", "", "analyze docker-daemon:app:pr"},
		{"a baseline given", "docker-daemon:app:main", "imgdiff-snapshot-default-abc", "compare docker-daemon:app:main docker-daemon:app:pr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fakes, runner := t.TempDir(), t.TempDir()
			calls := filepath.Join(fakes, "calls")
			writeFake(t, fakes, "imgdiff", `echo "$*" >> `+calls+`
case "$*" in
  *markdown*) printf '<!-- imgdiff:app:pr -->\n' ;;
  *json*) echo '{"delta":{"size":1},"b":{"size":2},"image":{"size":2}}' ;;
esac
`)
			snap := filepath.Join(runner, "imgdiff-snapshot", "baseline.snap")
			if err := os.MkdirAll(filepath.Dir(snap), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(snap, []byte("snapshot"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _, code := runStep(t, run, fakes, map[string]string{
				"IMAGE": "docker-daemon:app:pr", "BASELINE": c.baseline, "CONFIG": "", "PLATFORM": "", "ARGS": "",
				"DOCKERFILE": "", "BASELINE_DOCKERFILE": "", "TARGET": "", "SARIF": "", "SNAPSHOT_KEY": c.key,
				"RUNNER_TEMP": runner,
			})
			b, _ := os.ReadFile(calls)
			want := strings.ReplaceAll(c.want, "SNAP", snap)
			if code != 0 || !strings.HasPrefix(string(b), want+" -o markdown") {
				t.Fatalf("exit %d, calls:\n%s\nwant %s", code, b, want)
			}
			wantBaseline := c.baseline
			if c.key != "" && c.baseline == "" {
				wantBaseline = "snapshot:" + snap
			}
			if out["baseline"] != wantBaseline {
				t.Errorf("baseline output %q, want %q", out["baseline"], wantBaseline)
			}
		})
	}
}

// fakeCommentsAPI is GitHub's issue-comments API for one pull request
// (acme/app#7), over plain HTTP for the comment step's curl: it pages the
// list, refuses a body over 65,536 UTF-16 code units (as GitHub does, with
// 422) and answers writes with deny when set.
type fakeCommentsAPI struct {
	comments []map[string]any
	deny     int // HTTP status for every write; 0 allows them
	calls    []string
	bodies   []string
}

func (f *fakeCommentsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls = append(f.calls, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
	reply := func(code int, v any) {
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	if r.Method == "GET" && r.URL.Path == "/repos/acme/app/issues/7/comments" {
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if per <= 0 || page <= 0 {
			reply(400, map[string]string{"message": "want per_page and page"})
			return
		}
		reply(200, f.comments[min((page-1)*per, len(f.comments)):min(page*per, len(f.comments))])
		return
	}
	var in struct{ Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		reply(400, map[string]string{"message": "Problems parsing JSON"})
		return
	}
	f.bodies = append(f.bodies, in.Body)
	switch {
	case f.deny != 0:
		reply(f.deny, map[string]string{"message": "Resource not accessible by integration"})
	case len(utf16.Encode([]rune(in.Body))) > 65536:
		reply(422, map[string]string{"message": "Validation Failed: body is too long (maximum is 65536 characters)"})
	case r.Method == "PATCH":
		reply(200, map[string]any{"id": 13})
	default:
		reply(201, map[string]any{"id": 99})
	}
}

// TestActionCommentStep runs the comment script against a local GitHub
// API (GITHUB_API_URL) with the real curl: it updates the comment that
// starts with the report's marker (on the second page), creates one when
// there is none, keeps the body with the HTML report's link within
// GitHub's 65,536 characters, and only warns when it cannot write, naming
// a fork's read-only token only for a pull request from a fork.
func TestActionCommentStep(t *testing.T) {
	needTools(t, "bash", "jq", "curl")
	a, _ := readAction(t)
	step := actionScript(t, a, "Comment on the pull request")
	const marker = "<!-- imgdiff:app:pr:linux/amd64 -->"
	const link = "HTML report with treemaps of the bytes: [imgdiff-report](https://github.com/acme/app/actions/runs/1/artifacts/2) (workflow artifact)"
	// 100 comments of others, then another image's, then this one's.
	var existing []map[string]any
	for i := 0; i < 100; i++ {
		existing = append(existing, map[string]any{"id": 1000 + i, "body": "LGTM"})
	}
	existing = append(existing, map[string]any{"id": 12, "body": "<!-- imgdiff:other:linux/amd64 -->\nold"},
		map[string]any{"id": 13, "body": marker + "\nold report"})
	// A report at imgdiff's cap, 65,535 UTF-16 code units (an emoji
	// counts two), in lines as imgdiff writes them.
	var big strings.Builder
	big.WriteString(marker + "\n")
	for big.Len() < 60000 {
		big.WriteString("| /usr/lib/go/pkg/tool/linux_amd64/compile | 12.3 MB | 🧰 build tool |\n")
	}
	// One x per missing code unit (counting them again after each x took
	// minutes under the race detector).
	big.WriteString(strings.Repeat("x", max(0, 65534-len(utf16.Encode([]rune(big.String()))))))
	big.WriteString("\n")

	cases := []struct {
		name, report string
		comments     []map[string]any
		link         string
		fork         string
		deny         int
		write        string // the write curl must make
		id           string
		warn         string // a warning the step must print
		noWarn       string // one it must not
	}{
		{"updates its own comment", marker + "\nnew report\n", existing, link, "false", 0, "PATCH /repos/acme/app/issues/comments/13", "13", "", "::warning"},
		{"creates one", marker + "\nnew report\n", existing[:1], "", "false", 0, "POST /repos/acme/app/issues/7/comments", "99", "", "::warning"},
		{"a report at the cap with the link", big.String(), nil, link, "false", 0, "POST /repos/acme/app/issues/7/comments", "99", "", "::warning"},
		{"a fork's read-only token", marker + "\nnew\n", nil, "", "true", 403, "POST /repos/acme/app/issues/7/comments", "", "read-only token", ""},
		{"refused, not a fork", marker + "\nnew\n", nil, "", "false", 422, "POST /repos/acme/app/issues/7/comments", "", "HTTP 422: Resource not accessible", "fork"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &fakeCommentsAPI{comments: c.comments, deny: c.deny}
			if api.comments == nil {
				api.comments = []map[string]any{}
			}
			srv := httptest.NewServer(api)
			defer srv.Close()
			dir := t.TempDir()
			report := filepath.Join(dir, "report.md")
			if err := os.WriteFile(report, []byte(c.report), 0o644); err != nil {
				t.Fatal(err)
			}
			out, log, code := runStepLog(t, step, dir, map[string]string{
				"TOKEN": "tok", "REPO": "acme/app", "PR": "7", "REPORT": report, "LINK": c.link,
				"FORK": c.fork, "GITHUB_API_URL": srv.URL,
			})
			if code != 0 {
				t.Fatalf("comment step exited %d; a comment problem must not fail the job", code)
			}
			pages := 1 + len(c.comments)/100
			if len(api.calls) != pages+1 || !strings.HasPrefix(api.calls[pages], c.write+" Bearer tok") {
				t.Fatalf("calls %q; want %d list pages, then %s", api.calls, pages, c.write)
			}
			for _, call := range api.calls {
				if !strings.HasSuffix(call, "Bearer tok") {
					t.Errorf("call %q without the token", call)
				}
			}
			if out["comment-id"] != c.id {
				t.Errorf("comment-id %q, want %q", out["comment-id"], c.id)
			}
			body := api.bodies[0]
			if n := len(utf16.Encode([]rune(body))); n > 65536 {
				t.Errorf("body of %d UTF-16 code units; GitHub takes 65,536", n)
			}
			if !strings.HasPrefix(body, marker+"\n") || (c.link != "" && !strings.HasSuffix(body, c.link+"\n")) {
				t.Errorf("body does not start with the marker and end with the link:\n%.200s\n…\n%s", body, tail(body, 300))
			}
			if c.warn != "" && !strings.Contains(log, c.warn) {
				t.Errorf("no warning with %q:\n%s", c.warn, log)
			}
			if c.noWarn != "" && strings.Contains(log, c.noWarn) {
				t.Errorf("the step says %q:\n%s", c.noWarn, log)
			}
		})
	}
}

// runStepLog is runStep with the step's output returned too.
func runStepLog(t *testing.T, s actionStep, fakes string, env map[string]string) (map[string]string, string, int) {
	t.Helper()
	var log strings.Builder
	old := stepLog
	stepLog = &log
	defer func() { stepLog = old }()
	out, _, code := runStep(t, s, fakes, env)
	return out, log.String(), code
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
