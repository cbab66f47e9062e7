package fleetcmd

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	afleet "github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// testRegistry serves images and counts layer blob GETs; with noBlobs it
// refuses them (configs are still served).
type testRegistry struct {
	host     string
	layers   map[string]bool
	gets     atomic.Int64
	noBlobs  atomic.Bool
	expected map[string]int64 // repo:tag -> content size, by hand
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	tr := &testRegistry{layers: map[string]bool{}, expected: map[string]int64{}}
	reg := registrytest.Handler()
	tr.host = registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := strings.LastIndex(r.URL.Path, "/blobs/"); i >= 0 && r.Method == http.MethodGet && tr.layers[r.URL.Path[i+len("/blobs/"):]] {
			if tr.noBlobs.Load() {
				http.Error(w, "no layer downloads", http.StatusForbidden)
				return
			}
			tr.gets.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	gcc := imagetest.Layer{CreatedBy: "RUN apt-get install gcc-12", Entries: []imagetest.Entry{
		{Path: "var/lib/dpkg/status", Body: []byte("Package: gcc-12\nStatus: install ok installed\nSection: devel\nInstalled-Size: 3\nVersion: 12.2.0-14\nArchitecture: amd64\n\n")},
		{Path: "var/lib/dpkg/info/gcc-12.list", Body: []byte("/usr/bin/gcc-12\n")},
		{Path: "usr/bin/gcc-12", Size: 30000, Mode: 0o755},
	}}
	for repoTag, spec := range map[string]imagetest.Image{
		"team-a/api:1": {Layers: []imagetest.Layer{gcc, {CreatedBy: "COPY server /", Entries: []imagetest.Entry{{Path: "server", Size: 2000, Mode: 0o755}}}}},
		"team-a/api:2": {Layers: []imagetest.Layer{gcc, {CreatedBy: "COPY server /", Entries: []imagetest.Entry{{Path: "server", Size: 2500, Mode: 0o755}}}}},
		"team-b/web:1": {Layers: []imagetest.Layer{{CreatedBy: "COPY site /", Entries: []imagetest.Entry{{Path: "index.html", Size: 700}}}}},
	} {
		spec.Config = v1.Config{Cmd: []string{"/server"}}
		img, err := imagetest.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		registrytest.Push(t, tr.host+"/"+repoTag, img)
		ls, _ := img.Layers()
		for _, l := range ls {
			d, _ := l.Digest()
			tr.layers[d.String()] = true
		}
	}
	// Content sizes by hand: the dpkg files, gcc and each app layer.
	base := int64(len("Package: gcc-12\nStatus: install ok installed\nSection: devel\nInstalled-Size: 3\nVersion: 12.2.0-14\nArchitecture: amd64\n\n") + len("/usr/bin/gcc-12\n") + 30000)
	tr.expected["team-a/api:1"] = base + 2000
	tr.expected["team-a/api:2"] = base + 2500
	tr.expected["team-b/web:1"] = 700
	return tr
}

func run(t *testing.T, cmdArgs []string, env map[string]string) (string, string, error) {
	t.Helper()
	ios, out, errOut := cmdutil.Test()
	ios.Getenv = func(k string) string { return env[k] }
	cmd := NewCmdFleet(ios)
	cmd.SetArgs(cmdArgs)
	cmd.SetOut(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestScanShardsThenReport(t *testing.T) {
	tr := newTestRegistry(t)
	store := "docker://" + tr.host + "/imgdiff/store"
	sel := "docker://" + tr.host + "/**"

	// Two workers, one by flag, one by the Indexed Job's env.
	if _, stderr, err := run(t, []string{"scan", sel, "--store", store, "--shard", "0/2"}, nil); err != nil {
		t.Fatalf("shard 0: %v\n%s", err, stderr)
	}
	_, stderr, err := run(t, []string{"scan", sel, "--store", store}, map[string]string{"JOB_COMPLETION_INDEX": "1", "IMGDIFF_FLEET_SHARDS": "2"})
	if err != nil {
		t.Fatalf("shard 1: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "shard 1/2: 3 images, 4 distinct layers") {
		t.Errorf("scan summary: %s", stderr)
	}
	if got := tr.gets.Load(); got != 4 {
		t.Errorf("%d layer blob GETs for 4 distinct layers over 2 shards", got)
	}

	tr.noBlobs.Store(true)
	out, stderr, err := run(t, []string{"report", sel, "--store", store, "-o", "json", "--no-config"}, nil)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	var r afleet.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != afleet.SchemaVersion || r.Total.Images != 3 || r.Total.Incomplete != 0 {
		t.Fatalf("report: schema %d, %d images, %d incomplete", r.SchemaVersion, r.Total.Images, r.Total.Incomplete)
	}
	for _, img := range r.Images {
		key := strings.TrimPrefix(img.Repo, tr.host+"/") + ":" + img.Tag
		if img.Size != tr.expected[key] {
			t.Errorf("%s: size %d, want %d", key, img.Size, tr.expected[key])
		}
	}
	if len(r.BuildTools) != 2 || r.Repositories[0].Repo != tr.host+"/team-a/api" || r.Repositories[0].Flagged == 0 {
		t.Errorf("build tools %v, repositories %+v", r.BuildTools, r.Repositories)
	}

	// CSV: a header and one row per image.
	out, _, err = run(t, []string{"report", sel, "--store", store, "-o", "csv", "--no-config"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "ref" {
		t.Errorf("csv: %v, %d rows", err, len(rows))
	}
	// A budget broken by an image: exit 1, after the report.
	out, _, err = run(t, []string{"report", sel, "--store", store, "--no-config", "--max-size", "10kB"}, nil)
	if !errors.Is(err, cmdutil.ErrBudgetFailed) || !strings.Contains(out, "FAIL") {
		t.Errorf("budget: %v\n%s", err, out)
	}
}

func TestReportIncomplete(t *testing.T) {
	tr := newTestRegistry(t)
	store := t.TempDir()
	tr.noBlobs.Store(true)
	out, stderr, err := run(t, []string{"report", "docker://" + tr.host + "/team-b/web:1", "--store", store, "-o", "markdown", "--no-config"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "incomplete") || !strings.Contains(stderr, "1 of 1 images are incomplete") || !strings.Contains(stderr, "the store lacks sha256:") {
		t.Errorf("incomplete image not said:\n%s\n%s", out, stderr)
	}
}

func TestReportStoreDirMissing(t *testing.T) {
	tr := newTestRegistry(t)
	missing := filepath.Join(t.TempDir(), "typo")
	_, _, err := run(t, []string{"report", "docker://" + tr.host + "/team-b/web:1", "--store", missing, "--no-config"}, nil)
	if err == nil || !strings.Contains(err.Error(), "no such store directory") {
		t.Errorf("report of a missing store dir: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("the report made the store directory")
	}
}

func TestFromFileAndBadInput(t *testing.T) {
	tr := newTestRegistry(t)
	list := filepath.Join(t.TempDir(), "images.txt")
	if err := os.WriteFile(list, []byte("# fleet\ndocker://"+tr.host+"/team-b/web:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	if _, stderr, err := run(t, []string{"scan", "--from-file", list, "--store", store}, nil); err != nil || !strings.Contains(stderr, "1 images, 1 distinct layers") {
		t.Errorf("from file: %v %s", err, stderr)
	}
	for _, args := range [][]string{
		{"scan", "docker://" + tr.host + "/x"},                                     // no store
		{"scan", "--store", store},                                                 // nothing selected
		{"scan", "docker://" + tr.host + "/x", "--store", store, "--shard", "3/3"}, // out of range
		{"scan", "docker://" + tr.host + "/x", "--store", store, "--shard", "1/2", "--shards", "3"},
		{"scan", "docker://" + tr.host + "/x", "--store", store, "--shards", "3"}, // no index
		{"report", "docker://" + tr.host + "/x", "--store", store, "-o", "sarif"},
	} {
		_, _, err := run(t, args, nil)
		var fe *cmdutil.FlagError
		if !errors.As(err, &fe) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		shard  string
		shards int
		env    func(string) string
		i, n   int
		bad    bool
	}{
		{"", 0, env(), 0, 1, false},
		{"2/5", 0, env(), 2, 5, false},
		{"2/5", 5, env(), 2, 5, false},
		{"", 4, env("JOB_COMPLETION_INDEX", "3"), 3, 4, false},
		{"", 0, env("JOB_COMPLETION_INDEX", "1", "IMGDIFF_FLEET_SHARDS", "2"), 1, 2, false},
		{"0/2", 0, env("JOB_COMPLETION_INDEX", "1"), 0, 2, false}, // the flag wins
		{"", 0, env("JOB_COMPLETION_INDEX", "1"), 0, 0, true},
		{"", 0, env("JOB_COMPLETION_INDEX", "x", "IMGDIFF_FLEET_SHARDS", "2"), 0, 0, true},
		{"5/5", 0, env(), 0, 0, true},
		{"-1/5", 0, env(), 0, 0, true},
		{"1/0", 0, env(), 0, 0, true},
		{"a/b", 0, env(), 0, 0, true},
	} {
		i, n, err := parseShard(c.shard, c.shards, c.env)
		if (err != nil) != c.bad || !c.bad && (i != c.i || n != c.n) {
			t.Errorf("parseShard(%q, %d) = %d, %d, %v", c.shard, c.shards, i, n, err)
		}
	}
}
