package layers

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/source"
)

// TestFixturesMatchTheirSpec reads the committed fixture set through every
// transport and checks the walked figures against expected.json, which
// imagetest computes from the image spec, not from tar bytes.
func TestFixturesMatchTheirSpec(t *testing.T) {
	const dir = "../testdata/fixtures/"
	want, err := imagetest.ReadFixtures(dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ref         string
		compression string // the key into Compressed, "" = sizes unknown
	}{
		{"docker-archive:" + dir + "docker-archive.tar", ""},
		{dir + "docker-archive.tar", ""},
		{"docker-archive:" + dir + "docker-archive-25.tar", ""},
		{"docker-archive:" + dir + "docker-archive-25-gzip.tar", "gzip"},
		{"oci:" + dir + "oci-layout-gzip", "gzip"},
		{"oci:" + dir + "oci-layout-zstd", "zstd"},
		{"oci-archive:" + dir + "oci-archive.tar", "gzip"},
		{dir + "oci-archive.tar", "gzip"},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			_, got := walkOne(t, c.ref, Options{Jobs: 2})
			checkExpected(t, got, want.Image, c.compression)
		})
	}
	for _, ref := range []string{"oci:" + dir + "index-layout", "oci-archive:" + dir + "index-archive.tar"} {
		for plat, exp := range want.Index {
			t.Run(ref+"/"+plat, func(t *testing.T) {
				p, err := source.ParsePlatform(plat)
				if err != nil {
					t.Fatal(err)
				}
				_, got := walkOne(t, ref, Options{Jobs: 2, Platform: p})
				checkExpected(t, got, exp, "gzip")
			})
		}
	}
}

func checkExpected(t *testing.T, got *index.Image, want imagetest.Expected, compression string) {
	t.Helper()
	if got.Platform != want.Platform {
		t.Errorf("platform %s, want %s", got.Platform, want.Platform)
	}
	if len(got.Layers) != len(want.Layers) {
		t.Fatalf("%d layers, want %d", len(got.Layers), len(want.Layers))
	}
	var total int64
	for i, l := range got.Layers {
		w := want.Layers[i]
		total += l.Size
		if l.DiffID != w.DiffID || l.Size != w.Size {
			t.Errorf("layer %d: %s size %d, want %s size %d", i, l.DiffID, l.Size, w.DiffID, w.Size)
		}
		var files, links, hard int
		for _, e := range l.Entries {
			switch e.Kind {
			case index.File:
				files++
			case index.Symlink:
				links++
			case index.Hardlink:
				hard++
			}
		}
		if files != w.Files || links != w.Symlinks || hard != w.Hardlinks {
			t.Errorf("layer %d: %d files %d symlinks %d hardlinks, want %d %d %d", i, files, links, hard, w.Files, w.Symlinks, w.Hardlinks)
		}
		if !sameSet(l.Whiteouts, w.Whiteouts) || !sameSet(l.OpaqueDirs, w.OpaqueDirs) {
			t.Errorf("layer %d: whiteouts %v opaque %v, want %v %v", i, l.Whiteouts, l.OpaqueDirs, w.Whiteouts, w.OpaqueDirs)
		}
		if compression == "" {
			if l.CompressedSize != Unknown {
				t.Errorf("layer %d: compressed size %d, want unknown", i, l.CompressedSize)
			}
		} else if b := w.Compressed[compression]; l.CompressedSize != b.Size || l.Digest != b.Digest {
			t.Errorf("layer %d: blob %s %d, want %s %d", i, l.Digest, l.CompressedSize, b.Digest, b.Size)
		}
	}
	if total != want.Size {
		t.Errorf("total %d, want %d", total, want.Size)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	for i := range a {
		a[i] = strings.TrimSuffix(a[i], "/")
	}
	for i := range b {
		b[i] = strings.TrimSuffix(b[i], "/")
	}
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestFixtureMissingBaseLayer(t *testing.T) {
	_, err := Open(context.Background(), "../testdata/fixtures/docker-archive-25-nobase.tar", Options{})
	if err == nil || !strings.Contains(err.Error(), "is not in the archive") {
		t.Fatalf("err = %v", err)
	}
}
