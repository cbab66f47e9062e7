package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// recorder keeps the order in which the pipeline calls its observer.
type recorder struct {
	calls []string
	t     Timings
}

func (r *recorder) Opening(context.Context) func(int64) {
	r.calls = append(r.calls, "opening")
	return nil
}
func (r *recorder) Opened(imgs []*layers.Image, err error) {
	r.calls = append(r.calls, "opened")
	if err != nil {
		r.calls = append(r.calls, "open failed")
	}
}
func (r *recorder) Walking(context.Context, []*layers.Image) layers.Observer {
	r.calls = append(r.calls, "walking")
	return nil
}
func (r *recorder) Walked(error)   { r.calls = append(r.calls, "walked") }
func (r *recorder) Done(t Timings) { r.calls = append(r.calls, "done"); r.t = t }

const token = "npm_abcdefghijklmnopqrstuvwxyz0123456789"

// writeSpec builds spec and writes it in a temp dir with the transport
// ("docker-archive": a docker save archive, or "oci": an OCI layout); it
// returns the image's reference.
func writeSpec(tb testing.TB, spec imagetest.Image, transport string) string {
	tb.Helper()
	img, err := imagetest.Build(spec)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "img")
	switch transport {
	case "docker-archive":
		err = imagetest.WriteDockerArchive(path, "img:1", img)
	case "oci":
		err = imagetest.WriteOCILayout(path, "latest", img)
	default:
		err = fmt.Errorf("no transport %q to write", transport)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return transport + ":" + path
}

// loadSpec writes spec (writeSpec) and loads it with one job.
func loadSpec(t *testing.T, spec imagetest.Image, transport string) Loaded {
	t.Helper()
	loaded, err := Load(context.Background(), Options{Open: layers.Options{Jobs: 1}}, writeSpec(t, spec, transport))
	if err != nil {
		t.Fatal(err)
	}
	return loaded[0]
}

// writeImage writes a two-layer image whose config and history hold a
// token, as a docker save archive, and returns its reference.
func writeImage(t *testing.T) string {
	t.Helper()
	return writeSpec(t, imagetest.Image{
		Layers: []imagetest.Layer{
			{Entries: []imagetest.Entry{{Path: "usr/local/go/bin/go", Size: 3000}, {Path: "app/server", Size: 1000}}, CreatedBy: "COPY rootfs / # buildkit"},
			{Entries: []imagetest.Entry{{Path: "app/.env", Body: []byte("KEY=1\n")}}, CreatedBy: "COPY .env /app/ # buildkit"},
		},
		EmptySteps:  []imagetest.EmptyStep{{At: 2, CreatedBy: "ENV NPM_TOKEN=" + token}},
		Config:      v1.Config{User: "1000", Env: []string{"NPM_TOKEN=" + token}, Cmd: []string{"/app/server"}},
		Compression: imagetest.Uncompressed,
	}, "docker-archive")
}

// TestLoadStages: Load runs every stage in order and tells the observer;
// the image it returns is redacted (no token left in the config or the
// history) while the finding that names the variable stays; the budgets
// are checked by Analyze.
func TestLoadStages(t *testing.T) {
	ref := writeImage(t)
	rec := &recorder{}
	o := Options{Open: layers.Options{Jobs: 2}, Observer: rec}
	loaded, err := Load(context.Background(), o, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rec.calls, " "), "opening opened walking walked done"; got != want {
		t.Errorf("observer calls %q, want %q", got, want)
	}
	if rec.t.Images != 1 || rec.t.Analyse <= 0 || rec.t.Build <= 0 || rec.t.Classify <= 0 {
		t.Errorf("timings %+v", rec.t)
	}
	img, class := loaded[0].Image, loaded[0].Class
	if img.Redacted == nil {
		t.Fatal("the loaded image was not redacted")
	}
	if img.Config.Env[0] != "NPM_TOKEN=<redacted>" {
		t.Errorf("config env %q", img.Config.Env)
	}
	for _, s := range img.Steps {
		if strings.Contains(s.CreatedBy, token) || strings.Contains(s.Instruction.Args, token) {
			t.Errorf("step %d keeps the token: %q", s.Index, s.CreatedBy)
		}
	}
	ids := map[string]bool{}
	for _, f := range class.Findings {
		ids[f.ID] = true
	}
	for _, id := range []string{hygiene.FindingSecretEnv, hygiene.FindingSecretFile} {
		if !ids[id] {
			t.Errorf("no %s finding in %v", id, ids)
		}
	}
	if f, ok := img.FS.Lookup("usr/local/go/bin/go"); !ok || class.Flags.Category(indexOf(img, f.Path)) != model.BuildTool {
		t.Errorf("usr/local/go/bin/go not flagged build-tool")
	}

	// Analyze adds the summary and the budget check: 4,006 content bytes
	// against a 4,000-byte limit fails.
	limit := int64(4000)
	a, err := Analyze(context.Background(), Options{Open: layers.Options{Jobs: 1},
		Budgets: &budget.Budgets{Images: []budget.ImageBudget{{MaxSize: &limit}}}}, ref, 5)
	if err != nil {
		t.Fatal(err)
	}
	if a.Image.Size != 4006 || a.Budgets == nil || a.Budgets.Pass || len(a.Budgets.Failed()) != 1 {
		t.Errorf("size %d, budgets %+v", a.Image.Size, a.Budgets)
	}

	// Compare of an image with itself saves nothing.
	c, err := Compare(context.Background(), Options{Open: layers.Options{Jobs: 2}}, ref, ref, analyze.CompareOptions{Top: 3})
	if err != nil {
		t.Fatal(err)
	}
	if c.Delta.Size != 0 || c.Budgets != nil {
		t.Errorf("self-compare: delta %+v, budgets %+v", c.Delta, c.Budgets)
	}
}

func indexOf(img *model.Image, p string) int {
	i, _ := img.FS.IndexOf(p)
	return i
}

// TestLoadErrors: a bad job count and an unreadable reference end the run
// with an error naming them, and the observer hears of the failed open.
func TestLoadErrors(t *testing.T) {
	if _, err := Load(context.Background(), Options{}, "x"); err == nil || !strings.Contains(err.Error(), "jobs") {
		t.Errorf("jobs 0: %v", err)
	}
	rec := &recorder{}
	missing := filepath.Join(t.TempDir(), "missing.tar")
	_, err := Load(context.Background(), Options{Open: layers.Options{Jobs: 1}, Observer: rec}, "docker-archive:"+missing)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing archive: %v", err)
	}
	if got := strings.Join(rec.calls, " "); got != "opening opened open failed" {
		t.Errorf("observer calls %q", got)
	}
}
