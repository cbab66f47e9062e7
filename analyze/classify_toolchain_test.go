package analyze

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// bookwormImage builds an image from testdata/bookworm: the real dpkg
// status stanzas and .list files of a Debian 12 machine with
// build-essential and python3-dev, and every listed file at its real size
// (see gen.sh). The base layer is merged-/usr (lib -> usr/lib), as the
// debian:bookworm image is, so the dpkg lists' /lib/... paths resolve
// through symlinks.
func bookwormImage(t *testing.T) (*model.Image, *model.Classification, map[string]bool) {
	t.Helper()
	dirPath := filepath.Join("testdata", "bookworm")
	contents := map[string][]byte{}
	status, err := os.ReadFile(filepath.Join(dirPath, "status"))
	if err != nil {
		t.Fatal(err)
	}
	contents["var/lib/dpkg/status"] = status
	var entries []index.Entry
	lists, err := filepath.Glob(filepath.Join(dirPath, "info", "*.list"))
	if err != nil || len(lists) == 0 {
		t.Fatalf("no .list files: %v", err)
	}
	for _, l := range lists {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		p := "var/lib/dpkg/info/" + filepath.Base(l)
		contents[p] = b
		entries = append(entries, reg(p, int64(len(b))))
	}
	entries = append(entries, reg("var/lib/dpkg/status", int64(len(status))))

	f, err := os.Open(filepath.Join(dirPath, "files.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		val, p, _ := strings.Cut(rest, " ")
		listed[p] = true
		switch kind {
		case "F":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				t.Fatalf("files.txt: %q: %v", sc.Text(), err)
			}
			entries = append(entries, reg(p, n))
		case "L":
			entries = append(entries, sym(p, val))
		default:
			t.Fatalf("files.txt: %q", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	base := testLayer([]index.Entry{
		sym("bin", "usr/bin"), sym("lib", "usr/lib"), sym("lib64", "usr/lib64"), sym("sbin", "usr/sbin"),
	}, nil, nil)
	install := testLayer(entries, nil, nil)
	install.Contents = contents
	hist := []v1.History{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:0ae2 in / "},
		{CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y build-essential python3-dev # buildkit"},
	}
	img, err := Build(testImage(hist, base, install))
	if err != nil {
		t.Fatal(err)
	}
	return img, Classify(img, nil), listed
}

// The C and Python toolchains of a single-stage build: compilers,
// binutils, make, headers, static and sanitizer libraries. Their runtime
// dependencies (libc6, libstdc++6, libgomp1, libmpfr6, ...) are not here.
var bookwormToolchain = []string{
	"binutils", "binutils-common", "binutils-x86-64-linux-gnu", "libbinutils", "libctf0", "libctf-nobfd0",
	"libgprofng0", "cpp", "cpp-12", "gcc", "gcc-12", "g++", "g++-12", "libgcc-12-dev", "libstdc++-12-dev",
	"libc6-dev", "linux-libc-dev", "libcrypt-dev", "libnsl-dev", "libtirpc-dev", "libc-dev-bin", "make",
	"libasan8", "libtsan2", "libubsan1", "liblsan0", "libcc1-0", "libisl23", "libmpc3", "build-essential",
	"python3.11-dev", "libpython3.11-dev", "python3-dev", "libpython3-dev", "libexpat1-dev", "zlib1g-dev",
}

// The runtime the same image keeps in its multi-stage counterpart: never
// flagged (docs aside).
var bookwormRuntime = []string{
	"libc6", "libgcc-s1", "libstdc++6", "gcc-12-base", "ca-certificates", "libpython3.11-stdlib",
	"python3.11-minimal", "libpython3.11-minimal", "libgomp1", "libatomic1", "libquadmath0", "libmpfr6",
	"libgmp10", "libjansson4",
}

// TestToolchainBytesFlagged is the acceptance figure: at least 95% of the
// bytes the toolchain packages own are flagged build-tool, with dpkg
// evidence, and no byte of the runtime packages is flagged (docs aside).
func TestToolchainBytesFlagged(t *testing.T) {
	img, c, listed := bookwormImage(t)

	// Every listed file found its package, through the merged-/usr links.
	unowned := 0
	for i, f := range img.FS.Files {
		if listed[f.Path] && c.Owners[i] < 0 {
			if unowned < 5 {
				t.Errorf("%s: no owner", f.Path)
			}
			unowned++
		}
	}
	if unowned > 0 {
		t.Errorf("%d listed files have no owner", unowned)
	}

	type sum struct{ all, tool, flagged int64 }
	per := map[string]*sum{}
	for _, n := range append(append([]string{}, bookwormToolchain...), bookwormRuntime...) {
		per[n] = &sum{}
	}
	for i, f := range img.FS.Files {
		o := c.Owners[i]
		if o < 0 || f.Kind == index.Dir {
			continue
		}
		s := per[c.Packages[o].Name]
		if s == nil {
			t.Fatalf("%s owned by %s, which the fixture should not hold", f.Path, c.Packages[o].Name)
		}
		s.all += f.Bytes
		switch c.Flags[i].Category {
		case model.BuildTool:
			s.tool += f.Bytes
			if !strings.HasPrefix(c.Flags[i].Evidence, "dpkg: ") {
				t.Errorf("%s: evidence %q, want the dpkg package", f.Path, c.Flags[i].Evidence)
			}
		case "", model.Docs:
		default:
			s.flagged += f.Bytes
		}
	}
	var all, tool int64
	for _, n := range bookwormToolchain {
		s := per[n]
		if s.all == 0 {
			t.Errorf("toolchain package %s owns no bytes", n)
		}
		all += s.all
		tool += s.tool
		if s.tool < s.all*9/10 {
			t.Logf("%s: %d of %d bytes build-tool", n, s.tool, s.all)
		}
	}
	share := float64(tool) / float64(all)
	t.Logf("toolchain: %d of %d bytes (%.2f%%) flagged build-tool", tool, all, 100*share)
	if share < 0.95 || all < 200<<20 {
		t.Errorf("toolchain: %d of %d bytes (%.2f%%) flagged build-tool, want >= 95%% of >= 200 MiB", tool, all, 100*share)
	}
	for _, n := range bookwormRuntime {
		s := per[n]
		if s.all == 0 {
			t.Errorf("runtime package %s owns no bytes", n)
		}
		if s.tool+s.flagged > 0 {
			t.Errorf("runtime package %s: %d bytes flagged", n, s.tool+s.flagged)
		}
	}
	// Flagged directories name the tool, not "usr".
	if len(c.TopDirs) == 0 || c.TopDirs[0].Path != "usr/lib/gcc/x86_64-linux-gnu/12" || c.TopDirs[0].Category != model.BuildTool {
		t.Errorf("top flagged dirs %+v, want gcc's directory first", c.TopDirs)
	}
	for _, d := range c.TopDirs {
		if genericDirs[d.Path] {
			t.Errorf("flagged dir %s names no tool", d.Path)
		}
	}
	if !strings.HasSuffix(c.Verdict, "%) of this image is build tooling") || !strings.HasPrefix(c.Verdict, "284 MB (") {
		t.Errorf("verdict %q", c.Verdict)
	}
	// The package list names the biggest toolchain packages first, with
	// their evidence.
	if p := c.Packages[0]; p.Category != model.BuildTool || p.Evidence == "" || p.Manager != "dpkg" {
		t.Errorf("largest package %+v", p)
	}
}
