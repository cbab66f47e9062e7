// Package explain owns how a size difference is explained, term by term:
// which of an image's history entries and layers came from its base image
// (DetectBase), which files only in one image and only in the other are
// the same file moved (Moves), and the words the comparison's terms use
// (BaseDetail, PulledName, TopDir; terms.go). What the package graphs say
// about each package (who pulled it in, what only build tools need) is
// pkggraph's evidence. It is pure: values in, values out.
package explain

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The OCI annotations (or labels) naming an image's base.
const (
	AnnotationBaseName   = "org.opencontainers.image.base.name"
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
)

// HistoryEntry is one entry of an image config's history, oldest first.
type HistoryEntry struct {
	Created    time.Time
	CreatedBy  string
	Comment    string
	EmptyLayer bool
}

// Config is what DetectBase reads: the manifest's annotations, the
// config's labels and its history.
type Config struct {
	Annotations map[string]string
	Labels      map[string]string
	History     []HistoryEntry
}

// The heuristics DetectBase names.
const (
	// HeuristicImport: an entry that imports a root filesystem ("ADD
	// file:… in /", "ADD alpine-minirootfs-….tar.gz /", debuerreotype's
	// "# debian.sh …") as the first layer of the history, and the CMD
	// that follows it. The same ADD higher up the history (a toolchain
	// added as a tar) is the image's own step, not its base.
	HeuristicImport = "rootfs import"
	// HeuristicDockerImport: a first entry `docker import` wrote: it made
	// a layer and has no created_by, whatever its comment ("Imported from
	// -", or the message of `docker import -m`).
	HeuristicDockerImport = "docker import"
	// HeuristicFixedTime: leading entries with a fixed build time (the
	// Unix epoch or 1980, as bazel, ko, apko and nix write), distroless
	// among them.
	HeuristicFixedTime = "fixed build time"
	// HeuristicTimeGap: the entries before the first jump of a day or
	// more in their creation times.
	HeuristicTimeGap = "creation-time gap"
	// HeuristicNone: no base was found (FROM scratch, or a builder whose
	// history says nothing).
	HeuristicNone = "none"
)

// Where the extent of a base image came from, most trusted first (the
// Source of Base and of model.BaseImage).
const (
	// SourceDockerfile: the history entries the Dockerfile mapping
	// (--dockerfile) put on the target chain's root FROM.
	SourceDockerfile = "dockerfile"
	// SourceProvenance: the same, from the Dockerfile of the image's
	// BuildKit provenance attestation.
	SourceProvenance = "provenance"
	// SourceShared: the leading layers the two images of a compare have
	// in common (same content): their common base.
	SourceShared = "shared layers"
	// SourceHeuristic: one of the Heuristic constants, read from the
	// history alone.
	SourceHeuristic = "heuristic"
	// SourceNone: nothing says the image has a base.
	SourceNone = "none"
)

// Base is what DetectBase found.
type Base struct {
	// Name and Digest are the base image's, from the annotations or
	// labels, when present.
	Name, Digest string
	// Steps is the number of leading history entries that came from the
	// base image, Layers the number of layers they made.
	Steps, Layers int
	// Heuristic names how Steps was found (one of the Heuristic
	// constants), Evidence the entry that decided it.
	Heuristic string
	Evidence  string
	// Source is SourceHeuristic when a heuristic found a base, else
	// SourceNone. (The OCI annotations name a base; they do not say how
	// many layers it has.)
	Source string
}

// importRE matches the created_by of an entry that imports a root
// filesystem.
var importRE = regexp.MustCompile(`^(/bin/sh -c #\(nop\) +ADD (file|multi):[0-9a-f]+ in / *$|ADD [^ ]+\.(tar|tar\.gz|tgz|tar\.xz|tar\.bz2|tar\.zst) / # buildkit$|ADD (file|multi):[0-9a-f]+ in / *$|# debian\.sh |# ubuntu\.sh )`)

