package rpm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
	"strings"
)

// The rpm header tags the graph reads (rpm's include/rpm/rpmtag.h).
const (
	rpmTagName          = 1000
	rpmTagVersion       = 1001
	rpmTagRelease       = 1002
	rpmTagEpoch         = 1003
	rpmTagSize          = 1009
	rpmTagGroup         = 1016
	rpmTagArch          = 1022
	rpmTagOldFilenames  = 1027
	rpmTagFileSizes     = 1028
	rpmTagSourceRPM     = 1044
	rpmTagProvideName   = 1047
	rpmTagRequireFlags  = 1048
	rpmTagRequireName   = 1049
	rpmTagDirIndexes    = 1116
	rpmTagBasenames     = 1117
	rpmTagDirnames      = 1118
	rpmTagLongFileSizes = 5008
	rpmTagLongSize      = 5009
	rpmTagRecommendName = 5046
	rpmTagSuggestName   = 5049
)

// The rpm header data types (rpm's lib/header.c).
const (
	rpmInt16       = 3
	rpmInt32       = 4
	rpmInt64       = 5
	rpmString      = 6
	rpmBin         = 7
	rpmStringArray = 8
	rpmI18NString  = 9
)

// rpmSenseRpmlib marks a requirement on an rpmlib() feature: rpm itself,
// no package.
const rpmSenseRpmlib = 1 << 24

// rpmHeader is a parsed header blob: each tag's type and raw data.
type rpmHeader struct {
	entries map[int32]rpmEntry
}

type rpmEntry struct {
	typ   uint32
	count uint32
	data  []byte // from the entry's offset to the end of the data store
}

// parseHeader parses a header blob as the rpm database stores it (no
// lead, no magic): il and dl, il index entries of {tag, type, offset,
// count}, then dl bytes of data; all big-endian.
func parseHeader(b []byte) (*rpmHeader, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("rpm header: %d bytes: %w", len(b), pkggraph.ErrMalformed)
	}
	il, dl := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	start := 8 + 16*uint64(il)
	if il == 0 || start+uint64(dl) > uint64(len(b)) {
		return nil, fmt.Errorf("rpm header: %d entries and %d data bytes in %d bytes: %w", il, dl, len(b), pkggraph.ErrMalformed)
	}
	store := b[start : start+uint64(dl)]
	h := &rpmHeader{entries: make(map[int32]rpmEntry, il)}
	for i := uint32(0); i < il; i++ {
		e := b[8+16*i:]
		tag := int32(binary.BigEndian.Uint32(e))
		typ, off, count := binary.BigEndian.Uint32(e[4:]), binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		if off > dl {
			return nil, fmt.Errorf("rpm header: tag %d at offset %d past %d data bytes: %w", tag, off, dl, pkggraph.ErrMalformed)
		}
		h.entries[tag] = rpmEntry{typ: typ, count: count, data: store[off:]}
	}
	return h, nil
}

// strings returns a string, string array or i18n string tag's values
// (an i18n string's first, the C locale's, only).
func (h *rpmHeader) strings(tag int32) []string {
	e, ok := h.entries[tag]
	if !ok {
		return nil
	}
	n := int(e.count)
	switch e.typ {
	case rpmString, rpmI18NString:
		n = 1
	case rpmStringArray:
	default:
		return nil
	}
	if n > len(e.data) {
		n = len(e.data) // each string takes a byte at least: a damaged count
	}
	out := make([]string, 0, n)
	d := e.data
	for len(out) < n {
		i := bytes.IndexByte(d, 0)
		if i < 0 {
			break // truncated: keep what was read
		}
		out = append(out, string(d[:i]))
		d = d[i+1:]
	}
	return out
}

func (h *rpmHeader) string(tag int32) string {
	if s := h.strings(tag); len(s) > 0 {
		return s[0]
	}
	return ""
}

