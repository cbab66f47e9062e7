//go:build e2e

package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseOutput checks what `make release` wrote to IMGDIFF_E2E_DIST
// for IMGDIFF_E2E_VERSION (testdata/e2e/run.sh, phase release): sha256sum
// -c agrees with SHA256SUMS, which lists every archive; each archive holds
// a binary for the platform its name says, built with -trimpath and CGO
// off; this platform's binary, unpacked by the system's tar, prints the
// version.
func TestReleaseOutput(t *testing.T) {
	dist, version := os.Getenv("IMGDIFF_E2E_DIST"), os.Getenv("IMGDIFF_E2E_VERSION")
	if dist == "" || version == "" {
		t.Skip("IMGDIFF_E2E_DIST and IMGDIFF_E2E_VERSION name make release's output (testdata/e2e/run.sh)")
	}
	check := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	check.Dir = dist
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		_, name, _ := strings.Cut(l, "  ")
		listed[name] = true
	}
	files, _ := filepath.Glob(filepath.Join(dist, "imgdiff_*"))
	if len(files) == 0 || len(files) != len(listed) {
		t.Fatalf("archives %q, SHA256SUMS lists %d", files, len(listed))
	}
	host := ArchiveName(version, runtime.GOOS, runtime.GOARCH)
	if !listed[host] {
		t.Fatalf("no archive for this platform (%s)", host)
	}
	for _, p := range Platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		name := ArchiveName(version, goos, goarch)
		if !listed[name] {
			continue // the e2e run builds this platform's only
		}
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		exe := binaryFrom(t, name, data, binaryName(goos))
		info, err := buildinfo.Read(bytes.NewReader(exe))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if settings["GOOS"] != goos || settings["GOARCH"] != goarch || settings["-trimpath"] != "true" || settings["CGO_ENABLED"] != "0" {
			t.Errorf("%s: build settings %v", name, settings)
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(dist, host), "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -xzf %s: %v\n%s", host, err, out)
	}
	out, err := exec.Command(filepath.Join(dir, "imgdiff"), "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "imgdiff version "+version {
		t.Errorf("imgdiff --version: %q (%v), want %q", out, err, "imgdiff version "+version)
	}
}

// binaryFrom returns the bytes of file name in an archive.
func binaryFrom(t *testing.T, archive string, data []byte, name string) []byte {
	t.Helper()
	if strings.HasSuffix(archive, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		for _, f := range zr.File {
			if f.Name == name {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				b, err := io.ReadAll(rc)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		t.Fatalf("%s has no %s", archive, name)
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", archive, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no %s (%v)", archive, name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
