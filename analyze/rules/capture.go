package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/imgdiff/imgdiff/analyze/apk"
	"github.com/imgdiff/imgdiff/analyze/dpkg"
	"github.com/imgdiff/imgdiff/analyze/pkgdb"
	"github.com/imgdiff/imgdiff/analyze/rpm"
	"github.com/imgdiff/imgdiff/layers/index"
)

// captureVersion is bumped whenever WantContent's logic changes; changes to
// its tables (and to the default rules' `contains` names) change CaptureKey
// by themselves, through its hash.
const captureVersion = 4

// captureSecretMax caps the captured body of a file a secret rule reads: a
// secret worth flagging is small (a big .pem is a CA bundle). The package
// databases have their own caps (pkgdb.Wants).
const captureSecretMax = 64 << 10

// captureGraphMax caps the bodies the dependency graph reads besides the
// databases pkgdb keeps (apt's extended_states, apk's world);
// captureRpmMax the rpm databases, which hold every package header with
// its file list: tens of MB on UBI 8, more on a full Fedora.
const (
	captureGraphMax = 16 << 20
	captureRpmMax   = 256 << 20
)

// graphCaptureMax is the cap for a path pkgdb.GraphWants accepts.
func graphCaptureMax(p string) int64 {
	switch p {
	case rpm.Sqlite, rpm.SqliteUsr, rpm.BerkeleyDB, rpm.BerkeleyDBUsr, rpm.Ndb, rpm.NdbUsr:
		return captureRpmMax
	}
	return captureGraphMax
}

// captureSet is what WantContent captures besides the package databases:
// the files a secret rule with `contains` must read. Secret files flagged
// by name alone (.env, .git-credentials) are not captured, so their
// bodies never reach memory or the layer cache.
type captureSet struct {
	// byName are literal base names, with their caps.
	byName map[string]int64
	// suffixes are base-name endings ("*.pem" rules), capped at
	// captureSecretMax.
	suffixes []string
	// paths are path globs (docker's config.json under .docker only), by
	// the base name they end with.
	paths map[string][]string
	// headNames and headSuffixes select the files whose first bytes the
	// walk keeps (HeadLen), with how many: the names of the default
	// rules with `header` (index.HeadSize bytes) or only `magic` (the
	// few bytes their magics read).
	headNames    map[string]int
	headSuffixes []headSuffix
	key          string
}

var (
	captureOnce sync.Once
	capture     *captureSet
)

// captured returns the capture set: every name and path of a default rule
// with `contains` (its matcher needs the body), so the rule file stays the
// one place to add a secret rule.
func captured() *captureSet {
	captureOnce.Do(func() {
		cs := &captureSet{byName: map[string]int64{}, paths: map[string][]string{}, headNames: map[string]int{}}
		suffixes := map[string]bool{}
		headSuffixes := map[string]int{}
		for _, s := range Default().specs {
			if len(s.Header)+len(s.Magic) > 0 && !s.Disabled {
				n := headNeed(&s)
				for _, name := range s.Names {
					for _, e := range expandBraces(name) {
						if suf, ok := captureSuffix(e); ok {
							headSuffixes[suf] = max(headSuffixes[suf], n)
						} else if !hasMeta(e) {
							cs.headNames[e] = max(cs.headNames[e], n)
						}
					}
				}
			}
			if len(s.Contains) == 0 || s.Disabled {
				continue
			}
			for _, n := range s.Names {
				for _, e := range expandBraces(n) {
					if suf, ok := captureSuffix(e); ok {
						suffixes[suf] = true
					} else if !hasMeta(e) {
						cs.byName[e] = captureSecretMax
					}
				}
			}
			for _, p := range s.Paths {
				for _, e := range expandBraces(p) {
					if b := index.Base(e); !hasMeta(b) {
						cs.paths[b] = append(cs.paths[b], e)
					}
				}
			}
		}
		for s := range suffixes {
			cs.suffixes = append(cs.suffixes, s)
		}
		sort.Strings(cs.suffixes)
		for s, n := range headSuffixes {
			cs.headSuffixes = append(cs.headSuffixes, headSuffix{s, n})
		}
		sort.Slice(cs.headSuffixes, func(i, j int) bool { return cs.headSuffixes[i].suffix < cs.headSuffixes[j].suffix })
		cs.key = cs.hash()
		capture = cs
	})
	return capture
}

