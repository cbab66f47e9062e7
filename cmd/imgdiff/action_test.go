package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

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
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
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
				"DOCKERFILE": "", "BASELINE_DOCKERFILE": "", "TARGET": "", "SARIF": "",
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
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
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

// TestActionCommentStep runs the comment script against a fake gh: it
// updates the comment that starts with the report's marker, creates one
// when there is none, and only warns when the token cannot write.
func TestActionCommentStep(t *testing.T) {
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	a, _ := readAction(t)
	step := actionScript(t, a, "Comment on the pull request")
	const marker = "<!-- imgdiff:app:pr:linux/amd64 -->"
	// Two pages, as gh api --paginate prints them: the marker is in a
	// comment of the second page; another image's comment must be left
	// alone.
	existing := `[{"id":11,"body":"LGTM"},{"id":12,"body":"<!-- imgdiff:other:linux/amd64 -->\nold"}]
[{"id":13,"body":"` + marker + `\nold report"}]`

	cases := []struct {
		name, comments string
		denyWrite      bool
		want           string // the write gh must be asked for
		id             string
	}{
		{"updates its own comment", existing, false, "-X PATCH repos/acme/app/issues/comments/13", "13"},
		{"creates one", `[{"id":11,"body":"LGTM"}]`, false, "-X POST repos/acme/app/issues/7/comments", "99"},
		{"read-only token warns", `[]`, true, "-X POST repos/acme/app/issues/7/comments", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fakes := t.TempDir()
			calls := filepath.Join(fakes, "calls")
			deny := "0"
			if c.denyWrite {
				deny = "1"
			}
			if err := os.WriteFile(filepath.Join(fakes, "comments.json"), []byte(c.comments), 0o644); err != nil {
				t.Fatal(err)
			}
			writeFake(t, fakes, "gh", `echo "$* token=$GH_TOKEN" >> `+calls+`
case "$*" in
  *--paginate*) cat `+filepath.Join(fakes, "comments.json")+` ;;
  *-X*) if [ `+deny+` = 1 ]; then echo "HTTP 403: Resource not accessible by integration" >&2; exit 1; fi
        case "$*" in *PATCH*) echo 13 ;; *) echo 99 ;; esac ;;
esac
`)
			report := filepath.Join(fakes, "report.md")
			if err := os.WriteFile(report, []byte(marker+"\n**imgdiff** new report\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _, code := runStep(t, step, fakes, map[string]string{
				"GH_TOKEN": "tok", "REPO": "acme/app", "PR": "7", "REPORT": report,
			})
			if code != 0 {
				t.Fatalf("comment step exited %d; a comment problem must not fail the job", code)
			}
			b, _ := os.ReadFile(calls)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "api --paginate repos/acme/app/issues/7/comments") ||
				!strings.HasPrefix(lines[1], "api "+c.want+" -F body=@"+report) || !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, "token=tok") }) {
				t.Errorf("gh calls:\n%s\nwant a list, then %s", b, c.want)
			}
			if out["comment-id"] != c.id {
				t.Errorf("comment-id %q, want %q", out["comment-id"], c.id)
			}
		})
	}
}
