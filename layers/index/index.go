// Package index holds the in-memory picture of a walked image: its metadata
// and one file index per layer. It is pure data, shared by package layers
// (which fills it from tar streams) and package analyze (which reads it),
// with the checked arithmetic every sum of sizes an image claims goes
// through (AddSize, MaxSize). It knows nothing of transports, compression,
// categories or budgets.
package index

import (
	"math"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Kind is the type of a tar entry.
type Kind uint8

// The entry kinds found in layer tars.
const (
	File Kind = iota + 1
	Dir
	Symlink
	Hardlink
	CharDevice
	BlockDevice
	FIFO
)

var kindNames = [...]string{"", "file", "dir", "symlink", "hardlink", "chardev", "blockdev", "fifo"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Entry is one tar entry of a layer, whiteout markers excluded. It is kept
// small (56 bytes; the strings point into one arena per layer when the
// walker builds it), as an index holds one per tar entry: millions for a
// big layer.
type Entry struct {
	// Path is canonical: see Canonical.
	Path string
	// Link is a symlink's target as written, or a hard link's target as a
	// canonical path.
	Link string
	// Size is what the entry adds to Docker's image size: the length of a
	// regular file, the length of a symlink's target, and 0 for
	// directories, devices, fifos and hard links (a hard link shares the
	// inode of its target, which is counted once).
	Size int64
	// UID and GID are the owner as a uid_t/gid_t: a tar id outside
	// 0..2^32-1 is stored as it would convert to one (see ID).
	UID, GID uint32
	// Mode holds the permission bits plus setuid, setgid and sticky, as in
	// the tar header (0o7777 mask).
	Mode uint32
	Kind Kind
}

// ID converts a tar header's uid or gid to a uid_t: values in the int32 or
// uint32 range convert as C does ((uid_t)-1 is 2^32-1); anything beyond,
// which only a corrupt or hostile tar claims, is 2^32-1 too.
func ID(v int64) uint32 {
	if v < math.MinInt32 || v > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}

// Layer is the file index of one layer, plus what the source knows of its
// blob. The file part (Entries, Whiteouts, OpaqueDirs, Contents, Size) depends
// only on the layer's bytes and is what the cache stores.
type Layer struct {
	// DiffID is the digest of the uncompressed tar ("sha256:...").
	DiffID string
	// Digest is the digest of the blob as stored or transferred; empty when
	// the source holds the layer uncompressed and has no compressed form.
	Digest string
	// CompressedSize is the blob size a pull transfers, or -1 when the
	// source has no compressed form (a pre-25 docker save, for one).
	CompressedSize int64
	// MediaType of the blob as the source names it; may be empty.
	MediaType string
	// Identity is what the walk showed the layer's bytes to be, set per
	// image like Digest and never cached: layers of two images with the
	// same non-empty Identity are the same bytes (a blob digest checked
	// while read, a diffID the Docker engine computed, or the same bytes
	// of the same local file). Empty when nothing shows it. DiffID is
	// only what the config claims; use Identity to call layers shared.
	Identity string

	Entries []Entry
	// Whiteouts are the canonical paths this layer deletes from lower
	// layers (".wh.name" markers, resolved to "dir/name").
	Whiteouts []string
	// OpaqueDirs are the canonical directories whose lower contents this
	// layer hides (".wh..wh..opq" markers).
	OpaqueDirs []string
	// Contents holds the bodies of the few small files the walk was asked
	// to capture (package databases, lockfiles), by canonical path.
	Contents map[string][]byte
	// ELF holds, by canonical path, the facts read from the ELF headers
	// of the regular files the walk was asked to inspect
	// (layers.WalkOptions.ELF); nil when it was not asked. A file that is
	// no ELF, or whose headers could not be read within the walk's
	// bounds, has no entry.
	ELF map[string]ELF
	// Size is Docker's size of the layer: the sum of Entries' Size. It
	// equals `docker history` SIZE for the layer.
	Size int64
}

// ELF is what an ELF file's headers say it needs from the system that runs
// it: the program interpreter (PT_INTERP, the dynamic loader) and the
// libraries of its dynamic section (DT_NEEDED), in file order. A file with
// neither is static.
type ELF struct {
	Interp string
	Needed []string
}

// Image is an image as analyze sees it: where it came from, its config, and
// the index of each layer, in rootfs order.
type Image struct {
	// Ref is the reference as the user gave it.
	Ref string
	// Transport names the source actually used: "docker-archive", "oci",
	// "oci-archive", "registry" or "docker-daemon".
	Transport string
	// Platform is "os/arch[/variant]".
	Platform string
	// Digest is the manifest digest when the source has one.
	Digest string
	// ManifestSize is the size in bytes of the manifest, when known.
	ManifestSize int64
	// ConfigSize is the size in bytes of the config blob, when known.
	ConfigSize int64
	// Annotations are the manifest's annotations, when the source has a
	// manifest that carries some (org.opencontainers.image.base.name).
	Annotations map[string]string
	Config      *v1.ConfigFile
	Layers      []*Layer
	// Snapshot is what a snapshot recorded of the image it was taken
	// of; nil for an image read from its own bytes.
	Snapshot *Snapshot
}

// Snapshot is what a snapshot file (package layers/snapshot) recorded
// when it was taken: of which image, when, and by which imgdiff.
type Snapshot struct {
	// Ref and Transport are the image's reference as given when the
	// snapshot was taken and the source that read it.
	Ref       string
	Transport string
	// Created is when the snapshot was taken.
	Created time.Time
	// Imgdiff is the version of imgdiff that took it.
	Imgdiff string
	// CaptureKey names the file bodies its walk captured
	// (layers.WalkOptions.CaptureKey of that image alone).
	CaptureKey string
	// Redacted is what the redaction step found in the config and
	// history, which the snapshot stores with those values taken out:
	// the findings as JSON, for the run that reads it to report.
	Redacted []byte
}

// Canonical returns the one form of a tar entry name used everywhere in
// imgdiff: slash-separated, cleaned, without a leading "/" or "./". The root
// directory is ".". Names that climb out of the root ("../x") are clamped to
// it, as tar extractors that refuse to escape do, so a hostile name can never
// address anything outside the image.
func Canonical(name string) string {
	// Fast path: names as tar writers store them ("usr/bin/x", "usr/bin/")
	// are canonical already, or but for a trailing slash; returning a
	// substring spares an allocation per entry of every layer.
	if clean(name) {
		return name
	}
	if n := len(name); n > 1 && name[n-1] == '/' && clean(name[:n-1]) {
		return name[:n-1]
	}
	p := path.Clean("/" + strings.TrimPrefix(name, "./"))
	if p == "/" {
		return "."
	}
	return p[1:]
}

// clean reports whether name is canonical as it is: non-empty, relative,
// with no empty, "." or ".." element.
func clean(name string) bool {
	if name == "" {
		return false
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '/' {
			continue
		}
		switch name[start:i] {
		case "", ".", "..":
			return false
		}
		start = i + 1
	}
	return true
}

// Parent returns the canonical parent directory of a canonical path; the
// parent of a top-level entry is ".".
func Parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

// Under reports whether canonical path p is dir itself or lies below it.
func Under(p, dir string) bool {
	if dir == "." {
		return true
	}
	return p == dir || (len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir))
}

// Platform formats a platform as "os/arch[/variant]".
func Platform(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}

// ShortDigest shortens a digest for people as docker shows image IDs:
// the algorithm and the first 12 hex digits ("sha256:0123456789ab"). A
// string that is no longer than that, or has no algorithm, is returned
// as it is. It is the one shortening of digests: layer errors, progress
// bars.
func ShortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}