// captureSuffix returns ".pem" for "*.pem": a glob WantContent can test
// with a suffix compare.
func captureSuffix(name string) (string, bool) {
	if len(name) > 1 && name[0] == '*' && !hasMeta(name[1:]) {
		return name[1:], true
	}
	return "", false
}

// hash digests the tables and caps, so CaptureKey follows any change.
func (cs *captureSet) hash() string {
	h := sha256.New()
	names := make([]string, 0, len(cs.byName))
	for n := range cs.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "name %s %d\n", n, cs.byName[n])
	}
	for _, s := range cs.suffixes {
		fmt.Fprintf(h, "suffix %s %d\n", s, captureSecretMax)
	}
	bases := make([]string, 0, len(cs.paths))
	for b := range cs.paths {
		bases = append(bases, b)
	}
	sort.Strings(bases)
	for _, b := range bases {
		fmt.Fprintf(h, "path %s %q %d\n", b, cs.paths[b], captureSecretMax)
	}
	heads := make([]string, 0, len(cs.headNames))
	for n, size := range cs.headNames {
		heads = append(heads, fmt.Sprintf("%s=%d", n, size))
	}
	sort.Strings(heads)
	fmt.Fprintf(h, "heads %q %v %d\n", heads, cs.headSuffixes, index.HeadSize)
	pkgdb.WriteCaptureTables(h)
	fmt.Fprintf(h, "graph %s %s %s %s %d %d\n", dpkg.AptExtendedStates, apk.World, rpm.Sqlite, rpm.BerkeleyDB, captureGraphMax, captureRpmMax)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// CaptureKey names the set of files WantContent selects, as a version and a
// hash of its tables (which include the default rules' `contains` names).
// Layer indexes are cached under it: an index cached with another set would
// lack bodies Classify needs.
func CaptureKey() string {
	return fmt.Sprintf("classify-%d-%s", captureVersion, captured().key)
}

// WantContent reports whether the walk should keep the body of the regular
// file at canonical path p (size bytes): the package databases, lockfiles
// and manifests Classify reads for evidence, and the small files whose
// content decides whether they hold a secret (the default rules with
// `contains`). It runs for every regular
// file of every layer, so it sticks to string compares on the base name
// and a few prefixes and suffixes.
func WantContent(p string, size int64) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	cs := captured()
	if max, ok := cs.byName[base]; ok {
		return size <= max
	}
	if want, ok := pkgdb.Wants(p, size); ok {
		return want
	}
	if pkgdb.GraphWants(p) {
		return size <= graphCaptureMax(p)
	}
	if globs, ok := cs.paths[base]; ok && size <= captureSecretMax {
		for _, g := range globs {
			if doublestar.MatchUnvalidated(g, p) {
				return true
			}
		}
	}
	for _, s := range cs.suffixes {
		if strings.HasSuffix(base, s) {
			return size <= captureSecretMax
		}
	}
	return false
}

// headSuffix is a base-name ending whose files' first n bytes the walk
// keeps.
type headSuffix struct {
	suffix string
	n      int
}

// headNeed is how many leading bytes s's matchers read: index.HeadSize
// for a header string (it may stand anywhere in them), else the most any
// of its magics reads. A build tree holds object files by the hundred
// thousand: 18 bytes of each instead of 512 is what keeps their heads
// within the walk's per-layer cap (maxHeadBytes) and out of the peak.
func headNeed(s *Spec) int {
	if len(s.Header) > 0 {
		return index.HeadSize
	}
	n := 0
	for _, m := range s.Magic {
		if mg := magics[m]; mg != nil {
			n = max(n, mg.size)
		}
	}
	return n
}

