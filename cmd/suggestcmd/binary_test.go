package suggestcmd

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// buildGo builds a Go program with the host's toolchain, CGO_ENABLED as
// given, and returns the binary's bytes.
// Built once per CGO_ENABLED value for the package's tests.
func buildGo(t *testing.T, cgo string) []byte {
	t.Helper()
	goBuilds.Lock()
	defer goBuilds.Unlock()
	if b, ok := goBuilds.binary[cgo]; ok {
		return b
	}
	b := buildGoOnce(t, cgo)
	goBuilds.binary[cgo] = b
	return b
}

var goBuilds = struct {
	sync.Mutex
	binary map[string][]byte
}{binary: map[string][]byte{}}

func buildGoOnce(t *testing.T, cgo string) []byte {
	t.Helper()
	dir := t.TempDir()
	// With cgo on, a program that uses cgo, so that the binary is
	// dynamic (a pure-Go one links statically either way).
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	if cgo == "1" {
		src = "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(C.abs(-2)) }\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-o", out, "main.go")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GO111MODULE=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildC builds a C program with gcc, linked against libmpfr.so.6 by
// file name (gcc's own cc1 needs that library, so a host with gcc has it):
// its DT_NEEDED names libmpfr.so.6 and libc.so.6.
func buildC(t *testing.T) []byte {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc on the host")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.c")
	if err := os.WriteFile(src, []byte("#include <stdio.h>\nint main(void){puts(\"hello\");return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "app")
	if b, err := exec.Command("gcc", "-o", out, src, "-Wl,--no-as-needed", "-l:libmpfr.so.6").CombinedOutput(); err != nil {
		t.Skipf("gcc cannot link libmpfr.so.6 here: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type suggestJSON struct {
	Base      string
	Packages  []string
	Copies    []string
	Questions []string
	raw       string // the whole JSON report
}

// runSuggest writes spec as an OCI layout with its Dockerfile and runs
// `imgdiff suggest` on it: the Dockerfile and the JSON prediction.
func runSuggest(t *testing.T, spec imagetest.Image, df string) (string, suggestJSON) {
	t.Helper()
	dir := t.TempDir()
	img, err := imagetest.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := imagetest.WriteOCILayout(filepath.Join(dir, "app"), "latest", img); err != nil {
		t.Fatal(err)
	}
	return runSuggestOn(t, "oci:"+filepath.Join(dir, "app"), df)
}

// runSuggestOn is runSuggest on an image already written, ref.
func runSuggestOn(t *testing.T, ref, df string) (string, suggestJSON) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, out, errOut := testIO(dir)
	cmd := NewCmdSuggest(ios, nil)
	cmd.SetArgs([]string{ref, "--dockerfile", filepath.Join(dir, "Dockerfile"), "-o", "json", "--no-config"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if _, err := dockerfile.Parse("suggested", out.Bytes()); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep suggestJSON
	if err := json.Unmarshal(errOut.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	rep.raw = errOut.String()
	return out.String(), rep
}

// finalStage is the text of the Dockerfile's last stage.
func finalStage(text string) string {
	i := strings.LastIndex(text, "\nFROM ")
	return text[i+1:]
}

// A static Go binary (CGO_ENABLED=0, built here), whose headers the walk
// reads from the image: the final stage is FROM scratch with the binary
// and a numeric USER, and installs nothing.
func TestStaticGoBinaryGetsScratch(t *testing.T) {
	_, _, df, ref := staticOriginal(t)
	text, rep := runSuggestOn(t, ref, df)
	final := finalStage(text)
	if rep.Base != "scratch" || !strings.HasPrefix(final, "FROM scratch\n") {
		t.Fatalf("base %q, final stage:\n%s", rep.Base, final)
	}
	if !slices.ContainsFunc(rep.Copies, func(c string) bool {
		return c == "/usr/local/bin/app" || strings.HasPrefix("/usr/local/bin/app", c+"/")
	}) {
		t.Errorf("the binary is not copied: %v", rep.Copies)
	}
	for _, want := range []string{"COPY --from=build /usr/local", "USER 65532:65532\n", `CMD ["/usr/local/bin/app"]` + "\n"} {
		if !strings.Contains(final, want) {
			t.Errorf("final stage lacks %q:\n%s", want, final)
		}
	}
	for _, not := range []string{"apt-get", "RUN "} {
		if strings.Contains(final, not) {
			t.Errorf("final stage on scratch has %q:\n%s", not, final)
		}
	}
	if len(rep.Packages) != 0 {
		t.Errorf("packages %v on scratch", rep.Packages)
	}
}

// The same app with a cgo binary (dynamic: PT_INTERP, DT_NEEDED libc):
// never scratch; the original base, which has libc6.
func TestDynamicGoBinaryKeepsTheBase(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc on the host: no cgo binary")
	}
	spec, df := imagetest.BinaryApp(buildGo(t, "1"), "")
	text, rep := runSuggest(t, spec, df)
	if rep.Base != "node-base:20-bookworm" || !strings.HasPrefix(finalStage(text), "FROM node-base:20-bookworm\n") {
		t.Fatalf("base %q:\n%s", rep.Base, finalStage(text))
	}
	if slices.Contains(rep.Packages, "libc6") {
		t.Errorf("libc6 installed although the base has it: %v", rep.Packages)
	}
}

// A C binary that needs libmpfr.so.6, which the app's apt-get install
// brought in (libmpfr6, as a dependency of the compiler): the final stage
// installs libmpfr6, the DT_NEEDED owner, and none of the toolchain.
func TestDynamicCBinaryGetsItsLibraryPackage(t *testing.T) {
	spec, df := imagetest.BinaryApp(buildC(t), "")
	text, rep := runSuggest(t, spec, df)
	final := finalStage(text)
	if rep.Base != "node-base:20-bookworm" {
		t.Fatalf("base %q:\n%s", rep.Base, final)
	}
	if !slices.Equal(rep.Packages, []string{"libmpfr6"}) {
		t.Errorf("packages %v, want [libmpfr6]:\n%s", rep.Packages, text)
	}
	if !strings.Contains(final, "libmpfr6") || !strings.Contains(text, "libmpfr.so.6") {
		t.Errorf("the final stage does not install libmpfr6 with its evidence:\n%s", text)
	}
	for _, tool := range []string{"gcc-12", "build-essential", " make"} {
		if strings.Contains(strings.SplitN(final, "\n# ", 2)[0], "install") && strings.Contains(final, "apt-get install") && strings.Contains(installLine(final), tool) {
			t.Errorf("final stage installs %s:\n%s", tool, final)
		}
	}
}

// installLine is the final stage's apt-get install line(s).
func installLine(final string) string {
	var out []string
	for _, l := range strings.Split(final, "\n") {
		if strings.Contains(l, "apt-get install") || strings.HasPrefix(strings.TrimSpace(l), "&& apt-get install") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// An entrypoint script that calls gcc at run time: the script is read from
// the image, gcc's package stays in the final stage (never scratch, even
// for a static binary) and the question is in a comment.
func TestEntrypointScriptCallingGcc(t *testing.T) {
	_, _, df, ref := staticImage(t, "entrypoint")
	text, rep := runSuggestOn(t, ref, df)
	final := finalStage(text)
	if rep.Base == "scratch" {
		t.Fatalf("scratch for a container whose entrypoint runs gcc:\n%s", text)
	}
	if !slices.ContainsFunc(rep.Packages, func(p string) bool { return p == "gcc" || p == "gcc-12" }) {
		t.Errorf("packages %v: gcc not kept\n%s", rep.Packages, text)
	}
	if !strings.Contains(installLine(final), "gcc") {
		t.Errorf("final stage does not install gcc:\n%s", final)
	}
	asked := false
	for _, q := range rep.Questions {
		asked = asked || strings.Contains(q, "gcc") && strings.Contains(q, "can the container run without it?")
	}
	if !asked || !strings.Contains(text, "can the container run without it?") {
		t.Errorf("no question about gcc: %q\n%s", rep.Questions, text)
	}
	for _, l := range strings.Split(final, "\n") {
		if strings.HasSuffix(l, "build-tool packages stay in the build stage") && (strings.Contains(l, "# gcc") || strings.Contains(l, " gcc-12,") || strings.Contains(l, " gcc,")) {
			t.Errorf("the comment says the gcc it installs stays behind: %s", l)
		}
	}
	if !strings.Contains(final, `ENTRYPOINT ["/src/entrypoint.sh"]`) || !strings.Contains(final, "/src/entrypoint.sh") {
		t.Errorf("the entrypoint script is not kept:\n%s", final)
	}
}

// entrypointScript is the static app's entrypoint in
// TestEntrypointScriptCallingGcc.
const entrypointScript = "#!/bin/sh\nset -e\ngcc -O2 -o /tmp/plugin /src/main.c\nexec /usr/local/bin/app \"$@\"\n"

// An original that ran as a named user: on scratch the build's
// /etc/passwd and /etc/group are copied for it and the name is kept; a
// numeric user is kept as it is.
func TestScratchUser(t *testing.T) {
	for _, c := range []struct{ image, user, want string }{{"user-app", "app", "USER app\n"}, {"user-10001", "10001:10001", "USER 10001:10001\n"}} {
		_, spec, df, ref := staticImage(t, c.image)
		if spec.Config.User != c.user || !strings.Contains(df, "\nUSER "+c.user+"\n") {
			t.Fatalf("image %s runs as %q, Dockerfile:\n%s", c.image, spec.Config.User, df)
		}
		text, rep := runSuggestOn(t, ref, df)
		final := finalStage(text)
		if rep.Base != "scratch" || !strings.Contains(final, c.want) || strings.Count(final, "\nUSER ") != 1 {
			t.Errorf("user %s: base %s, final stage:\n%s", c.user, rep.Base, final)
		}
		if copies := strings.Contains(final, "COPY --from=build /etc/passwd /etc/group /etc/\n"); copies != (c.user == "app") {
			t.Errorf("user %s: passwd and group copied: %v\n%s", c.user, copies, final)
		}
	}
}

// withUser is the static app (spec and Dockerfile) run as user (NAME, or
// UID which becomes UID:UID), with its USER step before the CMD.
func withUser(spec imagetest.Image, df, user string) (imagetest.Image, string) {
	if !strings.ContainsFunc(user, func(r rune) bool { return r < '0' || r > '9' }) {
		user += ":" + user
	}
	spec.Config.User = user
	n := len(spec.EmptySteps) - 1 // before the CMD
	spec.EmptySteps = slices.Insert(slices.Clone(spec.EmptySteps), n, imagetest.EmptyStep{At: 4, CreatedBy: "USER " + user, Comment: imagetest.BuildKitComment})
	return spec, strings.Replace(df, "CMD ", "USER "+user+"\nCMD ", 1)
}
