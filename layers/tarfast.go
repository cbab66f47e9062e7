package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unsafe"
)

// This file reads tar headers for the walker. archive/tar is correct but
// costly per entry: it allocates a Header with maps and times, scans every
// header block for non-ASCII bytes to guess its format, and skips each body
// through io.CopyN. On a layer of small files that is a large share of the
// walk (10% of the CPU of a zstd layer, more on an uncompressed one).
// fastTar parses the fields the index needs in place, with archive/tar's
// rules: the same checksum, numeric and PAX checks, the same end-of-archive
// and truncation behaviour, the same errors (tar.ErrHeader,
// io.ErrUnexpectedEOF, tar.ErrFieldTooLong). The rare entries it does not
// handle itself (sparse files, the STAR format, pre-Go1.8 GNU headers) make
// it hand the rest of the layer to archive/tar, starting at that entry.

// tarEntry is what the index needs of a tar header.
type tarEntry struct {
	Name, Linkname string
	Typeflag       byte
	Size, Mode     int64
	UID, GID       int
}

// tarHeaders iterates the entries of a tar stream; Read reads the current
// entry's body. The entry and its strings are valid until the next call to
// Next or Read: fastTar's point into its buffers, so that reading a header
// allocates nothing; a caller keeps copies.
type tarHeaders interface {
	Next() (*tarEntry, error)
	io.Reader
}

// blockSource is a buffered stream the fast reader can look into.
type blockSource interface {
	io.Reader
	// Peek returns the next n bytes without consuming them; fewer with
	// an error at the end of the stream.
	Peek(n int) ([]byte, error)
	// skip consumes n bytes, seeking when it can. It returns how many it
	// consumed (n unless the stream ended) and the error that stopped it.
	skip(n int64) (int64, error)
	// seekable reports whether skip seeks rather than reads.
	seekable() bool
}

// bufSource adapts a bufio.Reader over a stream that cannot seek.
type bufSource struct{ *bufio.Reader }

func (b bufSource) seekable() bool { return false }

