package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/layers/index"
)

// The fast tar reader must index exactly what archive/tar reads, and fail
// where it fails, with the same kind of error. These tests compare the two
// on tars in every format archive/tar writes, on hand-made oddities, and on
// thousands of corruptions of them.

// refIndex indexes with archive/tar alone: the reference.
func refIndex(data []byte, opts WalkOptions) (*index.Layer, error) {
	return indexEntries(context.Background(), stdTar{tar.NewReader(bytes.NewReader(data))}, nil, opts)
}

// fastIndex indexes with the walker's reader, over a seekable or a
// streamed source.
func fastIndex(data []byte, seekable bool, opts WalkOptions) (*index.Layer, error) {
	var r io.Reader = struct{ io.Reader }{bytes.NewReader(data)}
	if seekable {
		r = newSkipReader(bytes.NewReader(data))
	}
	return indexTar(context.Background(), r, opts)
}

// eachReader indexes data with each of the walk's tar readers
// (archive/tar, the fast reader seeking and streaming) and hands check
// each layer with the reader's name; a reader's error fails t.
func eachReader(t *testing.T, data []byte, opts WalkOptions, check func(name string, l *index.Layer)) {
	t.Helper()
	for name, read := range map[string]func() (*index.Layer, error){
		"archive/tar": func() (*index.Layer, error) { return refIndex(data, opts) },
		"seeking":     func() (*index.Layer, error) { return fastIndex(data, true, opts) },
		"streaming":   func() (*index.Layer, error) { return fastIndex(data, false, opts) },
	} {
		l, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(name, l)
	}
}

// layerTar writes a layer tar entry by entry; a write error fails t.
type layerTar struct {
	t   testing.TB
	buf bytes.Buffer
	tw  *tar.Writer
}

func newLayerTar(t testing.TB) *layerTar {
	lt := &layerTar{t: t}
	lt.tw = tar.NewWriter(&lt.buf)
	return lt
}

// file adds a regular file.
func (lt *layerTar) file(name string, mode int64, body []byte) {
	lt.t.Helper()
	lt.entry(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg})
	if _, err := lt.tw.Write(body); err != nil {
		lt.t.Fatal(err)
	}
}

// entry adds a header and no body: a link, a FIFO, a directory.
func (lt *layerTar) entry(h *tar.Header) {
	lt.t.Helper()
	if err := lt.tw.WriteHeader(h); err != nil {
		lt.t.Fatal(err)
	}
}

// bytes ends the tar and returns it.
func (lt *layerTar) bytes() []byte {
	lt.t.Helper()
	if err := lt.tw.Close(); err != nil {
		lt.t.Fatal(err)
	}
	return lt.buf.Bytes()
}

var captureAll = WalkOptions{Capture: func(p string, _ int64) bool { return strings.HasSuffix(p, ".cap") }, MaxCapture: 1 << 20}

// errKind classifies an error as the index's callers see it.
func errKind(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case errors.Is(err, tar.ErrHeader):
		return "bad header"
	case errors.Is(err, tar.ErrFieldTooLong):
		return "too long"
	}
	return "other: " + err.Error()
}

