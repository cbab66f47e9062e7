package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestArchiveReproducible: the same files give the same bytes, whatever
// order they come in, and the system's tar and unzip read them back with
// the fixed mtime, owner 0 and modes.
func TestArchiveReproducible(t *testing.T) {
	mtime := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	files := []File{
		{Name: "imgdiff", Mode: 0o755, Data: []byte("#!/bin/sh\necho binary\n")},
		{Name: "README.md", Mode: 0o644, Data: []byte("# imgdiff\n")},
	}
	for _, goos := range []string{"linux", "windows"} {
		name, a, err := Archive("v1.2.3", goos, "amd64", mtime, files)
		if err != nil {
			t.Fatal(err)
		}
		_, b, err := Archive("v1.2.3", goos, "amd64", mtime, []File{files[1], files[0]})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two archives of the same files differ", goos)
		}
		want := map[string]string{"linux": "imgdiff_1.2.3_linux_amd64.tar.gz", "windows": "imgdiff_1.2.3_windows_amd64.zip"}[goos]
		if name != want {
			t.Errorf("archive name %q, want %q", name, want)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, a, 0o644); err != nil {
			t.Fatal(err)
		}
		var list *exec.Cmd
		if goos == "windows" {
			if _, err := exec.LookPath("unzip"); err != nil {
				t.Log("no unzip: the zip listing is not checked")
				continue
			}
			list = exec.Command("unzip", "-Z", "-T", path) // -T: yyyymmdd.hhmmss
		} else {
			list = exec.Command("tar", "--utc", "--numeric-owner", "-tvzf", path)
		}
		list.Env = append(os.Environ(), "TZ=UTC")
		out, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", list, err, out)
		}
		text := string(out)
		if goos == "windows" {
			for _, w := range []string{"-rwxr-xr-x", "20261201.100000 imgdiff", "20261201.100000 README.md"} {
				if !strings.Contains(text, w) {
					t.Errorf("unzip -Z -T listing lacks %q:\n%s", w, text)
				}
			}
			continue
		}
		// GNU tar: "-rwxr-xr-x 0/0 23 2026-12-01 10:00 imgdiff", in name order.
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "-rw-r--r-- 0/0") || !strings.HasSuffix(lines[0], "2026-12-01 10:00 README.md") ||
			!strings.HasPrefix(lines[1], "-rwxr-xr-x 0/0") || !strings.HasSuffix(lines[1], "2026-12-01 10:00 imgdiff") {
			t.Errorf("tar -tv listing:\n%s", text)
		}
	}
}

// TestRunRefusesBadInput: a version that is not a release tag or a
// malformed platform is refused before anything is built.
func TestRunRefusesBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"-version", "1.2.3"},
		{"-version", "v1.2"},
		{"-version", "v1.2.3;rm"},
		{"-version", "v1.2.3", "-platforms", "linux"},
	} {
		dir := t.TempDir()
		wd, _ := os.Getwd()
		// run reads README.md from the working directory: the repository root.
		if err := os.Chdir("../.."); err != nil {
			t.Fatal(err)
		}
		err := run(context.Background(), append(args, "-out", dir))
		os.Chdir(wd)
		if err == nil {
			t.Errorf("run %q: no error", args)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
			t.Errorf("run %q wrote %q", args, m)
		}
	}
}
