package layers

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
	"github.com/imgdiff/imgdiff/layers/source"
)

// The fixture was built by a real BuildKit with a mode=max provenance
// attestation (testdata/provenance/README.md): every source that keeps the
// index (OCI archive, OCI layout, registry) hands out the statement, which
// carries the Dockerfile the build read, byte for byte.
func TestProvenanceFromEverySource(t *testing.T) {
	const archive = "../testdata/provenance/image.oci.tar"
	dockerfile, err := os.ReadFile("../testdata/provenance/context/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	untar(t, archive, filepath.Join(dir, "layout"))
	idx, err := layout.ImageIndexFromPath(filepath.Join(dir, "layout"))
	if err != nil {
		t.Fatal(err)
	}
	host := registrytest.Serve(t, nil)
	// The archive's index.json points at BuildKit's image index.
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	inner, err := idx.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.Push(t, host+"/prov:1", inner)
	amd64, _ := source.ParsePlatform("linux/amd64")
	for _, ref := range []string{"oci-archive:" + archive, "oci:" + filepath.Join(dir, "layout"), "docker://" + host + "/prov:1"} {
		t.Run(ref, func(t *testing.T) {
			img, err := Open(context.Background(), ref, Options{Jobs: 1, Platform: amd64})
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if img.Provenance == nil {
				t.Fatalf("no provenance (notes %q)", img.Notes)
			}
			var st struct {
				PredicateType string `json:"predicateType"`
				Predicate     struct {
					Metadata map[string]json.RawMessage `json:"metadata"`
				} `json:"predicate"`
			}
			if err := json.Unmarshal(img.Provenance, &st); err != nil {
				t.Fatal(err)
			}
			if st.PredicateType != "https://slsa.dev/provenance/v0.2" {
				t.Errorf("predicate type %q", st.PredicateType)
			}
			var md struct {
				Source struct {
					Infos []struct {
						Filename string `json:"filename"`
						Data     string `json:"data"`
					} `json:"infos"`
				} `json:"source"`
			}
			if err := json.Unmarshal(st.Predicate.Metadata["https://mobyproject.org/buildkit@v1#metadata"], &md); err != nil {
				t.Fatal(err)
			}
			if len(md.Source.Infos) != 1 {
				t.Fatalf("%d source infos, want the Dockerfile", len(md.Source.Infos))
			}
			data, err := base64.StdEncoding.DecodeString(md.Source.Infos[0].Data)
			if err != nil || string(data) != string(dockerfile) {
				t.Errorf("the statement's Dockerfile differs from context/Dockerfile (%v)", err)
			}
		})
	}
}

// Sources without an index have no attestation: no provenance, no note.
func TestNoProvenanceWithoutIndex(t *testing.T) {
	img, err := Open(context.Background(), "oci:../testdata/fixtures/oci-layout-gzip", Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if img.Provenance != nil || len(img.Notes) > 0 {
		t.Errorf("provenance %d bytes, notes %q", len(img.Provenance), img.Notes)
	}
}

func untar(t *testing.T, archive, dest string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = imagetest.ReadTar(f, func(h *tar.Header, body io.Reader) error {
		p := filepath.Join(dest, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			return os.MkdirAll(p, 0o755)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		return os.WriteFile(p, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
