package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/snapshot"
)

// snapshotPair writes the demo pair as OCI layouts; the single-stage image
// also carries a token in its ENV and an entrypoint script, so that the
// redaction and the scripts' capture are part of what a snapshot must
// keep equal.
func snapshotPair(t *testing.T) (single, multi string) {
	t.Helper()
	dir := t.TempDir()
	s := imagetest.DemoSingle()
	s.Config.Env = append(s.Config.Env, "NPM_TOKEN="+token)
	s.Config.Entrypoint = []string{"/app/start.sh"}
	s.Layers[2].Entries = append(s.Layers[2].Entries, imagetest.Entry{Path: "app/start.sh", Mode: 0o755, Body: []byte("#!/bin/sh\nmake -C native\nexec node dist/server.js\n")})
	for name, spec := range map[string]imagetest.Image{"single": s, "multi": imagetest.DemoMulti()} {
		img, err := imagetest.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := imagetest.WriteOCILayout(filepath.Join(dir, name), "latest", img); err != nil {
			t.Fatal(err)
		}
	}
	return "oci:" + filepath.Join(dir, "single"), "oci:" + filepath.Join(dir, "multi")
}

// takeSnapshot loads ref with its index kept and writes its snapshot.
func takeSnapshot(t *testing.T, o Options, ref string, created time.Time) string {
	t.Helper()
	o.KeepIndex = true
	loaded, err := Load(context.Background(), o, ref)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "base.snap")
	if err := loaded[0].WriteSnapshot(path, created, "test"); err != nil {
		t.Fatal(err)
	}
	return path
}

// figures is the JSON of a report with the snapshot side named as the
// image it was taken of: every figure, term by term.
func figures(t *testing.T, v any, snapRef, imgRef string) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"a", "b", "image"} {
		img, ok := m[side].(map[string]any)
		if !ok || img["ref"] != snapRef {
			continue
		}
		sn, ok := img["snapshot"].(map[string]any)
		if !ok || sn["ref"] != imgRef {
			t.Fatalf("%s: snapshot %v does not name %s", side, img["snapshot"], imgRef)
		}
		img["ref"], img["transport"] = imgRef, sn["transport"]
		delete(img, "snapshot")
	}
	b, _ = json.MarshalIndent(m, "", " ")
	if snapRef == "" {
		return string(b)
	}
	// Budget results name the image they checked: the snapshot's name.
	q := func(s string) string { r, _ := json.Marshal(s); return string(r) }
	return strings.ReplaceAll(string(b), q(snapRef), q(imgRef))
}

// TestSnapshotCompareEqualsImages: `compare snapshot:A B` gives exactly
// the figures of `compare A B` (sizes, decomposition, shared layers,
// packages, findings, budgets), with the snapshot on either side, and
// `analyze snapshot:A` those of `analyze A`. The budgets fail and pass on
// the same figures.
func TestSnapshotCompareEqualsImages(t *testing.T) {
	single, multi := snapshotPair(t)
	savings := budget.Limit{Bytes: 1}
	o := Options{Open: layers.Options{Jobs: 2}, Budgets: &budget.Budgets{
		Images:  []budget.ImageBudget{{FailOn: []string{hygiene.FindingSecretEnv, "build-tool"}}},
		Compare: budget.CompareBudget{MinSavings: &savings}}}
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return created.Add(50 * time.Hour) }
	snapSingle := "snapshot:" + takeSnapshot(t, o, single, created)
	snapMulti := "snapshot:" + takeSnapshot(t, o, multi, created)
	co := analyze.CompareOptions{Top: 10}
	ctx := context.Background()

	want, err := Compare(ctx, o, single, multi, co)
	if err != nil {
		t.Fatal(err)
	}
	if want.Shared.Layers != 1 || want.Budgets == nil {
		t.Fatalf("the pair should share its base layer and be checked: shared %+v, budgets %v", want.Shared, want.Budgets)
	}
	for _, tc := range []struct{ a, b string }{{snapSingle, multi}, {single, snapMulti}, {snapSingle, snapMulti}} {
		got, err := Compare(ctx, o, tc.a, tc.b, co)
		if err != nil {
			t.Fatalf("compare %s %s: %v", tc.a, tc.b, err)
		}
		g := figures(t, got, snapSingle, single)
		g = figures(t, json.RawMessage(g), snapMulti, multi)
		if w := figures(t, want, "", ""); g != w {
			t.Errorf("compare %s %s differs from compare of the images:\n%s", tc.a, tc.b, lineDiff(w, g))
		}
	}
	got, err := Compare(ctx, o, snapSingle, multi, co)
	if err != nil {
		t.Fatal(err)
	}
	sn := got.A.Snapshot
	if sn == nil || sn.Ref != single || sn.Transport != "oci" || !sn.Created.Equal(created) || sn.AgeSeconds != 50*3600 || got.A.Ref != snapSingle {
		t.Errorf("A: ref %q, snapshot %+v", got.A.Ref, sn)
	}

	wantA, err := Analyze(ctx, o, single, 10)
	if err != nil {
		t.Fatal(err)
	}
	gotA, err := Analyze(ctx, o, snapSingle, 10)
	if err != nil {
		t.Fatal(err)
	}
	if w, g := figures(t, wantA, "", ""), figures(t, gotA, snapSingle, single); g != w {
		t.Errorf("analyze of the snapshot differs from analyze of the image:\n%s", lineDiff(w, g))
	}

	// The images are slow to build: the other checks share them.
	path := strings.TrimPrefix(snapSingle, "snapshot:")
	t.Run("redacted", func(t *testing.T) { testSnapshotRedacted(t, path) })
	t.Run("refused", func(t *testing.T) { testSnapshotRefused(t, single, path) })
}

