package suggestcmd

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/suggest"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/cmdutil/cmdtest"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

func TestBaseFromRef(t *testing.T) {
	for in, want := range map[string]string{
		"gcr.io/distroless/cc-debian12":          "gcr.io/distroless/cc-debian12",
		"docker://registry.corp/base:1":          "registry.corp/base:1",
		"docker-daemon:corp/base:1":              "corp/base:1",
		"debian@sha256:0123456789abcdef01234567": "debian@sha256:0123456789abcdef01234567",
	} {
		got, err := baseFromRef(in)
		if err != nil || got != want {
			t.Errorf("baseFromRef(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"oci:build/base", "docker-archive:base.tar", "./base", "", "a b", "x\nRUN id", "docker-daemon:", "$BASE"} {
		if _, err := baseFromRef(in); !errors.As(err, new(*cmdutil.FlagError)) {
			t.Errorf("baseFromRef(%q): err %v, want a flag error", in, err)
		}
	}
}

func TestBaseFlag(t *testing.T) {
	got, err := cmdtest.Parse(NewCmdSuggest, "app:1", "--dockerfile", "Dockerfile", "--base", "gcr.io/distroless/cc-debian12")
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "gcr.io/distroless/cc-debian12" {
		t.Errorf("Base = %q", got.Base)
	}
}

// A suggestion that kept a toolchain base names a runtime base: with no
// --base, it is read and the suggestion made again on it (Chosen says
// why); one that cannot be read leaves the first suggestion, said on
// stderr; --base wins over the hint.
func TestHintedBase(t *testing.T) {
	dir := t.TempDir()
	img, err := imagetest.Build(imagetest.Image{
		Compression: imagetest.Gzip,
		Layers:      []imagetest.Layer{{CreatedBy: "ADD rootfs.tar /", Entries: []imagetest.Entry{{Path: "usr/lib/x86_64-linux-gnu/libc.so.6", Size: 1234}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	slim := filepath.Join(dir, "slim")
	if err := imagetest.WriteOCILayout(slim, "latest", img); err != nil {
		t.Fatal(err)
	}
	ios, _, errOut := testIO(dir)
	po, _, err := cmdutil.Prepare(ios, cmdutil.SourceOptions{Jobs: 1}, &config.BudgetFlags{NoConfig: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	first := &suggest.Suggestion{Base: "golang:1.26", RuntimeBaseHint: "oci:" + slim}
	var on *suggest.RuntimeBase
	again := &suggest.Suggestion{Base: "oci:" + slim}
	suggestOn := func(rb *suggest.RuntimeBase) (*suggest.Suggestion, error) { on = rb; return again, nil }

	got, err := hintedBase(context.Background(), &Options{IO: ios}, po, first, suggestOn)
	if err != nil || got != again {
		t.Fatalf("hintedBase = %v, %v; want the suggestion made again", got, err)
	}
	if on == nil || on.FS == nil || on.Err != "" || !strings.Contains(on.Chosen, "golang:1.26, which is mostly build tools") {
		t.Fatalf("the runtime base given: %+v", on)
	}
	if _, ok := on.FS.Lookup("usr/lib/x86_64-linux-gnu/libc.so.6"); !ok || on.Size != 1234 {
		t.Errorf("the hinted base's files were not read: size %d", on.Size)
	}

	on = nil
	first.RuntimeBaseHint = "oci:" + filepath.Join(dir, "missing")
	got, err = hintedBase(context.Background(), &Options{IO: ios}, po, first, suggestOn)
	if err != nil || got != first || on != nil {
		t.Errorf("an unreadable hint: got %v, %v (suggested again on %+v); want the first suggestion", got, err, on)
	}
	if !strings.Contains(errOut.String(), "could not be read") || !strings.Contains(errOut.String(), "the original base is kept") {
		t.Errorf("stderr does not say the hint could not be read: %q", errOut.String())
	}

	first.RuntimeBaseHint = "oci:" + slim
	got, err = hintedBase(context.Background(), &Options{IO: ios, Base: "corp/base:1"}, po, first, suggestOn)
	if err != nil || got != first || on != nil {
		t.Errorf("--base given, yet the hint was followed: %v, %v, %+v", got, err, on)
	}
}
