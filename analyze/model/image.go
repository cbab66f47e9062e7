// Package model is the data model of an analysed image: the image with its
// layers, steps and final filesystem, and what classifying it finds
// (categories, flags, packages, findings). It holds types and the small
// methods that read them, nothing that computes an analysis: package
// analyze builds and classifies these values and re-exports them under
// the same names (analyze.Image is model.Image); the concern packages
// under analyze/ (pkgdb, rules, hygiene) read and fill them without
// importing analyze.
package model

import (
	"time"

	"github.com/imgdiff/imgdiff/layers/index"
)

// SchemaVersion is the version of the JSON report model (docs/json.md).
// Bump it on any incompatible change to the JSON shape.
const SchemaVersion = 1

// Unknown marks a size the source cannot tell (a compressed size read from
// an archive that holds layers uncompressed): index.Unknown, the one value
// layers and the analysis share.
const Unknown = index.Unknown

// Image is an analysed image: its layers and history steps with every byte
// attributed, and its final filesystem. Sizes are content sizes in bytes, as
// Docker counts them (regular file bytes plus symlink target lengths, hard
// links once); compressed sizes are blob sizes, Unknown when the source has
// none.
type Image struct {
	Ref       string `json:"ref"`
	Transport string `json:"transport"`
	Platform  string `json:"platform"`
	Digest    string `json:"digest,omitempty"`
	// Size is the content size: `docker image inspect` .Size.
	Size int64 `json:"size"`
	// CompressedSize is the sum of layer blob sizes: what a pull
	// transfers, Unknown when any layer's is unknown.
	CompressedSize int64 `json:"compressedSize"`
	// Wasted is content bytes that later layers deleted or overwrote.
	Wasted int64  `json:"wasted"`
	Files  int    `json:"files"`
	Config Config `json:"config"`
	// Base is the base image the history shows, nil when the history
	// does not match the layers.
	Base   *BaseImage `json:"base,omitempty"`
	Layers []Layer    `json:"layers"`
	Steps  []Step     `json:"steps"`
	// Snapshot is set when the image was read from a snapshot file
	// (`snapshot:FILE`): what the snapshot recorded of the image it was
	// taken of, and how old it is.
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	// Warnings say where the analysis had to guess (history that does not
	// match the layers, for one).
	Warnings []string `json:"warnings,omitempty"`

	// FS is the final filesystem; Hidden lists what later layers removed.
	FS     *FS          `json:"-"`
	Hidden []HiddenFile `json:"-"`
	// Contents are the captured file bodies visible in the final
	// filesystem (package databases, lockfiles), by path.
	Contents map[string][]byte `json:"-"`
	// ELF are, by canonical path, the ELF facts (PT_INTERP, DT_NEEDED)
	// of the final filesystem's files, each as the layer that wrote it
	// (a hard link: its target's); nil when the walk read none
	// (layers.WalkOptions.ELF).
	ELF map[string]index.ELF `json:"-"`
	// Redacted is set on the copy the redaction step returns
	// (hygiene.Redact); nil on an image not redacted.
	Redacted *Redaction `json:"-"`
}

// Snapshot is what a snapshot file recorded of the image it was taken of.
type Snapshot struct {
	// Ref and Transport are the image's reference when the snapshot was
	// taken and the source that read it.
	Ref       string `json:"ref"`
	Transport string `json:"transport"`
	// Created is when the snapshot was taken; AgeSeconds how long before
	// this report (set by the run that reads it).
	Created    time.Time `json:"created"`
	AgeSeconds int64     `json:"ageSeconds"`
	// Imgdiff is the version of imgdiff that took it.
	Imgdiff string `json:"imgdiff,omitempty"`
}

// Redaction is what the redaction step took out of an image's config and
// history: the credential findings, which name the variables but never
// their values.
type Redaction struct {
	Findings []Finding
}

// Config is the part of the image config the reports show and the hygiene
// checks read.
type Config struct {
	User        string   `json:"user"`
	Entrypoint  []string `json:"entrypoint,omitempty"`
	Cmd         []string `json:"cmd,omitempty"`
	WorkingDir  string   `json:"workingDir,omitempty"`
	Env         []string `json:"env,omitempty"`
	Healthcheck bool     `json:"healthcheck"`
	// HealthcheckTest is the HEALTHCHECK test argv ("CMD-SHELL", "curl
	// -f ..."), nil when there is none.
	HealthcheckTest []string `json:"healthcheckTest,omitempty"`
	// Labels are the config's labels.
	Labels map[string]string `json:"labels,omitempty"`
}