// testSnapshotRedacted: a snapshot never holds a credential the redaction
// takes out of the config and history, and the run that reads it still
// reports the finding that names the variable.
func testSnapshotRedacted(t *testing.T, path string) {
	o := Options{Open: layers.Options{Jobs: 2}}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := layers.Open(context.Background(), "snapshot:"+path, layers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(img.Config)
	if strings.Contains(string(cfg), token) || strings.Contains(string(img.Snapshot.Redacted), token) {
		t.Errorf("the snapshot's config holds the token: %s", cfg)
	}
	if env := img.Config.Config.Env; !slices.Contains(env, "NPM_TOKEN=<redacted>") {
		t.Errorf("the snapshot's config lost the variable: %q", env)
	}
	// And nowhere in the file, compressed or not.
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || bytes.Contains(plain, []byte(token)) {
		t.Errorf("the snapshot file holds the token (read error %v)", err)
	}
	a, err := Analyze(context.Background(), o, "snapshot:"+path, 5)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range a.Classification.Findings {
		found = found || f.ID == hygiene.FindingSecretEnv && strings.Contains(f.Title, "NPM_TOKEN")
	}
	if !found {
		t.Errorf("no %s finding naming NPM_TOKEN from the snapshot: %+v", hygiene.FindingSecretEnv, a.Classification.Findings)
	}
}

// testSnapshotRefused: a snapshot taken with another capture set (other
// rules or imgdiff) and a command that needs ELF facts refuse it with an
// error naming the reference.
func testSnapshotRefused(t *testing.T, single, path string) {
	_, err := Load(context.Background(), Options{Open: layers.Options{Jobs: 1}, RunFacts: true}, "snapshot:"+path)
	if err == nil || !strings.Contains(err.Error(), "snapshot:"+path+": ") || !strings.Contains(err.Error(), "ELF") {
		t.Errorf("RunFacts on a snapshot: %v", err)
	}

	o := Options{Open: layers.Options{Jobs: 1}, KeepIndex: true}
	loaded, err := Load(context.Background(), o, single)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old.snap")
	if err := snapshot.WriteFile(old, loaded[0].Index, snapshot.Meta{Created: time.Now(), CaptureKey: "classify-0-000000000000"}); err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), Options{Open: layers.Options{Jobs: 1}}, "snapshot:"+old)
	if err == nil || !strings.Contains(err.Error(), "snapshot:"+old+": ") || !strings.Contains(err.Error(), "take it again") {
		t.Errorf("a snapshot with another capture set: %v", err)
	}
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 20; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, "- "+a, "+ "+b)
		}
	}
	return strings.Join(out, "\n")
}