func (b bufSource) skip(n int64) (int64, error) {
	var done int64
	for n > 0 {
		k, err := b.Discard(int(min(n, 1<<30)))
		done += int64(k)
		n -= int64(k)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// errFallback asks the caller to read the rest of the stream with
// archive/tar, from fastTar.replay.
var errFallback = errors.New("tar entry needs archive/tar")

// fastTar is a tar header reader for indexing: see the top of the file.
type fastTar struct {
	src  blockSource
	body int64 // unread bytes of the current entry's body
	pad  int64 // padding after it
	err  error // sticky, as archive/tar's
	// raw keeps the blocks read for the entry being parsed (meta headers
	// and their bodies), so a fallback can replay them to archive/tar.
	raw []byte
	cur tarEntry // returned by Next, overwritten by the next call
	// canceled, when set, is the walk's ctx.Err: checked between chunks
	// of a body being skipped, so that one huge body cannot outlast an
	// interrupt.
	canceled func() error
}

// cancelChunk is how many body bytes fastTar skips between two checks of
// its context: a few milliseconds of reading or decompressing.
const cancelChunk = 4 << 20

func newFastTar(src blockSource) *fastTar { return &fastTar{src: src} }

// replay returns a stream positioned where the entry that caused
// errFallback starts.
func (t *fastTar) replay() io.Reader {
	return io.MultiReader(bytes.NewReader(t.raw), t.src)
}

// Read reads the current entry's body.
func (t *fastTar) Read(p []byte) (int, error) {
	if t.body == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > t.body {
		p = p[:t.body]
	}
	n, err := t.src.Read(p)
	t.body -= int64(n)
	switch {
	case err == io.EOF && t.body > 0:
		return n, io.ErrUnexpectedEOF
	case err == nil && t.body == 0:
		return n, io.EOF
	}
	return n, err
}

func (t *fastTar) Next() (*tarEntry, error) {
	if t.err != nil {
		return nil, t.err
	}
	e, err := t.next()
	t.err = err
	return e, err
}

func (t *fastTar) next() (*tarEntry, error) {
	t.raw = t.raw[:0]
	var pax map[string]string
	var longName, longLink string
	havePAX := false
	for {
		// Skip the rest of the previous body, as archive/tar does: a
		// seekable stream seeks to its last byte and reads it, so that a
		// truncated body is an error and not a silent seek past the end.
		if t.body > 0 {
			n := t.body
			if t.src.seekable() {
				if _, err := t.skipChecked(n - 1); err != nil {
					return nil, err
				}
				n = 1
				if b, err := t.src.Peek(1); len(b) < 1 {
					if err == nil || err == io.EOF {
						err = io.ErrUnexpectedEOF
					}
					return nil, err
				}
			}
			if k, err := t.skipChecked(n); k < n {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			t.body = 0
		}
		if t.pad > 0 {
			// A stream that ends inside the padding ends cleanly
			// (archive/tar's tryReadFull).
			if k, err := t.src.skip(t.pad); k < t.pad {
				if err == nil {
					err = io.EOF
				}
				return nil, err
			}
			t.pad = 0
		}

		blk, err := t.block()
		if err != nil {
			return nil, err
		}
		start := len(t.raw)
		t.raw = append(t.raw, blk...)
		e := &t.cur
		format, err := parseHeader(t.raw[start:], e)
		if err != nil {
			return nil, err
		}
		size := e.Size
		if headerOnly(e.Typeflag) {
			size = 0
		}
		if size < 0 {
			return nil, tar.ErrHeader
		}
		t.body, t.pad = size, -size&511

		switch e.Typeflag {
		case tar.TypeXHeader, tar.TypeXGlobalHeader:
			body, err := t.special()
			if err != nil {
				return nil, err
			}
			// Records first, padding after, as archive/tar: a stream
			// cut inside the padding of corrupt records is a bad
			// header, not a clean end.
			recs, sparse, err := parsePAX(body)
			if err != nil {
				return nil, err
			}
			if sparse {
				return nil, errFallback // the padding is still in src: replay reads it
			}
			if err := t.padding(); err != nil {
				return nil, err
			}
			if e.Typeflag == tar.TypeXGlobalHeader {
				// archive/tar returns a global header as an entry of
				// its own, which the index ignores; what came before
				// it no longer applies.
				return &tarEntry{Name: e.Name, Typeflag: e.Typeflag}, nil
			}
			pax, havePAX = recs, true
			continue
		case tar.TypeGNULongName, tar.TypeGNULongLink:
			body, err := t.special()
			if err != nil {
				return nil, err
			}
			if err := t.padding(); err != nil {
				return nil, err
			}
			s := cstring(body)
			if e.Typeflag == tar.TypeGNULongName {
				longName = s
			} else {
				longLink = s
			}
			continue
		case tar.TypeGNUSparse:
			return nil, errFallback
		}
		if format == formatOther {
			return nil, errFallback
		}
		if havePAX {
			if err := mergePAX(e, pax); err != nil {
				return nil, err
			}
		}
		if longName != "" {
			e.Name = longName
		}
		if longLink != "" {
			e.Linkname = longLink
		}
		if e.Typeflag == 0 { // tar.TypeRegA, deprecated: pre-POSIX regular file
			if strings.HasSuffix(e.Name, "/") {
				e.Typeflag = tar.TypeDir
			} else {
				e.Typeflag = tar.TypeReg
			}
		}
		// PAX may have changed the size.
		size = e.Size
		if headerOnly(e.Typeflag) {
			size = 0
		}
		if size < 0 {
			return nil, tar.ErrHeader
		}
		t.body, t.pad = size, -size&511
		return e, nil
	}
}

// skipChecked is src.skip in chunks of cancelChunk, checking the context
// before each and after the last.
func (t *fastTar) skipChecked(n int64) (int64, error) {
	var done int64
	for {
		if t.canceled != nil {
			if err := t.canceled(); err != nil {
				return done, err
			}
		}
		if done == n {
			return done, nil
		}
		k, err := t.src.skip(min(n-done, cancelChunk))
		done += k
		if err != nil || k == 0 {
			return done, err
		}
	}
}

// block reads one 512-byte header block, handling the end-of-archive
// marker as archive/tar does: EOF before a block, or two zero blocks, is
// the end; a zero block followed by a non-zero one is an error.
func (t *fastTar) block() ([]byte, error) {
	blk, err := t.read512()
	if err != nil {
		return nil, err
	}
	if !allZero(blk) {
		return blk, nil
	}
	if blk, err = t.read512(); err != nil {
		return nil, err
	}
	if allZero(blk) {
		return nil, io.EOF
	}
	return nil, tar.ErrHeader
}

// read512 returns the next block, valid until the next read.
func (t *fastTar) read512() ([]byte, error) {
	b, err := t.src.Peek(512)
	if len(b) < 512 {
		if len(b) == 0 && (err == io.EOF || err == nil) {
			return nil, io.EOF
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	t.src.skip(512) // Peek guaranteed the bytes are buffered
	return b, nil
}

// special reads the body of a meta entry (PAX records, GNU long names),
// at most 1 MiB as in archive/tar, and keeps it for a replay. The padding
// after it is left to padding, once the caller has checked the body.
func (t *fastTar) special() ([]byte, error) {
	const maxSpecial = 1 << 20
	if t.body > maxSpecial {
		// archive/tar reads up to the limit before it gives up, so a
		// stream that ends first is truncated, not too long.
		if _, err := io.CopyN(io.Discard, t, maxSpecial+1); err != nil {
			return nil, err
		}
		return nil, tar.ErrFieldTooLong
	}
	start := len(t.raw)
	n := int(t.body)
	t.raw = append(t.raw, make([]byte, n)...)
	if _, err := io.ReadFull(t, t.raw[start:start+n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return t.raw[start : start+n], nil
}

// padding consumes the padding after a meta entry's body into raw, so that
// a replay starts clean. A stream that ends inside it ends cleanly, as in
// archive/tar's tryReadFull. The body returned by special stays valid:
// raw may move, but that slice keeps its own backing array.
func (t *fastTar) padding() error {
	if t.pad == 0 {
		return nil
	}
	start := len(t.raw)
	t.raw = append(t.raw, make([]byte, t.pad)...)
	if k, err := io.ReadFull(t.src, t.raw[start:]); k < int(t.pad) {
		t.raw = t.raw[:start+k]
		if err == nil || err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return err
	}
	t.pad = 0
	return nil
}

type tarFormat int

const (
	formatPlain tarFormat = iota // V7, USTAR/PAX or GNU: handled here
	formatOther                  // STAR, or a header only archive/tar's heuristics read
)

// parseHeader decodes a header block with archive/tar's rules: the
// checksum must match (unsigned or signed sum), and every numeric field
// archive/tar parses must parse.
func parseHeader(b []byte, e *tarEntry) (tarFormat, error) {
	var p numParser
	sum := p.octal(b[148:156])
	if p.bad || !checksumOK(b, sum) {
		return 0, tar.ErrHeader
	}
	*e = tarEntry{
		Typeflag: b[156],
		Name:     cstring(b[0:100]),
		Linkname: cstring(b[157:257]),
		Size:     p.numeric(b[124:136]),
		Mode:     p.numeric(b[100:108]),
		UID:      int(p.numeric(b[108:116])),
		GID:      int(p.numeric(b[116:124])),
	}
	p.numeric(b[136:148]) // mtime: unused, but must parse
	format := formatPlain
	magic, version, trailer := string(b[257:263]), string(b[263:265]), string(b[508:512])
	switch {
	case magic == "ustar\x00" && trailer == "tar\x00":
		format = formatOther // STAR: its own prefix and time fields
	case magic == "ustar\x00": // USTAR or PAX
		p.numeric(b[329:337]) // devmajor
		p.numeric(b[337:345]) // devminor
		if prefix := cstring(b[345:500]); prefix != "" {
			e.Name = prefix + "/" + e.Name
		}
	case magic == "ustar " && version == " \x00": // GNU
		p.numeric(b[329:337])
		p.numeric(b[337:345])
		// archive/tar parses atime and ctime and, when they do not
		// parse, reads the field as a prefix written by old Go: leave
		// that guesswork to it.
		var p2 numParser
		if b[345] != 0 {
			p2.numeric(b[345:357])
		}
		if b[357] != 0 {
			p2.numeric(b[357:369])
		}
		if p2.bad {
			format = formatOther
		}
	}
	if p.bad {
		return 0, tar.ErrHeader
	}
	return format, nil
}

func checksumOK(b []byte, want int64) bool {
	// The unsigned sum, without a branch per byte: it is the one every
	// tar writer since POSIX uses, and this runs once per entry.
	var unsigned int64
	for _, c := range b[:148] {
		unsigned += int64(c)
	}
	for _, c := range b[156:512] {
		unsigned += int64(c)
	}
	unsigned += 8 * ' ' // the checksum field counts as spaces
	if want == unsigned {
		return true
	}
	// Some old tars summed signed chars.
	var signed int64
	for i, c := range b[:512] {
		if 148 <= i && i < 156 {
			c = ' '
		}
		signed += int64(int8(c))
	}
	return want == signed
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func headerOnly(flag byte) bool {
	switch flag {
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
		return true
	}
	return false
}

// cstring is a NUL-terminated string field, not copied: it points into b,
// which fastTar reuses for the next entry. See tarHeaders.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// numParser parses tar numeric fields as archive/tar does, remembering
// whether any failed.
type numParser struct{ bad bool }

func (p *numParser) numeric(b []byte) int64 {
	if len(b) > 0 && b[0]&0x80 != 0 { // base-256, two's complement
		var inv byte
		if b[0]&0x40 != 0 {
			inv = 0xff
		}
		var x uint64
		for i, c := range b {
			c ^= inv
			if i == 0 {
				c &= 0x7f
			}
			if x>>56 > 0 {
				p.bad = true
				return 0
			}
			x = x<<8 | uint64(c)
		}
		if x>>63 > 0 {
			p.bad = true
			return 0
		}
		if inv == 0xff {
			return ^int64(x)
		}
		return int64(x)
	}
	return p.octal(b)
}

func (p *numParser) octal(b []byte) int64 {
	b = bytes.Trim(b, " \x00")
	if len(b) == 0 {
		return 0
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	// Fast path for the usual all-digit field; strconv for the rest, to
	// get its exact rules (underscores are rejected in base 8, overflow).
	var x uint64
	if len(b) <= 21 {
		ok := true
		for _, c := range b {
			if c < '0' || c > '7' {
				ok = false
				break
			}
			x = x<<3 | uint64(c-'0')
		}
		if ok {
			return int64(x)
		}
	}
	x, err := strconv.ParseUint(string(b), 8, 64)
	if err != nil {
		p.bad = true
	}
	return int64(x)
}

// parsePAX parses PAX records as archive/tar does. sparse reports GNU
// sparse records, which only archive/tar handles.
func parsePAX(b []byte) (recs map[string]string, sparse bool, err error) {
	recs = map[string]string{}
	s := string(b)
	for len(s) > 0 {
		k, v, rest, err := paxRecord(s)
		if err != nil {
			return nil, false, tar.ErrHeader
		}
		s = rest
		if strings.HasPrefix(k, "GNU.sparse.") {
			sparse = true
		}
		recs[k] = v
	}
	return recs, sparse, nil
}

func paxRecord(s string) (k, v, rest string, err error) {
	nStr, after, ok := strings.Cut(s, " ")
	if !ok {
		return "", "", s, tar.ErrHeader
	}
	n, perr := strconv.ParseInt(nStr, 10, 0)
	if perr != nil || n < 5 || n > int64(len(s)) {
		return "", "", s, tar.ErrHeader
	}
	n -= int64(len(nStr) + 1)
	if n <= 0 {
		return "", "", s, tar.ErrHeader
	}
	rec, nl, rem := after[:n-1], after[n-1:n], after[n:]
	if nl != "\n" {
		return "", "", s, tar.ErrHeader
	}
	k, v, ok = strings.Cut(rec, "=")
	if !ok || k == "" || strings.Contains(k, "=") {
		return "", "", s, tar.ErrHeader
	}
	switch k {
	case "path", "linkpath", "uname", "gname":
		if strings.IndexByte(v, 0) >= 0 {
			return "", "", s, tar.ErrHeader
		}
	default:
		if strings.IndexByte(k, 0) >= 0 {
			return "", "", s, tar.ErrHeader
		}
	}
	return k, v, rem, nil
}

// mergePAX applies PAX records to e, with archive/tar's checks: a record
// archive/tar parses (ids, size, times) must parse.
func mergePAX(e *tarEntry, recs map[string]string) error {
	for k, v := range recs {
		if v == "" {
			continue
		}
		var err error
		var n int64
		switch k {
		case "path":
			e.Name = v
		case "linkpath":
			e.Linkname = v
		case "uid":
			n, err = strconv.ParseInt(v, 10, 64)
			e.UID = int(n)
		case "gid":
			n, err = strconv.ParseInt(v, 10, 64)
			e.GID = int(n)
		case "size":
			e.Size, err = strconv.ParseInt(v, 10, 64)
		case "atime", "mtime", "ctime":
			err = checkPAXTime(v)
		}
		if err != nil {
			return tar.ErrHeader
		}
	}
	return nil
}

// checkPAXTime validates a PAX time ("%d" or "%d.%d") as archive/tar's
// parsePAXTime does.
func checkPAXTime(s string) error {
	ss, sn, _ := strings.Cut(s, ".")
	if _, err := strconv.ParseInt(ss, 10, 64); err != nil {
		return tar.ErrHeader
	}
	for i := range len(sn) {
		if c := sn[i]; c < '0' || c > '9' {
			return tar.ErrHeader
		}
	}
	return nil
}

// stdTar reads headers with archive/tar: the fallback.
type stdTar struct{ tr *tar.Reader }

func (s stdTar) Read(p []byte) (int, error) { return s.tr.Read(p) }

func (s stdTar) Next() (*tarEntry, error) {
	h, err := s.tr.Next()
	if err != nil {
		return nil, err
	}
	return &tarEntry{Name: h.Name, Linkname: h.Linkname, Typeflag: h.Typeflag, Size: h.Size, Mode: h.Mode, UID: h.Uid, GID: h.Gid}, nil
}