// BaseImage is what the image's build record says of its base image: how
// many leading steps and layers came from it, their content size, and
// where that was found: the Dockerfile mapping, the provenance, the
// layers a compared image shares, else a heuristic over the history
// (explain.DetectBase).
type BaseImage struct {
	// Name and Digest come from the org.opencontainers.image.base.*
	// annotations of the manifest, else the config's labels, when present.
	Name   string `json:"name,omitempty"`
	Digest string `json:"digest,omitempty"`
	Steps  int    `json:"steps"`
	Layers int    `json:"layers"`
	// Size is the content size of the base layers (hidden bytes included).
	Size int64 `json:"size"`
	// Heuristic names what the history alone says ("rootfs import",
	// "docker import", "fixed build time", "creation-time gap", "none"):
	// how Steps was found when Source is "heuristic". Evidence is what
	// decided Steps (a history entry, the FROM line, the shared layers).
	Heuristic string `json:"heuristic"`
	Evidence  string `json:"evidence,omitempty"`
	// Source says where Steps came from, most trusted first:
	// "dockerfile" (the steps the Dockerfile mapping puts on the target
	// chain's root FROM), "provenance" (the same from the provenance's
	// Dockerfile), "shared layers" (in a compare: the leading layers both
	// images have), "heuristic" (Heuristic names which), "none".
	Source string `json:"source"`
}

// Layer is one layer of the image, with its bytes split into what survives
// in the final filesystem and what later layers hid.
type Layer struct {
	Index  int    `json:"index"`
	DiffID string `json:"diffID"`
	Digest string `json:"digest,omitempty"`
	// Identity is what the walk showed the bytes to be (index.Layer's):
	// Compare calls layers shared only when it is equal and not empty;
	// DiffID is only what the config claims.
	Identity string `json:"-"`
	// Size is the layer's content size: `docker history` SIZE.
	Size           int64 `json:"size"`
	CompressedSize int64 `json:"compressedSize"`
	Files          int   `json:"files"`
	// Step is the index in Steps of the history entry that made the layer.
	Step int `json:"step"`
	// Final + Hidden == Size.
	Final  int64 `json:"final"`
	Hidden int64 `json:"hidden"`
	// Removes is the bytes of lower layers this layer deleted or overwrote.
	Removes int64 `json:"removes"`
}

// Step is one history entry (one Dockerfile instruction). Steps that made
// no layer have Layer == -1 and zero sizes.
type Step struct {
	Index       int         `json:"index"`
	Instruction Instruction `json:"instruction"`
	CreatedBy   string      `json:"createdBy"`
	Comment     string      `json:"comment,omitempty"`
	EmptyLayer  bool        `json:"emptyLayer"`
	Layer       int         `json:"layer"`
	// Synthetic is set when the step stands in for missing history.
	Synthetic      bool  `json:"synthetic,omitempty"`
	Size           int64 `json:"size"`
	CompressedSize int64 `json:"compressedSize"`
	Files          int   `json:"files"`
	Final          int64 `json:"final"`
	Hidden         int64 `json:"hidden"`
	Removes        int64 `json:"removes"`
	// Created is the history entry's creation time (zero if none).
	Created time.Time `json:"-"`
}

// HiddenFile is content a later layer deleted or overwrote: it still costs
// bytes in every pull and on disk, but no container can see it.
type HiddenFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Layer wrote it; By hid it.
	Layer int `json:"layer"`
	By    int `json:"by"`
	// How is "deleted" (a whiteout or opaque dir) or "overwritten".
	How string `json:"how"`
}

// StepOf maps a file's layer to the step that made it, -1 when the layer
// is out of range (a directory no layer recorded).
func (img *Image) StepOf(layer int) int {
	if layer < 0 || layer >= len(img.Layers) {
		return -1
	}
	return img.Layers[layer].Step
}

// Instruction is a history entry's created_by, parsed into the Dockerfile
// instruction that most likely produced it.
type Instruction struct {
	// Name is the Dockerfile keyword (RUN, COPY, ADD, ENV, ...), or "" when
	// the entry was written by a tool that records no instruction.
	Name string `json:"name"`
	// Args is the instruction's argument text as recorded.
	Args string `json:"args"`
}

// String renders the instruction the way a Dockerfile would show it.
func (in Instruction) String() string {
	switch {
	case in.Name == "":
		return in.Args
	case in.Args == "":
		return in.Name
	}
	return in.Name + " " + in.Args
}

// MainStep is the key of m (a step, from step -> bytes) with the most
// bytes, the lowest on a tie; -1 if m is empty.
func MainStep(m map[int]int64) int {
	best, bestN := -1, int64(-1)
	for k, n := range m {
		if n > bestN || n == bestN && k < best {
			best, bestN = k, n
		}
	}
	return best
}