// cmdRE matches the CMD a base image ends with.
var cmdRE = regexp.MustCompile(`^(/bin/sh -c #\(nop\) +)?CMD \[`)

// DetectBase says which of the leading history entries of cfg came from
// its base image, and names the base when the annotations or labels do.
func DetectBase(cfg Config) Base {
	var b Base
	for _, m := range []map[string]string{cfg.Annotations, cfg.Labels} {
		if b.Name == "" {
			b.Name = m[AnnotationBaseName]
		}
		if b.Digest == "" {
			b.Digest = m[AnnotationBaseDigest]
		}
	}
	h := cfg.History
	b.Heuristic, b.Steps = HeuristicNone, 0
	first := firstLayer(h)
	switch {
	case first < 0:
	case dockerImported(h, first):
		b.Heuristic, b.Steps, b.Evidence = HeuristicDockerImport, first+1, h[first].Comment
		if b.Evidence == "" {
			b.Evidence = "a first layer with no created_by"
		}
	case isImport(h[first]):
		b.Heuristic, b.Steps, b.Evidence = HeuristicImport, first+1, strings.TrimSpace(h[first].CreatedBy)
		if b.Evidence == "" {
			b.Evidence = h[first].Comment
		}
		// The base's CMD follows, maybe after other metadata.
		for j := first + 1; j < len(h) && h[j].EmptyLayer; j++ {
			if cmdRE.MatchString(strings.TrimSpace(h[j].CreatedBy)) {
				b.Steps = j + 1
				break
			}
		}
	default:
		if n := fixedTimeRun(h); n > 0 {
			b.Heuristic, b.Steps = HeuristicFixedTime, n
			b.Evidence = fmt.Sprintf("%d entries created %s", n, h[0].Created.UTC().Format(time.RFC3339))
			break
		}
		for i := 1; i < len(h); i++ {
			if !h[i].Created.IsZero() && !h[i-1].Created.IsZero() && h[i].Created.Sub(h[i-1].Created) >= 24*time.Hour {
				b.Heuristic, b.Steps = HeuristicTimeGap, i
				b.Evidence = fmt.Sprintf("created %s, then %s", h[i-1].Created.UTC().Format("2006-01-02"), h[i].Created.UTC().Format("2006-01-02"))
				break
			}
		}
	}
	b.Source = SourceNone
	if b.Steps > 0 {
		b.Source = SourceHeuristic
	}
	for _, e := range h[:b.Steps] {
		if !e.EmptyLayer {
			b.Layers++
		}
	}
	return b
}

// firstLayer is the index of the first entry of h that made a layer, -1
// when none did.
func firstLayer(h []HistoryEntry) int {
	for i, e := range h {
		if !e.EmptyLayer {
			return i
		}
	}
	return -1
}

// isImport reports whether e imports a root filesystem.
func isImport(e HistoryEntry) bool {
	return importRE.MatchString(strings.TrimSpace(e.CreatedBy)) || strings.HasPrefix(e.Comment, "debuerreotype")
}

// dockerImported reports whether the first layer of h, h[first], is what
// `docker import` writes: no created_by, with or without a comment, when
// some later entry has one (a history where no entry has a created_by
// says nothing of which of them came first).
func dockerImported(h []HistoryEntry, first int) bool {
	if strings.TrimSpace(h[first].CreatedBy) != "" {
		return false
	}
	if strings.HasPrefix(h[first].Comment, "Imported from") {
		return true
	}
	for _, e := range h[first+1:] {
		if strings.TrimSpace(e.CreatedBy) != "" {
			return true
		}
	}
	return false
}

// fixedTimeRun returns how many leading entries share a fixed build time
// (before 1981: bazel and ko write the epoch, nix 1970, others 1980), when
// entries after them do not.
func fixedTimeRun(h []HistoryEntry) int {
	cutoff := time.Date(1981, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for n < len(h) && !h[n].Created.IsZero() && h[n].Created.Before(cutoff) {
		n++
	}
	if n == len(h) {
		return 0 // all of them: a reproducible build says nothing
	}
	return n
}
