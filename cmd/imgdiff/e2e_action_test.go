//go:build e2e

// The GitHub Action (action.yml) under a real runner: nektos/act runs
// testdata/act/workflow.yml on this machine (-P ubuntu-latest=-self-hosted)
// as a pull_request event, with local stand-ins for the remote actions the
// Action uses (testdata/act/*), act's own artifact server, and a local
// HTTPS stand-in for GitHub (API and release downloads) whose certificate
// the test makes and the runner's curl trusts (CURL_CA_BUNDLE). The
// stand-in records every call and answers as GitHub does, refusing a
// comment over 65,536 characters as GitHub does.
//
// testdata/e2e/run.sh (phase action) sets:
//
//	IMGDIFF_ACT            the act binary (go install github.com/nektos/act@v0.2.89)
//	IMGDIFF_E2E_DIST       make release output for IMGDIFF_E2E_VERSION (the
//	                       host's archive at least), served as that tag's release
//	IMGDIFF_E2E_MANIFEST   as for the other e2e tests (the Go app's context
//	                       and the base image)
//	IMGDIFF_ACT_IMAGES     the name the workflow tags its images with
//	                       (default imgdiff-act/app)
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// hostGOCACHE is Go's build cache before setup points XDG_CACHE_HOME
// elsewhere: the Action's source build under act reuses what make release
// compiled.
var hostGOCACHE = func() string {
	out, _ := exec.Command("go", "env", "GOCACHE").Output()
	return strings.TrimSpace(string(out))
}()

const (
	actRepo  = "acme/app"
	actPR    = 7
	actToken = "act-test-token"
	// githubCommentMax is the longest comment body GitHub accepts, in
	// UTF-16 code units (docs.github.com REST issues/comments: 422 above).
	githubCommentMax = 65536
)

// apiCall is one request the GitHub stand-in received.
type apiCall struct {
	Method, Path string
	BodyLen      int // UTF-16 code units of the comment body, if any
}

// fakeGitHub is the HTTPS stand-in for api.github.com and github.com's
// release downloads.
type fakeGitHub struct {
	mu       sync.Mutex
	calls    []apiCall
	comments []map[string]any
	nextID   int
	releases map[string]string // tag -> directory of its assets
}

func (g *fakeGitHub) record(c apiCall) {
	g.mu.Lock()
	g.calls = append(g.calls, c)
	g.mu.Unlock()
}

