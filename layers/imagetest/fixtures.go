package imagetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Fixture tags: docker archives carry FixtureTag, OCI layouts and archives
// the ref name FixtureRefName.
const (
	FixtureTag     = "imgdiff/fixture:1"
	FixtureRefName = "1"
)

// FixturePlatforms are the platforms of the fixture index.
var FixturePlatforms = []string{"linux/amd64", "linux/arm64/v8"}

// FixtureSpec is the fixture image for a platform ("" for linux/amd64): a
// few hundred KB with every case a layer walk must get right. Its lower
// layers hold files and a directory that later layers delete, a directory
// a later layer makes opaque, a file a later layer overwrites, hard links
// (counted once) and symlinks (counted by target length); the history has
// legacy and BuildKit forms and empty-layer entries.
func FixtureSpec(platform string) Image {
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	if platform != "" {
		pp, err := v1.ParsePlatform(platform)
		if err == nil {
			p = *pp
		}
	}
	arch := p.Architecture
	if p.Variant != "" {
		arch += "/" + p.Variant
	}
	return Image{
		Platform: p,
		Layers: []Layer{
			{CreatedBy: AddLegacy("fixture rootfs "+arch, "/"), Entries: []Entry{
				{Path: "bin", Type: Dir},
				{Path: "bin/busybox", Size: 120_000, Mode: 0o755},
				{Path: "bin/sh", Type: Hardlink, Link: "bin/busybox"},
				{Path: "bin/ls", Type: Hardlink, Link: "bin/busybox"},
				{Path: "etc/arch", Body: []byte(arch + "\n")},
				{Path: "etc/config", Size: 2_000},
				{Path: "etc/os-release", Type: Symlink, Link: "../usr/lib/os-release"},
				{Path: "lib/libc.so.6", Size: 80_000},
				{Path: "lib/libc.so", Type: Symlink, Link: "libc.so.6"},
				{Path: "opt/app/x", Size: 5_000},
				{Path: "opt/app/y", Size: 5_000},
				{Path: "tmp", Type: Dir, Mode: 0o1777},
				{Path: "tmp/junk", Size: 20_000},
				{Path: "usr/lib/os-release", Body: []byte("ID=fixture\nVERSION_ID=1\n")},
				{Path: "var/cache/data/a", Size: 10_000},
				{Path: "var/cache/data/b", Size: 10_000},
				{Path: "var/cache/data/sub/c", Size: 10_000},
			}},
			{CreatedBy: RunLegacy("rm -rf /var/cache/data /tmp/junk /opt/app/* && install-tool"), Entries: []Entry{
				{Path: "etc/config", Size: 3_000},
				{Path: "opt/app", Type: Opaque},
				{Path: "opt/app/z", Size: 4_000},
				{Path: "tmp/junk", Type: Whiteout},
				{Path: "usr/bin/tool", Size: 50_000, Mode: 0o755},
				{Path: "usr/bin/tool-alias", Type: Hardlink, Link: "usr/bin/tool"},
				{Path: "var/cache/data", Type: Whiteout},
			}},
			{CreatedBy: BuildKit("COPY app /app"), Comment: BuildKitComment, Entries: []Entry{
				{Path: "app", Type: Dir, UID: 1000, GID: 1000},
				{Path: "app/main", Size: 60_000, Mode: 0o755, UID: 1000, GID: 1000},
				{Path: "app/current", Type: Symlink, Link: "main", UID: 1000, GID: 1000},
				{Path: "app/data.json", Body: []byte(`{"fixture":true}` + "\n"), UID: 1000, GID: 1000},
				{Path: "usr/bin/tool", Size: 51_000, Mode: 0o755},
				{Path: "usr/bin/tool-alias", Type: Hardlink, Link: "usr/bin/tool"},
			}},
		},
		EmptySteps: []EmptyStep{
			{At: 1, CreatedBy: NopLegacy(`ENV PATH=/usr/local/bin:/usr/bin:/bin`)},
			{At: 3, CreatedBy: "USER 1000:1000", Comment: BuildKitComment},
			{At: 3, CreatedBy: `ENTRYPOINT ["/app/main"]`, Comment: BuildKitComment},
		},
		Config: v1.Config{
			Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
			User:       "1000:1000",
			Entrypoint: []string{"/app/main"},
		},
	}
}