func checkSame(t *testing.T, name string, data []byte) {
	t.Helper()
	want, werr := refIndex(data, captureAll)
	for _, seekable := range []bool{false, true} {
		got, gerr := fastIndex(data, seekable, captureAll)
		if errKind(gerr) != errKind(werr) {
			t.Fatalf("%s (seekable=%v): error %v, archive/tar: %v", name, seekable, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("%s (seekable=%v): index differs (-archive/tar +fast):\n%s", name, seekable, d)
		}
	}
}

// sampleTars are tars in every format archive/tar writes, with the entries
// layers hold: long names, long links, big ids, every type, PAX records,
// captured bodies, whiteouts, empty and odd sizes.
func sampleTars(t testing.TB) map[string][]byte {
	long := strings.Repeat("long-directory-name/", 8) + "file.txt"
	longLink := strings.Repeat("target/", 20) + "t"
	entries := []tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1000},
		{Name: "etc/empty", Typeflag: tar.TypeReg, Mode: 0o600},
		{Name: "etc/block", Typeflag: tar.TypeReg, Mode: 0o600, Size: 512},
		{Name: "etc/a.cap", Typeflag: tar.TypeReg, Mode: 0o644, Size: 77},
		{Name: "etc/.wh.old", Typeflag: tar.TypeReg},
		{Name: "etc/sub/.wh..wh..opq", Typeflag: tar.TypeReg},
		{Name: long, Typeflag: tar.TypeReg, Mode: 0o4755, Size: 3},
		{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777},
		{Name: "bin/long", Typeflag: tar.TypeSymlink, Linkname: longLink, Mode: 0o777},
		{Name: "bin/hard", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"},
		{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666},
		{Name: "dev/sda", Typeflag: tar.TypeBlock, Devmajor: 8, Mode: 0o660},
		{Name: "run/fifo", Typeflag: tar.TypeFifo, Mode: 0o600},
		{Name: "home/user/big-ids", Typeflag: tar.TypeReg, Uid: 3_000_000, Gid: 70_000_000, Size: 5},
		{Name: "home/ünïcödé.cap", Typeflag: tar.TypeReg, Size: 9, PAXRecords: map[string]string{"user.note": "x"}},
		{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 20}, // repeated name
		{Name: "../escape", Typeflag: tar.TypeReg, Size: 1},
	}
	out := map[string][]byte{}
	for _, f := range []tar.Format{tar.FormatUnknown, tar.FormatPAX, tar.FormatGNU, tar.FormatUSTAR} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			h.Format = f
			if f == tar.FormatUSTAR && (len(h.Name) > 255 || len(h.Linkname) > 100 || h.Uid > 2097151 || h.Gid > 2097151 || h.PAXRecords != nil || strings.ContainsAny(h.Name, "üï")) {
				continue // not representable in USTAR
			}
			if f == tar.FormatGNU && h.PAXRecords != nil {
				h.PAXRecords = nil
			}
			if err := tw.WriteHeader(&h); err != nil {
				t.Fatalf("%v %s: %v", f, h.Name, err)
			}
			if h.Size > 0 {
				tw.Write(bytes.Repeat([]byte{byte(len(h.Name))}, int(h.Size)))
			}
		}
		tw.Close()
		out["format "+f.String()] = buf.Bytes()
	}
	// A global PAX header between entries, and a tar with no end marker.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Size: 1})
	tw.Write([]byte{1})
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "hi"}})
	tw.WriteHeader(&tar.Header{Name: "b.cap", Typeflag: tar.TypeReg, Size: 2})
	tw.Write([]byte{2, 2})
	tw.Flush()
	out["global header, no end marker"] = append([]byte{}, buf.Bytes()...)
	tw.Close()
	out["global header"] = buf.Bytes()
	// Old-style entries: TypeRegA ('\x00') files and a directory marked
	// only by its trailing slash.
	out["type RegA"] = rawTar(t, []rawHeader{{name: "old/", typ: 0}, {name: "old/file", typ: 0, size: 10}, {name: "v7", typ: '0', size: 1, noMagic: true}})
	out["empty"] = nil
	out["end marker only"] = make([]byte, 1024)
	return out
}

type rawHeader struct {
	name    string
	typ     byte
	size    int64
	noMagic bool
}

// rawTar writes headers by hand, for what archive/tar's writer will not.
func rawTar(t testing.TB, hs []rawHeader) []byte {
	var out []byte
	for _, h := range hs {
		var b [512]byte
		copy(b[0:], h.name)
		copy(b[100:], "0000644\x00")
		copy(b[108:], "0000000\x00")
		copy(b[116:], "0000000\x00")
		copy(b[124:], fmt.Sprintf("%011o\x00", h.size))
		copy(b[136:], "00000000000\x00")
		b[156] = h.typ
		if !h.noMagic {
			copy(b[257:], "ustar\x0000")
		}
		setChecksum(b[:])
		out = append(out, b[:]...)
		out = append(out, make([]byte, (h.size+511)/512*512)...)
	}
	return append(out, make([]byte, 1024)...)
}

