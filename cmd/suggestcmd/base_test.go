package suggestcmd

import (
	"context"
	"errors"
	"testing"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
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
	ios, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmdSuggest(ios, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"app:1", "--dockerfile", "Dockerfile", "--base", "gcr.io/distroless/cc-debian12"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Base != "gcr.io/distroless/cc-debian12" {
		t.Errorf("Base = %q", got.Base)
	}
}