func (g *fakeGitHub) callsSince(n int) []apiCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]apiCall(nil), g.calls[n:]...)
}

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := apiCall{Method: r.Method, Path: r.URL.Path}
	defer func() { g.record(c) }()
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/imgdiff/imgdiff/releases/download/"); ok {
		tag, file, _ := strings.Cut(rest, "/")
		dir, ok := g.releases[tag]
		if !ok || strings.Contains(file, "/") || file == "" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, file))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+actToken {
		reply(401, map[string]string{"message": "Bad credentials"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	list := fmt.Sprintf("/api/v3/repos/%s/issues/%d/comments", actRepo, actPR)
	switch {
	case r.Method == "GET" && r.URL.Path == list:
		perPage, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if perPage <= 0 || perPage > 100 {
			perPage = 30
		}
		if page <= 0 {
			page = 1
		}
		lo, hi := min((page-1)*perPage, len(g.comments)), min(page*perPage, len(g.comments))
		reply(200, g.comments[lo:hi])
	case (r.Method == "POST" && r.URL.Path == list) || (r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/api/v3/repos/"+actRepo+"/issues/comments/")):
		var in struct {
			Body *string `json:"body"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == nil {
			reply(400, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		c.BodyLen = len(utf16.Encode([]rune(*in.Body)))
		if c.BodyLen > githubCommentMax {
			reply(422, map[string]string{"message": "Validation Failed: body is too long (maximum is 65536 characters)"})
			return
		}
		if r.Method == "POST" {
			g.nextID++
			cm := map[string]any{"id": g.nextID, "body": *in.Body}
			g.comments = append(g.comments, cm)
			reply(201, cm)
			return
		}
		id, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/api/v3/repos/"+actRepo+"/issues/comments/"))
		for _, cm := range g.comments {
			if cm["id"] == id {
				cm["body"] = *in.Body
				reply(200, cm)
				return
			}
		}
		reply(404, map[string]string{"message": "Not Found"})
	default:
		reply(404, map[string]string{"message": "Not Found"})
	}
}

// actLog is what one act run printed (--json): every line, the workflow
// commands the runner saw, and the job's result.
type actLog struct {
	lines    []map[string]any
	commands []string // raw ::warning/::error lines
	outputs  map[string]string
	code     int
	text     string
}

func parseActLog(out []byte, code int) actLog {
	l := actLog{code: code, text: string(out), outputs: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		l.lines = append(l.lines, m)
		if cmd, _ := m["command"].(string); cmd == "warning" || cmd == "error" {
			raw, _ := m["raw"].(string)
			l.commands = append(l.commands, raw)
		}
		if msg, _ := m["msg"].(string); strings.HasPrefix(msg, "imgdiff-outputs ") {
			json.Unmarshal([]byte(strings.TrimPrefix(msg, "imgdiff-outputs ")), &l.outputs)
		}
	}
	return l
}

func (l actLog) has(re string) bool {
	for _, c := range l.commands {
		if regexp.MustCompile(re).MatchString(c) {
			return true
		}
	}
	return false
}

// actHarness is one scratch repository and everything act needs to run
// its workflow.
type actHarness struct {
	t         *testing.T
	act       string
	repo      string // the scratch repository act runs in
	action    string // a copy of this repository's tracked files: the action
	testdata  string
	server    *httptest.Server
	gh        *fakeGitHub
	caFile    string
	artifacts string
	cache     string
	base      string // BASE build arg
	images    string // the repository name the workflow tags its images with
	runID     int
}

func newActHarness(t *testing.T, e *e2eEnv) *actHarness {
	act := os.Getenv("IMGDIFF_ACT")
	if act == "" {
		t.Skip("IMGDIFF_ACT is not set: testdata/e2e/run.sh's action phase installs act and sets it")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	h := &actHarness{
		t: t, act: act, repo: filepath.Join(tmp, "repo"), action: filepath.Join(tmp, "action"),
		testdata: filepath.Join(root, "testdata", "act"), gh: &fakeGitHub{releases: map[string]string{}},
		artifacts: filepath.Join(tmp, "artifacts"), cache: filepath.Join(tmp, "cache"), base: e.manifest.Base,
		images: "imgdiff-act/app",
	}
	if r := os.Getenv("IMGDIFF_ACT_IMAGES"); r != "" {
		h.images = r // another name, on a shared engine
	}
	// The action as a user's runner checks it out: the tracked files.
	files, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		copyFile(t, filepath.Join(root, f), filepath.Join(h.action, f))
	}
	// The user's repository: the Go app's single- and multi-stage
	// Dockerfiles and the workflow, committed, with a GitHub remote.
	app := e.find(t, "go", "single", "buildkit").Context
	if err := os.CopyFS(filepath.Join(h.repo, "app"), os.DirFS(app)); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "grow"}, {"remote", "add", "origin", "https://github.com/" + actRepo + ".git"},
	} {
		gitIn(t, h.repo, args...)
	}
	// Other people's comments before imgdiff's, over a page of 100: the
	// action must page through them.
	for i := 0; i < 120; i++ {
		h.gh.nextID++
		h.gh.comments = append(h.gh.comments, map[string]any{"id": h.gh.nextID, "body": fmt.Sprintf("comment %d", i)})
	}
	h.server = httptest.NewTLSServer(h.gh)
	t.Cleanup(h.server.Close)
	h.caFile = filepath.Join(tmp, "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.server.Certificate().Raw})
	if err := os.WriteFile(h.caFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	fi, err := os.Lstat(src)
	if err != nil {
		if os.IsNotExist(err) {
			return // deleted in the work tree
		}
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, dst); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=act", "-c", "user.email=act@example.com"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// actRun is one workflow run: the ref the action is used at, the event,
// and the workflow's vars.
type actRun struct {
	ref      string // imgdiff/imgdiff@REF
	event    string // pull_request or push
	baseline string
	args     string
	docker   string // the dockerfile input
}

// run commits the workflow for r and runs it with act.
func (h *actHarness) run(r actRun) actLog {
	t := h.t
	t.Helper()
	h.runID++
	wf, err := os.ReadFile(filepath.Join(h.testdata, "workflow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	wf = bytes.ReplaceAll(wf, []byte("IMGDIFF_REF"), []byte(r.ref))
	if err := os.MkdirAll(filepath.Join(h.repo, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.repo, ".github", "workflows", "imgdiff.yml"), wf, 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, h.repo, "add", "-A")
	gitIn(t, h.repo, "commit", "-q", "--allow-empty", "-m", "run "+strconv.Itoa(h.runID))
	head, err := exec.Command("git", "-C", h.repo, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.TrimSpace(string(head))
	repoJSON := map[string]any{"full_name": actRepo, "name": "app", "owner": map[string]any{"login": "acme"}, "default_branch": "main"}
	event := map[string]any{"repository": repoJSON}
	if r.event == "pull_request" {
		event["number"] = actPR
		event["pull_request"] = map[string]any{
			"number": actPR,
			"head":   map[string]any{"ref": "grow", "sha": sha, "repo": repoJSON},
			"base":   map[string]any{"ref": "main", "sha": strings.Repeat("b", 40), "repo": repoJSON},
		}
	} else {
		event["ref"] = "refs/heads/main"
		event["after"] = sha
	}
	ev, _ := json.Marshal(event)
	evFile := filepath.Join(h.repo, "..", fmt.Sprintf("event-%d.json", h.runID))
	if err := os.WriteFile(evFile, ev, 0o644); err != nil {
		t.Fatal(err)
	}
	url := h.server.URL // https://127.0.0.1:PORT
	args := []string{
		r.event, "-e", evFile, "-W", ".github/workflows/imgdiff.yml",
		"-P", "ubuntu-latest=-self-hosted", "--json",
		"--local-repository", "imgdiff/imgdiff@" + r.ref + "=" + h.action,
		"--local-repository", "actions/setup-go@v5=" + filepath.Join(h.testdata, "setup-go"),
		"--local-repository", "actions/upload-artifact@v4=" + filepath.Join(h.testdata, "upload-artifact"),
		"--local-repository", "actions/cache@v4=" + filepath.Join(h.testdata, "cache"),
		"--artifact-server-path", h.artifacts, "--artifact-server-addr", "127.0.0.1", "--artifact-server-port", freePort(t),
		"--no-cache-server", "--action-cache-path", filepath.Join(h.repo, "..", "act-cache"),
		"-s", "GITHUB_TOKEN=" + actToken,
		"--env", "GITHUB_SERVER_URL=" + url, "--env", "GITHUB_API_URL=" + url + "/api/v3",
		"--env", "GITHUB_RUN_ID=" + strconv.Itoa(h.runID),
		"--var", "BASE=" + h.base, "--var", "REPO=" + h.images, "--var", "BASELINE=" + r.baseline, "--var", "ARGS=" + r.args, "--var", "DOCKERFILE=" + r.docker,
	}
	if r.event == "push" {
		args = append(args, "--env", "GITHUB_REF=refs/heads/main")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.act, args...)
	cmd.Dir = h.repo
	// The runner's steps inherit act's environment: curl trusts the
	// stand-in's certificate, the action's snapshot cache is ours.
	cmd.Env = append(os.Environ(), "CURL_CA_BUNDLE="+h.caFile, "IMGDIFF_ACT_CACHE="+h.cache, "GOCACHE="+hostGOCACHE)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("act: %v", err)
	}
	logFile := filepath.Join(os.Getenv("IMGDIFF_E2E_LOGS"), fmt.Sprintf("act-run-%d.jsonl", h.runID))
	if os.Getenv("IMGDIFF_E2E_LOGS") != "" {
		os.WriteFile(logFile, out, 0o644)
	}
	t.Logf("act run %d (%s, imgdiff/imgdiff@%s, args %q): exit %d in %s", h.runID, r.event, r.ref, r.args, code, time.Since(start).Round(time.Second))
	return parseActLog(out, code)
}

// dump prints the log of a run whose assertions failed.
func (l actLog) dump(t *testing.T) {
	t.Helper()
	var b strings.Builder
	for _, m := range l.lines {
		if msg, _ := m["msg"].(string); msg != "" {
			b.WriteString(msg)
			b.WriteByte('\n')
		}
	}
	s := b.String()
	if len(s) > 20000 {
		s = "…" + s[len(s)-20000:]
	}
	t.Logf("act log:\n%s", s)
}

func TestActAction(t *testing.T) {
	e := setup(t)
	h := newActHarness(t, e)
	baseline := "docker-daemon:" + h.images + ":multi"

	// Run 1: the action at a branch (built from source), within budget.
	// Every file is listed, so the report hits imgdiff's cap.
	n := len(h.gh.callsSince(0))
	r1 := h.run(actRun{ref: "main", event: "pull_request", baseline: baseline, args: "--all-files", docker: "app/Dockerfile.single"})
	calls1 := h.gh.callsSince(n)
	if r1.code != 0 {
		r1.dump(t)
		t.Fatalf("run 1 (within budget): act exited %d, want 0", r1.code)
	}
	posts, patches, lists := 0, 0, 0
	for _, c := range calls1 {
		switch c.Method {
		case "POST":
			posts++
		case "PATCH":
			patches++
		case "GET":
			lists++
		}
		if c.BodyLen > githubCommentMax {
			t.Errorf("run 1: %s %s with a body of %d characters (GitHub's limit: %d)", c.Method, c.Path, c.BodyLen, githubCommentMax)
		}
	}
	if posts != 1 || patches != 0 || lists != 2 {
		r1.dump(t)
		t.Fatalf("run 1: %d comments created, %d updated, %d list pages read; want 1, 0, 2 (121 comments): %v", posts, patches, lists, calls1)
	}
	var body string
	var id int
	for _, cm := range h.gh.comments {
		if b, _ := cm["body"].(string); strings.HasPrefix(b, "<!-- imgdiff:") {
			body, id = b, cm["id"].(int)
		}
	}
	if r1.outputs["comment-id"] != strconv.Itoa(id) {
		t.Errorf("run 1: comment-id output %q, want the created comment %d", r1.outputs["comment-id"], id)
	}
	if !strings.Contains(body, "HTML report with treemaps of the bytes: [imgdiff-report](") {
		t.Errorf("run 1: the comment does not link the HTML report; it ends:\n%s", tail(body, 400))
	}
	if n := len(utf16.Encode([]rune(body))); n < githubCommentMax-1000 {
		t.Errorf("run 1: the comment has %d characters; --all-files on the Go image should fill it (the limit is the point of this run)", n)
	}
	// The HTML artifact, through act's artifact server.
	html := filepath.Join(h.artifacts, "1", "imgdiff-report", "report.html")
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("<html")) {
		t.Errorf("run 1: no HTML report uploaded at %s (%v)", html, err)
	}
	// Annotations: the findings on the Dockerfile's lines.
	if !r1.has(`^::warning file=app/Dockerfile\.single,line=\d+`) && !r1.has(`^::error file=app/Dockerfile\.single,line=\d+`) {
		r1.dump(t)
		t.Errorf("run 1: no annotation on app/Dockerfile.single in the runner's log; workflow commands: %q", r1.commands)
	}

	// Run 2: the action at a release tag (the release archive, checksum
	// checked), over budget, no Dockerfile: the same comment updated, the
	// job failed, imgdiff's own annotations passed through.
	version := os.Getenv("IMGDIFF_E2E_VERSION")
	dist := os.Getenv("IMGDIFF_E2E_DIST")
	if version == "" || dist == "" {
		t.Fatal("IMGDIFF_E2E_VERSION and IMGDIFF_E2E_DIST must name make release's output")
	}
	h.gh.releases[version] = dist
	n = len(h.gh.callsSince(0))
	r2 := h.run(actRun{ref: version, event: "pull_request", baseline: baseline, args: "--all-files --max-growth 1%"})
	calls2 := h.gh.callsSince(n)
	if r2.code == 0 {
		r2.dump(t)
		t.Fatal("run 2 (budget failed): act exited 0; the job must fail")
	}
	var downloaded []string
	posts, patches = 0, 0
	for _, c := range calls2 {
		switch {
		case c.Method == "POST":
			posts++
		case c.Method == "PATCH":
			patches++
			if c.Path != fmt.Sprintf("/api/v3/repos/%s/issues/comments/%d", actRepo, id) {
				t.Errorf("run 2: updated %s, want comment %d", c.Path, id)
			}
		case strings.Contains(c.Path, "/releases/download/"):
			downloaded = append(downloaded, c.Path)
		}
		if c.BodyLen > githubCommentMax {
			t.Errorf("run 2: %s %s with a body of %d characters", c.Method, c.Path, c.BodyLen)
		}
	}
	if posts != 0 || patches != 1 {
		r2.dump(t)
		t.Errorf("run 2: %d comments created, %d updated; want the first one updated", posts, patches)
	}
	want := []string{
		"/imgdiff/imgdiff/releases/download/" + version + "/imgdiff_" + strings.TrimPrefix(version, "v") + "_linux_" + runtime.GOARCH + ".tar.gz",
		"/imgdiff/imgdiff/releases/download/" + version + "/SHA256SUMS",
	}
	if strings.Join(downloaded, " ") != strings.Join(want, " ") {
		t.Errorf("run 2 downloaded %q, want %q", downloaded, want)
	}
	if !strings.Contains(r2.text, "imgdiff version "+version) {
		t.Errorf("run 2: the runner did not run the release binary (no %q in its log)", "imgdiff version "+version)
	}
	if r2.outputs["status"] != "fail" || !r2.has(`^::error::imgdiff: a budget failed`) {
		r2.dump(t)
		t.Errorf("run 2: status %q, workflow commands %q; want fail and the budget's error annotation", r2.outputs["status"], r2.commands)
	}
	// What imgdiff itself annotates for this comparison without a
	// Dockerfile (file-less ::error lines for a failed budget, issue 25
	// item 3) must reach the runner's log; an imgdiff that annotates
	// nothing without a Dockerfile is reported, not failed.
	probe := e.run(t, "compare", "--no-config", "--max-growth", "1%", "-o", "github", baseline, "docker-daemon:"+h.images+":single")
	var own []string
	for _, l := range strings.Split(string(probe.stdout), "\n") {
		if strings.HasPrefix(l, "::error") || strings.HasPrefix(l, "::warning") {
			own = append(own, l)
		}
	}
	if len(own) == 0 {
		t.Log("imgdiff -o github annotates nothing without a Dockerfile: only the action's own ::error is checked")
	}
	// The same message (what follows the command's second ::); the
	// properties may differ with the runner's environment.
	message := func(l string) string {
		_, rest, _ := strings.Cut(strings.TrimPrefix(l, "::"), "::")
		return strings.TrimSpace(rest)
	}
	for _, l := range own {
		if !slices.ContainsFunc(r2.commands, func(c string) bool { return message(c) == message(l) }) {
			t.Errorf("run 2: imgdiff's annotation %q is not in the runner's log", l)
		}
	}
	if strings.Contains(r2.text, "fork") {
		t.Error("run 2: the log blames a fork's token on a pull request from the same repository")
	}

	// Run 3: a release whose archive does not match its SHA256SUMS is
	// never run.
	bad := t.TempDir()
	name := "imgdiff_" + strings.TrimPrefix(version, "v") + "_linux_" + runtime.GOARCH + ".tar.gz"
	badName := "imgdiff_9.9.9_linux_" + runtime.GOARCH + ".tar.gz"
	orig, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(orig) // the genuine archive's
	if err := os.WriteFile(filepath.Join(bad, badName), append(orig, "tampered"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "SHA256SUMS"), []byte(hex.EncodeToString(sum[:])+"  "+badName+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.gh.releases["v9.9.9"] = bad
	r3 := h.run(actRun{ref: "v9.9.9", event: "pull_request", baseline: baseline})
	if r3.code == 0 || !r3.has(`does not match the release's SHA256SUMS`) || strings.Contains(r3.text, "imgdiff version") {
		r3.dump(t)
		t.Errorf("run 3 (tampered archive): exit %d, commands %q; want a failed job with the checksum error and no imgdiff run", r3.code, r3.commands)
	}

	// Runs 4 and 5: main's snapshot as the baseline, when imgdiff writes
	// snapshots (imgdiff analyze --snapshot, issue 25 item 2).
	help := e.run(t, "analyze", "--help")
	if !bytes.Contains(help.stdout, []byte("--snapshot")) {
		t.Log("imgdiff analyze has no --snapshot: the snapshot runs are left out")
		return
	}
	r4 := h.run(actRun{ref: "main", event: "push"})
	if r4.code != 0 {
		r4.dump(t)
		t.Fatalf("run 4 (push to main, snapshot saved): act exited %d", r4.code)
	}
	if m, _ := filepath.Glob(filepath.Join(h.cache, "imgdiff-snapshot-default-*.tar")); len(m) != 1 {
		t.Fatalf("run 4: cache entries %q, want one snapshot", m)
	}
	r5 := h.run(actRun{ref: "main", event: "pull_request"})
	if r5.code != 0 || !strings.HasPrefix(r5.outputs["baseline"], "snapshot:") {
		r5.dump(t)
		t.Fatalf("run 5 (pull request, no baseline): exit %d, baseline output %q; want main's snapshot", r5.code, r5.outputs["baseline"])
	}
	for _, cm := range h.gh.comments {
		if cm["id"] == id && !strings.Contains(cm["body"].(string), "snapshot") {
			t.Errorf("run 5: the comment does not say it compared with main's snapshot:\n%s", head(cm["body"].(string), 600))
		}
	}
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
