package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/analyze"
)

// TestSnapshotBaseline is the CLI contract the Action relies on: `analyze
// REF --snapshot FILE` writes FILE and still prints the normal report;
// `compare snapshot:FILE B` names the baseline snapshot:FILE with the
// reference it was taken of and its creation time, in JSON, Markdown and
// the table, and gives the figures of comparing the images.
func TestSnapshotBaseline(t *testing.T) {
	d := demo(t)
	single, multi := "oci:"+filepath.Join(d, "single"), "oci:"+filepath.Join(d, "multi")
	snap := filepath.Join(t.TempDir(), "main.snap")
	before := time.Now().Add(-time.Second)
	env := demoEnv(t)
	r := imgdiff(t, env, "analyze", single, "--snapshot", snap)
	if r.code != 0 || !strings.Contains(r.out, "Image       "+single) {
		t.Fatalf("analyze --snapshot: exit %d, stdout %.300q, stderr %q", r.code, r.out, r.errOut)
	}
	if fi, err := os.Stat(snap); err != nil || fi.Size() == 0 {
		t.Fatalf("no snapshot written: %v", err)
	}

	want := imgdiff(t, env, "compare", "-o", "json", single, multi)
	got := imgdiff(t, env, "compare", "-o", "json", "snapshot:"+snap, multi)
	if want.code != 0 || got.code != 0 {
		t.Fatalf("compare: exit %d / %d: %s %s", want.code, got.code, want.errOut, got.errOut)
	}
	var wc, gc analyze.Comparison
	if err := json.Unmarshal([]byte(want.out), &wc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got.out), &gc); err != nil {
		t.Fatal(err)
	}
	sn := gc.A.Snapshot
	if gc.A.Ref != "snapshot:"+snap || gc.A.Transport != "snapshot" || sn == nil || sn.Ref != single || sn.Created.Before(before) || sn.Created.After(time.Now()) {
		t.Fatalf("A: %q (%s), snapshot %+v", gc.A.Ref, gc.A.Transport, sn)
	}
	wd, _ := json.Marshal(wc.Decomposition)
	gd, _ := json.Marshal(gc.Decomposition)
	if gc.Delta != wc.Delta || string(gd) != string(wd) || gc.Shared != wc.Shared || len(gc.Packages) != len(wc.Packages) {
		t.Errorf("figures differ: delta %+v / %+v, shared %+v / %+v", gc.Delta, wc.Delta, gc.Shared, wc.Shared)
	}

	md := imgdiff(t, env, "compare", "-o", "markdown", "snapshot:"+snap, multi)
	if !strings.Contains(md.out, "| Snapshot | of `"+single+"`, taken "+sn.Created.UTC().Format("2006-01-02 15:04 UTC")+" (0 minutes old) |") {
		t.Errorf("the Markdown does not say the baseline is a snapshot and its age:\n%.1200s", md.out)
	}
	tab := imgdiff(t, env, "compare", "snapshot:"+snap, multi)
	if !strings.Contains(tab.out, "     snapshot of "+single+" (oci), taken ") {
		t.Errorf("the table does not say the baseline is a snapshot:\n%.600s", tab.out)
	}
}

// TestSnapshotBadInput: a snapshot that is not one, of another schema, or
// handed to a command that needs the image, ends with exit 2 and one line
// naming it; a snapshot that cannot be written is exit 2 too.
func TestSnapshotBadInput(t *testing.T) {
	dir := t.TempDir()
	gz := func(name string, b []byte) string {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p
	}
	old := gz("old.snap", []byte("imgdiff-snapshot\n\x00"))
	newer := gz("new.snap", []byte("imgdiff-snapshot\n\x09"))
	text := filepath.Join(dir, "text.snap")
	os.WriteFile(text, []byte("hello"), 0o644)
	d := demo(t)
	single := "oci:" + filepath.Join(d, "single")
	good := filepath.Join(dir, "good.snap")
	if r := imgdiff(t, demoEnv(t), "analyze", single, "--snapshot", good, "-o", "json"); r.code != 0 {
		t.Fatal(r.errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "snapshot:" + old, single}, "snapshot:" + old + ": snapshot schema 0 is older than the 1 this imgdiff reads: take the snapshot again with this imgdiff"},
		{[]string{"compare", "snapshot:" + newer, single}, "snapshot:" + newer + ": snapshot schema 9 is newer than the 1"},
		{[]string{"analyze", "snapshot:" + text}, "not an imgdiff snapshot"},
		{[]string{"analyze", "snapshot:" + filepath.Join(dir, "none")}, "no such file or directory"},
		{[]string{"analyze", "snapshot:" + dir}, "not a regular file"},
		{[]string{"analyze", "snapshot:"}, "snapshot: needs a path"},
		{[]string{"suggest", "snapshot:" + good, "--dockerfile", filepath.Join(d, "Dockerfile.single")}, "a snapshot holds no ELF facts"},
		{[]string{"analyze", single, "--snapshot", filepath.Join(dir, "no", "such", "dir", "x.snap")}, "--snapshot"},
	} {
		r := imgdiff(t, demoEnv(t), c.args...)
		lines := strings.Split(strings.TrimSpace(r.errOut), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, r.code, r.errOut, c.want)
		}
	}
}