// The fixture files WriteFixtures writes, relative to its directory.
const (
	FixtureDockerArchive         = "docker-archive.tar"           // before Docker 25
	FixtureDockerArchive25       = "docker-archive-25.tar"        // classic store: uncompressed blobs
	FixtureDockerArchive25Gzip   = "docker-archive-25-gzip.tar"   // containerd store: gzip blobs
	FixtureDockerArchive25NoBase = "docker-archive-25-nobase.tar" // layer 0's blob missing
	FixtureOCILayoutGzip         = "oci-layout-gzip"
	FixtureOCILayoutZstd         = "oci-layout-zstd"
	FixtureOCIArchive            = "oci-archive.tar"
	FixtureIndexLayout           = "index-layout"
	FixtureIndexArchive          = "index-archive.tar"
	FixtureExpected              = "expected.json"
)

// Fixtures is expected.json: the figures of the linux/amd64 fixture image
// (the same in every single-image fixture) and of each platform of the
// index.
type Fixtures struct {
	Image Expected            `json:"image"`
	Index map[string]Expected `json:"index"`
}

// WriteFixtures writes the fixture set to dir: the fixture image in every
// format imgdiff reads, a two-platform index as OCI layout and archive, and
// expected.json.
func WriteFixtures(dir string) error {
	if err := writeFixtures(dir); err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}
	return nil
}

func writeFixtures(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	at := func(n string) string { return filepath.Join(dir, n) }
	spec := FixtureSpec("")
	built := map[Compression]v1.Image{}
	for _, c := range []Compression{Uncompressed, Gzip, Zstd} {
		s := spec
		s.Compression = c
		img, err := Build(s)
		if err != nil {
			return err
		}
		built[c] = img
	}
	steps := []error{
		WriteDockerArchive(at(FixtureDockerArchive), FixtureTag, built[Uncompressed]),
		WriteDockerArchive25(at(FixtureDockerArchive25), FixtureTag, built[Uncompressed], Docker25Options{}),
		WriteDockerArchive25(at(FixtureDockerArchive25Gzip), FixtureTag, built[Gzip], Docker25Options{}),
		WriteDockerArchive25(at(FixtureDockerArchive25NoBase), FixtureTag, built[Uncompressed], Docker25Options{OmitLayers: []int{0}}),
		WriteOCILayout(at(FixtureOCILayoutGzip), FixtureRefName, built[Gzip]),
		WriteOCILayout(at(FixtureOCILayoutZstd), FixtureRefName, built[Zstd]),
		WriteOCIArchive(at(FixtureOCIArchive), FixtureRefName, built[Gzip]),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}

	fx := Fixtures{Image: Expect(spec), Index: map[string]Expected{}}
	if err := fillBlobs(&fx.Image, built); err != nil {
		return err
	}
	images := map[string]v1.Image{}
	for _, p := range FixturePlatforms {
		s := FixtureSpec(p)
		img, err := Build(s)
		if err != nil {
			return err
		}
		images[p] = img
		ex := Expect(s)
		if err := fillBlobs(&ex, map[Compression]v1.Image{Gzip: img}); err != nil {
			return err
		}
		fx.Index[p] = ex
	}
	idx, err := Index(images)
	if err != nil {
		return err
	}
	if err := WriteOCILayout(at(FixtureIndexLayout), FixtureRefName, idx); err != nil {
		return err
	}
	if err := WriteOCIArchive(at(FixtureIndexArchive), FixtureRefName, idx); err != nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fx); err != nil {
		return err
	}
	return os.WriteFile(at(FixtureExpected), b.Bytes(), 0o644)
}

// fillBlobs records each layer's diffID and its blob in each built
// compression: identities, not figures, which the spec cannot predict.
func fillBlobs(ex *Expected, built map[Compression]v1.Image) error {
	for c, img := range built {
		ls, err := img.Layers()
		if err != nil {
			return err
		}
		if len(ls) != len(ex.Layers) {
			return fmt.Errorf("built %d layers, spec has %d", len(ls), len(ex.Layers))
		}
		for i, l := range ls {
			d, err := l.DiffID()
			if err != nil {
				return err
			}
			g, err := l.Digest()
			if err != nil {
				return err
			}
			n, err := l.Size()
			if err != nil {
				return err
			}
			ex.Layers[i].DiffID = d.String()
			if ex.Layers[i].Compressed == nil {
				ex.Layers[i].Compressed = map[string]Blob{}
			}
			ex.Layers[i].Compressed[c.String()] = Blob{Digest: g.String(), Size: n}
		}
	}
	return nil
}