// HeadLen is how many leading bytes of the regular file at canonical path
// p the walk keeps (0: none): the files a default rule with `header` or
// `magic` names, whose first bytes say what they are (an ELF relocatable
// object, a static archive, a Makefile automake generated), as many as
// those rules read. It runs for every regular file of every layer: a map
// lookup and a few suffix compares on the base name.
func HeadLen(p string, _ int64) int {
	base := p[strings.LastIndexByte(p, '/')+1:]
	cs := captured()
	n := cs.headNames[base]
	for _, s := range cs.headSuffixes {
		if strings.HasSuffix(base, s.suffix) {
			n = max(n, s.n)
		}
	}
	return n
}

// WantHead reports whether the walk keeps any of the file's first bytes
// (HeadLen > 0).
func WantHead(p string, size int64) bool { return HeadLen(p, size) > 0 }

// checkCaptured rejects a user rule whose `contains` matcher could never
// match: imgdiff reads bodies only of the files WantContent selects, which
// a user rule cannot extend (the layer cache is keyed by that set).
func checkCaptured(s *Spec) error {
	if s.Disabled {
		return nil
	}
	if len(s.Header)+len(s.Magic) > 0 {
		return checkHeads(s)
	}
	if len(s.Contains) == 0 {
		return nil
	}
	var probes []string
	if err := eachNameProbe(s, "contains needs", func(probe string) error {
		probes = append(probes, probe)
		return nil
	}); err != nil {
		return err
	}
	for _, p := range s.Paths {
		for _, e := range expandBraces(p) {
			// A sample path the glob matches: "**/.docker/config.json" ->
			// "x/.docker/config.json".
			probe := strings.NewReplacer("**", "x", "*", "x", "?", "x").Replace(e)
			if hasMeta(probe) || !doublestar.MatchUnvalidated(e, probe) {
				return fmt.Errorf("rule %q: contains needs paths with only * and ** wildcards, not %q", s.ID, p)
			}
			probes = append(probes, probe)
		}
	}
	for _, probe := range probes {
		if !WantContent(probe, 1) {
			return fmt.Errorf("rule %q: contains cannot see inside %q: imgdiff keeps the content of package databases, lockfiles and the files the default secret rules name, no others", s.ID, index.Base(probe))
		}
	}
	return nil
}

// checkHeads rejects a user rule with `header` or `magic` whose names are
// not among the files the walk keeps the head of (WantHead), which only
// the default rules define.
func checkHeads(s *Spec) error {
	return eachNameProbe(s, "header and magic need", func(probe string) error {
		if HeadLen(probe, 1) < headNeed(s) {
			return fmt.Errorf("rule %q: header and magic cannot see inside %q: imgdiff keeps the first bytes only of the files the default header and magic rules name, as many as those rules read", s.ID, strings.TrimPrefix(probe, "probe/"))
		}
		return nil
	})
}

// eachNameProbe calls f, in order, with a sample path for each of the
// rule's names, braces expanded ("*.ext" -> "probe/x.ext"), and stops at
// the first error: f's, or one saying that what (e.g. "contains needs")
// needs literal file names or "*.ext".
func eachNameProbe(s *Spec, what string, f func(probe string) error) error {
	for _, n := range s.Names {
		for _, e := range expandBraces(n) {
			if suf, ok := captureSuffix(e); ok {
				e = "x" + suf
			} else if hasMeta(e) {
				return fmt.Errorf("rule %q: %s literal file names or \"*.ext\", not %q", s.ID, what, n)
			}
			if err := f("probe/" + e); err != nil {
				return err
			}
		}
	}
	return nil
}
