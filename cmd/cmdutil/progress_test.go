package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/vbauerster/mpb/v8"

	"github.com/imgdiff/imgdiff/layers"
)

type fakeLayer struct{ hex string }

func (f fakeLayer) DiffID() v1.Hash                             { return v1.Hash{Algorithm: "sha256", Hex: f.hex} }
func (f fakeLayer) Blob() layers.Blob                           { return layers.Blob{Size: 1000} }
func (f fakeLayer) Open(context.Context) (io.ReadCloser, error) { return nil, errors.New("not used") }

func image(transport string, hexes ...string) *layers.Image {
	img := &layers.Image{Transport: transport}
	for _, h := range hexes {
		img.Layers = append(img.Layers, fakeLayer{h})
	}
	return img
}

func ttyStreams(env map[string]string) (*IOStreams, *bytes.Buffer) {
	ios, _, errOut := Test()
	ios.ErrTTY = true
	ios.Getenv = func(k string) string { return env[k] }
	return ios, errOut
}

func TestProgressOnlyOnATerminalForSlowSources(t *testing.T) {
	ctx := context.Background()
	ios, errOut, _ := func() (*IOStreams, *bytes.Buffer, int) { i, _, e := Test(); return i, e, 0 }()
	if obs, stop := NewProgress(ctx, ios, []*layers.Image{image(layers.Registry, "aa")}); obs != nil {
		stop()
		t.Error("bars on a non-terminal")
	}
	tty, _ := ttyStreams(nil)
	if obs, stop := NewProgress(ctx, tty, []*layers.Image{image("oci", "aa"), image("docker-archive", "bb")}); obs != nil {
		stop()
		t.Error("bars for local archives and layouts")
	}
	if errOut.Len() != 0 {
		t.Errorf("wrote %q", errOut)
	}
}

func TestProgressBars(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		env := map[string]string{}
		if noColor {
			env["NO_COLOR"] = "1"
		}
		ios, errOut := ttyStreams(env)
		a := image(layers.Registry, strings.Repeat("a", 64), strings.Repeat("b", 64))
		b := image("docker-daemon", strings.Repeat("a", 64), strings.Repeat("c", 64))
		obs, stop := NewProgress(context.Background(), ios, []*layers.Image{a, b}, mpb.WithAutoRefresh())
		if obs == nil {
			t.Fatal("no observer on a terminal for a registry image")
		}
		idA, idC := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("c", 64)
		obs.LayerStarted(idA, 1000)
		obs.LayerRead(idA, 600)
		obs.LayerRead(idA, 400)
		obs.LayerDone(idA, false, nil)
		obs.LayerDone("sha256:"+strings.Repeat("b", 64), true, nil)
		obs.LayerStarted(idC, 1000)
		obs.LayerRead(idC, 10)
		obs.LayerDone(idC, false, errors.New("boom"))
		stop()

		out := errOut.String()
		for _, want := range []string{"A 1/2", "aaaaaaaaaaaa", "A 2/2", "cached", "B 2/2", "cccccccccccc", "done", "failed"} {
			if !strings.Contains(out, want) {
				t.Errorf("NO_COLOR=%v: output lacks %q:\n%s", noColor, want, out)
			}
		}
		if hasColor := strings.Contains(out, "\x1b[32m"); hasColor == noColor {
			t.Errorf("NO_COLOR=%v: colour in output = %v", noColor, hasColor)
		}
	}
}

func TestSaveProgress(t *testing.T) {
	ios, _, errOut := Test()
	if report, stop := NewSaveProgress(context.Background(), ios); report != nil {
		t.Error("save progress on a non-terminal")
	} else {
		stop(true)
	}
	tty, ttyOut := ttyStreams(nil)
	_, stop := NewSaveProgress(context.Background(), tty)
	stop(true) // nothing saved: nothing drawn
	if ttyOut.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("drew %q without a save", ttyOut)
	}
	report, stop := NewSaveProgress(context.Background(), tty, mpb.WithAutoRefresh())
	report(1_000_000)
	report(25_000_000)
	stop(true)
	if out := ttyOut.String(); !strings.Contains(out, "docker save") || !strings.Contains(out, "done") {
		t.Errorf("save progress drew %q", out)
	}
}