// ints returns an integer tag's values.
func (h *rpmHeader) ints(tag int32) []int64 {
	e, ok := h.entries[tag]
	if !ok {
		return nil
	}
	size := map[uint32]int{rpmInt16: 2, rpmInt32: 4, rpmInt64: 8}[e.typ]
	if size == 0 || uint64(e.count)*uint64(size) > uint64(len(e.data)) {
		return nil
	}
	out := make([]int64, e.count)
	for i := range out {
		p := e.data[i*size:]
		switch size {
		case 2:
			out[i] = int64(binary.BigEndian.Uint16(p))
		case 4:
			out[i] = int64(binary.BigEndian.Uint32(p))
		case 8:
			out[i] = int64(binary.BigEndian.Uint64(p))
		}
	}
	return out
}

// headerPackage turns a header into a Package: names, version
// ([epoch:]version-release), group, size, files with sizes, Provides and
// Requires (rpmlib() features dropped), weak Recommends and Suggests.
func headerPackage(h *rpmHeader) (pkggraph.Package, error) {
	p := pkggraph.Package{Name: h.string(rpmTagName), Arch: h.string(rpmTagArch), Section: h.string(rpmTagGroup)}
	if p.Name == "" {
		return p, fmt.Errorf("rpm header without a name: %w", pkggraph.ErrMalformed)
	}
	p.Version = h.string(rpmTagVersion)
	if r := h.string(rpmTagRelease); r != "" {
		p.Version += "-" + r
	}
	if e := h.ints(rpmTagEpoch); len(e) > 0 && e[0] != 0 {
		p.Version = fmt.Sprint(e[0]) + ":" + p.Version
	}
	if src := h.string(rpmTagSourceRPM); src != "" {
		// "bash-5.1.8-6.el9.src.rpm": the source package's name.
		s := strings.TrimSuffix(src, ".src.rpm")
		for k := 0; k < 2; k++ {
			if i := strings.LastIndexByte(s, '-'); i > 0 {
				s = s[:i]
			}
		}
		p.Source = s
	}
	if s := h.ints(rpmTagLongSize); len(s) > 0 {
		p.InstalledSize = s[0]
	} else if s := h.ints(rpmTagSize); len(s) > 0 {
		p.InstalledSize = s[0]
	}
	// Files: dirnames[dirindexes[i]] + basenames[i], or the old flat list.
	base, dirs, idx := h.strings(rpmTagBasenames), h.strings(rpmTagDirnames), h.ints(rpmTagDirIndexes)
	if len(base) > 0 && len(idx) == len(base) {
		for i, b := range base {
			if idx[i] < 0 || int(idx[i]) >= len(dirs) {
				return p, fmt.Errorf("rpm header of %s: directory index %d of %d: %w", p.Name, idx[i], len(dirs), pkggraph.ErrMalformed)
			}
			p.Files = append(p.Files, strings.TrimPrefix(dirs[idx[i]]+b, "/"))
		}
	} else {
		for _, f := range h.strings(rpmTagOldFilenames) {
			p.Files = append(p.Files, strings.TrimPrefix(f, "/"))
		}
	}
	sizes := h.ints(rpmTagLongFileSizes)
	if len(sizes) == 0 {
		sizes = h.ints(rpmTagFileSizes)
	}
	if len(sizes) == len(p.Files) {
		p.FileSizes = sizes
	}
	p.Provides = h.strings(rpmTagProvideName)
	names, flags := h.strings(rpmTagRequireName), h.ints(rpmTagRequireFlags)
	for i, n := range names {
		if i < len(flags) && flags[i]&rpmSenseRpmlib != 0 || strings.HasPrefix(n, "rpmlib(") {
			continue
		}
		p.Deps = append(p.Deps, pkggraph.Dep{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: n}}})
	}
	for _, w := range []struct {
		tag  int32
		kind pkggraph.Kind
	}{{rpmTagRecommendName, pkggraph.Recommends}, {rpmTagSuggestName, pkggraph.Suggests}} {
		for _, n := range h.strings(w.tag) {
			// Rich dependencies ("(a if b)") are not resolved.
			if !strings.HasPrefix(n, "(") {
				p.Deps = append(p.Deps, pkggraph.Dep{Kind: w.kind, Alternatives: []pkggraph.Relation{{Name: n}}})
			}
		}
	}
	return p, nil
}