func setChecksum(b []byte) {
	copy(b[148:156], "        ")
	var sum int64
	for _, c := range b {
		sum += int64(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

func TestFastTarMatchesArchiveTar(t *testing.T) {
	for name, data := range sampleTars(t) {
		checkSame(t, name, data)
	}
}

// Sparse files and STAR headers are handed to archive/tar mid-layer; the
// entries before and after must still be indexed.
func TestFastTarFallback(t *testing.T) {
	cases := map[string]func(b []byte){
		"GNU sparse": func(b []byte) {
			b[156] = tar.TypeGNUSparse
			copy(b[257:], "ustar  \x00")
			copy(b[483:], fmt.Sprintf("%011o\x00", 10)) // realsize
		},
		"STAR": func(b []byte) { copy(b[508:], "tar\x00") },
		"GNU with a prefix in the time fields (Go before 1.8)": func(b []byte) {
			copy(b[257:], "ustar  \x00")
			copy(b[345:], "pre/fix")
		},
	}
	for name, mutate := range cases {
		data := rawTar(t, []rawHeader{{name: "before", typ: '0', size: 3}, {name: "odd", typ: '0', size: 10}, {name: "after.cap", typ: '0', size: 4}})
		mutate(data[1024 : 1024+512])
		setChecksum(data[1024 : 1024+512])
		checkSame(t, name, data)
		got, err := fastIndex(data, true, captureAll)
		if err != nil || len(got.Entries) != 3 || got.Contents["after.cap"] == nil {
			t.Errorf("%s: fallback lost entries: %+v, %v", name, got, err)
		}
	}
	// GNU sparse records in PAX (format 0.1), read by archive/tar after
	// the switch.
	recs := ""
	for _, kv := range []string{"GNU.sparse.major=0", "GNU.sparse.minor=1", "GNU.sparse.numblocks=1", "GNU.sparse.map=0,2", "GNU.sparse.realsize=100", "GNU.sparse.name=real-name"} {
		recs += paxRec(kv)
	}
	data := rawTar(t, []rawHeader{{name: "first", typ: '0', size: 1}})
	data = data[:1024]
	x := rawTar(t, []rawHeader{{name: "pax", typ: 'x', size: int64(len(recs))}})
	copy(x[512:], recs)
	data = append(data, x[:512+(len(recs)+511)/512*512]...)
	data = append(data, rawTar(t, []rawHeader{{name: "sparse", typ: '0', size: 2}, {name: "last.cap", typ: '0', size: 1}})...)
	checkSame(t, "PAX sparse", data)
	got, err := fastIndex(data, false, captureAll)
	if err != nil || len(got.Entries) != 3 || got.Entries[1].Path != "real-name" || got.Entries[1].Size != 100 || got.Contents["last.cap"] == nil {
		t.Errorf("PAX sparse: %+v, %v", got, err)
	}
}

// paxRec formats a PAX record: its length counts its own digits.
func paxRec(kv string) string {
	n := len(kv) + 2
	for len(strconv.Itoa(n))+len(kv)+2 != n {
		n = len(strconv.Itoa(n)) + len(kv) + 2
	}
	return strconv.Itoa(n) + " " + kv + "\n"
}

// Corruptions: truncations at every block boundary and in between, and
// random byte changes, must make both readers agree.
func TestFastTarCorruptions(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for name, data := range sampleTars(t) {
		for cut := 0; cut < len(data); cut += 1 + r.IntN(97) {
			checkSame(t, fmt.Sprintf("%s cut at %d", name, cut), data[:cut])
		}
		for range 400 {
			if len(data) == 0 {
				break
			}
			b := append([]byte{}, data...)
			for range 1 + r.IntN(3) {
				i := r.IntN(len(b))
				switch r.IntN(4) {
				case 0:
					b[i] = 0
				case 1:
					b[i] = 0xff
				case 2:
					b[i] = "0123456789 x\n/."[r.IntN(15)]
				default:
					b[i] ^= byte(1 << r.IntN(8))
				}
				// Often fix the checksum, so the change reaches the
				// field parsers instead of failing the checksum.
				if r.IntN(3) > 0 {
					blk := i / 512 * 512
					if blk+512 <= len(b) {
						setChecksum(b[blk : blk+512])
					}
				}
			}
			checkSame(t, name+" mutated", b)
		}
	}
}

// Numeric fields in every encoding archive/tar accepts or rejects.
func TestFastTarNumbers(t *testing.T) {
	fields := []string{"0000644\x00", "644", "  644  ", "\x00\x00644", "", "0", "9", "6_4", "77777777777", "-1", "+7"}
	for _, f := range fields {
		data := rawTar(t, []rawHeader{{name: "f", typ: '0', size: 1}})
		var field [12]byte
		copy(field[:], f)
		copy(data[124:136], field[:])
		setChecksum(data[:512])
		checkSame(t, fmt.Sprintf("size %q", f), data)
	}
	for _, v := range []int64{0, 1, 1 << 40, -1, -(1 << 40)} {
		data := rawTar(t, []rawHeader{{name: "f", typ: '0'}})
		var field [8]byte
		u := uint64(v)
		for i := 7; i >= 0; i-- {
			field[i] = byte(u)
			u >>= 8
		}
		field[0] |= 0x80
		copy(data[108:116], field[:]) // uid, base-256
		setChecksum(data[:512])
		checkSame(t, "base-256 uid "+strconv.FormatInt(v, 10), data)
	}
}

// PAX records, valid and not.
func TestFastTarPAX(t *testing.T) {
	records := []string{
		"path=renamed", "linkpath=x", "size=5", "size=-1", "size=x", "uid=7", "uid=", "gid=1e3",
		"mtime=1.5", "mtime=1.x", "atime=-3", "ctime=", "path=a\x00b", "comment=ok", "=v", "k=v=w",
	}
	for _, rec := range records {
		n := len(rec) + 3
		n += len(strconv.Itoa(n))
		body := strconv.Itoa(n) + " " + rec + "\n"
		for _, b := range []string{body, body[:len(body)-1] + "x", "3 a=\n", "junk"} {
			var hdrs []byte
			x := rawTar(t, []rawHeader{{name: "pax", typ: 'x', size: int64(len(b))}})
			copy(x[512:], b)
			hdrs = append(hdrs, x[:512+(len(b)+511)/512*512]...)
			hdrs = append(hdrs, rawTar(t, []rawHeader{{name: "file", typ: '0', size: 5}})...)
			checkSame(t, fmt.Sprintf("PAX %q", b), hdrs)
		}
	}
}

// FuzzFastTar compares the two readers on arbitrary input.
func FuzzFastTar(f *testing.F) {
	for _, data := range sampleTars(f) {
		if len(data) <= 4096 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, "fuzz", data)
	})
}

// The index read through bufio (the sniffed plain stream) must not depend
// on the buffer's size.
func TestFastTarTinyBuffer(t *testing.T) {
	for name, data := range sampleTars(t) {
		want, werr := refIndex(data, captureAll)
		got, gerr := indexTar(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), 16), captureAll)
		if errKind(werr) != errKind(gerr) || (werr == nil && !cmp.Equal(want, got)) {
			t.Errorf("%s: got %v, %v; want %v, %v", name, got, gerr, want, werr)
		}
	}
}

// A PAX header whose records are corrupt and whose padding is cut off:
// archive/tar parses the records before it reads the padding, so it
// reports a bad header; the fast reader must not take the short padding
// for a clean end of the archive (issue 13, defect 6).
func TestFastTarPAXTruncatedPadding(t *testing.T) {
	for _, body := range []string{"junk", "9 a=b\n", paxRec("path=ok")} {
		x := rawTar(t, []rawHeader{{name: "pax", typ: 'x', size: int64(len(body))}})
		copy(x[512:], body)
		for _, keep := range []int{0, 1, 511 - len(body)} {
			data := x[:512+len(body)+keep]
			_, werr := refIndex(data, captureAll)
			if body != paxRec("path=ok") && errKind(werr) != "bad header" {
				t.Fatalf("%q: archive/tar says %v; the test expects a bad header", body, werr)
			}
			checkSame(t, fmt.Sprintf("PAX %q, padding cut to %d", body, keep), data)
		}
	}
}
