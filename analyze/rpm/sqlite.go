package rpm

import (
	"encoding/binary"
	"fmt"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

// sqliteBlobs reads the blob column of rpm's Packages table (hnum
// INTEGER PRIMARY KEY, blob BLOB) straight from the SQLite file format
// (sqlite.org/fileformat2.html): find the table's root page in
// sqlite_schema, walk its b-tree, follow overflow chains. It reads tables
// only, never writes, and needs no driver; a -wal file is not applied (an
// image's database is checkpointed when rpm exits).
func sqliteBlobs(b []byte) ([][]byte, error) {
	db, err := newSqliteFile(b)
	if err != nil {
		return nil, err
	}
	root := 0
	err = db.walk(1, func(rec []sqliteValue) error {
		// sqlite_schema: type, name, tbl_name, rootpage, sql.
		if len(rec) >= 4 && string(rec[0].bytes) == "table" && string(rec[1].bytes) == "Packages" {
			root = int(rec[3].int)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if root == 0 {
		return nil, fmt.Errorf("sqlite: no Packages table: %w", pkggraph.ErrMalformed)
	}
	var out [][]byte
	err = db.walk(root, func(rec []sqliteValue) error {
		if len(rec) < 2 || !rec[1].blob {
			return fmt.Errorf("sqlite: a Packages row without a blob: %w", pkggraph.ErrMalformed)
		}
		out = append(out, rec[1].bytes)
		return nil
	})
	return out, err
}

type sqliteFile struct {
	b        []byte
	pageSize int
	usable   int
	pages    int
}

func newSqliteFile(b []byte) (*sqliteFile, error) {
	if len(b) < 100 {
		return nil, fmt.Errorf("sqlite: %d bytes: %w", len(b), pkggraph.ErrMalformed)
	}
	ps := int(binary.BigEndian.Uint16(b[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("sqlite: page size %d: %w", ps, pkggraph.ErrMalformed)
	}
	f := &sqliteFile{b: b, pageSize: ps, usable: ps - int(b[20]), pages: len(b) / ps}
	if f.usable < 480 {
		return nil, fmt.Errorf("sqlite: usable page size %d: %w", f.usable, pkggraph.ErrMalformed)
	}
	return f, nil
}

// page returns page n (1-based) and the offset of its b-tree header (100
// on page 1, after the file header).
func (f *sqliteFile) page(n int) ([]byte, int, error) {
	if n < 1 || n > f.pages {
		return nil, 0, fmt.Errorf("sqlite: page %d of %d: %w", n, f.pages, pkggraph.ErrMalformed)
	}
	hdr := 0
	if n == 1 {
		hdr = 100
	}
	return f.b[(n-1)*f.pageSize : n*f.pageSize], hdr, nil
}

// walk calls fn with each row of the table b-tree rooted at page root, in
// rowid order.
func (f *sqliteFile) walk(root int, fn func([]sqliteValue) error) error {
	stack := []int{root}
	seen := 0
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen++; seen > f.pages {
			return fmt.Errorf("sqlite: b-tree from page %d loops: %w", root, pkggraph.ErrMalformed)
		}
		p, h, err := f.page(n)
		if err != nil {
			return err
		}
		if h+8 > len(p) {
			return fmt.Errorf("sqlite: page %d: %w", n, pkggraph.ErrMalformed)
		}
		typ, cells := p[h], int(binary.BigEndian.Uint16(p[h+3:]))
		ptrs := h + 8
		if typ == 0x05 {
			ptrs = h + 12
		}
		if ptrs+2*cells > len(p) {
			return fmt.Errorf("sqlite: page %d: %d cells: %w", n, cells, pkggraph.ErrMalformed)
		}
		switch typ {
		case 0x05: // interior table page: children, right-most last
			children := make([]int, 0, cells+1)
			for i := 0; i < cells; i++ {
				off := int(binary.BigEndian.Uint16(p[ptrs+2*i:]))
				if off+4 > len(p) {
					return fmt.Errorf("sqlite: page %d: cell at %d: %w", n, off, pkggraph.ErrMalformed)
				}
				children = append(children, int(binary.BigEndian.Uint32(p[off:])))
			}
			children = append(children, int(binary.BigEndian.Uint32(p[h+8:])))
			for i := len(children) - 1; i >= 0; i-- { // a stack: push in reverse
				stack = append(stack, children[i])
			}
		case 0x0D: // leaf table page: rows
			for i := 0; i < cells; i++ {
				off := int(binary.BigEndian.Uint16(p[ptrs+2*i:]))
				payload, err := f.cellPayload(p, off)
				if err != nil {
					return fmt.Errorf("sqlite: page %d: %w", n, err)
				}
				rec, err := parseSqliteRecord(payload)
				if err != nil {
					return fmt.Errorf("sqlite: page %d: %w", n, err)
				}
				if err := fn(rec); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("sqlite: page %d: type %#x is not a table page: %w", n, typ, pkggraph.ErrMalformed)
		}
	}
	return nil
}

// cellPayload returns the payload of the leaf table cell at off on page
// p, with its overflow pages joined.
func (f *sqliteFile) cellPayload(p []byte, off int) ([]byte, error) {
	if off >= len(p) {
		return nil, fmt.Errorf("cell at %d: %w", off, pkggraph.ErrMalformed)
	}
	size, n := sqliteVarint(p[off:])
	if n == 0 {
		return nil, fmt.Errorf("cell at %d: %w", off, pkggraph.ErrMalformed)
	}
	_, m := sqliteVarint(p[off+n:]) // the rowid
	if m == 0 {
		return nil, fmt.Errorf("cell at %d: %w", off, pkggraph.ErrMalformed)
	}
	start := off + n + m
	u := f.usable
	x := u - 35
	local := int(size)
	if size < 0 || size > int64(len(f.b)) {
		return nil, fmt.Errorf("cell at %d: payload of %d bytes: %w", off, size, pkggraph.ErrMalformed)
	}
	if local > x {
		mn := (u-12)*32/255 - 23
		k := mn + (local-mn)%(u-4)
		if k <= x {
			local = k
		} else {
			local = mn
		}
	}
	if start+local > len(p) {
		return nil, fmt.Errorf("cell at %d: %w", off, pkggraph.ErrMalformed)
	}
	out := make([]byte, 0, size)
	out = append(out, p[start:start+local]...)
	if local == int(size) {
		return out, nil
	}
	if start+local+4 > len(p) {
		return nil, fmt.Errorf("cell at %d: %w", off, pkggraph.ErrMalformed)
	}
	next := int(binary.BigEndian.Uint32(p[start+local:]))
	for hops := 0; len(out) < int(size); hops++ {
		if next == 0 || hops > f.pages {
			return nil, fmt.Errorf("cell at %d: overflow chain ends early: %w", off, pkggraph.ErrMalformed)
		}
		op, _, err := f.page(next)
		if err != nil {
			return nil, err
		}
		next = int(binary.BigEndian.Uint32(op))
		take := min(int(size)-len(out), u-4)
		out = append(out, op[4:4+take]...)
	}
	return out, nil
}

// sqliteValue is one column of a record: an integer, or text or blob
// bytes (NULL and floats carry nothing the readers need).
type sqliteValue struct {
	int   int64
	bytes []byte
	blob  bool
}

// parseSqliteRecord parses a record: a header of serial types, then the
// values.
func parseSqliteRecord(b []byte) ([]sqliteValue, error) {
	hlen, n := sqliteVarint(b)
	if n == 0 || hlen > int64(len(b)) || hlen < int64(n) {
		return nil, fmt.Errorf("record header: %w", pkggraph.ErrMalformed)
	}
	var types []int64
	for i := n; i < int(hlen); {
		t, m := sqliteVarint(b[i:int(hlen)])
		if m == 0 {
			return nil, fmt.Errorf("record header: %w", pkggraph.ErrMalformed)
		}
		types = append(types, t)
		i += m
	}
	body := b[hlen:]
	out := make([]sqliteValue, len(types))
	for i, t := range types {
		var size int
		switch {
		case t >= 1 && t <= 4:
			size = int(t)
		case t == 5:
			size = 6
		case t == 6 || t == 7:
			size = 8
		case t == 8 || t == 9:
			out[i].int = t - 8
		case t >= 12:
			size = int((t - 12) / 2)
		}
		if size > len(body) {
			return nil, fmt.Errorf("record: column %d of %d bytes past the end: %w", i, size, pkggraph.ErrMalformed)
		}
		v := body[:size]
		body = body[size:]
		switch {
		case t >= 1 && t <= 6:
			var x int64
			if v[0]&0x80 != 0 {
				x = -1
			}
			for _, c := range v {
				x = x<<8 | int64(c)
			}
			out[i].int = x
		case t >= 12:
			out[i].bytes = v
			out[i].blob = t%2 == 0
		}
	}
	return out, nil
}

// sqliteVarint decodes SQLite's big-endian varint (1 to 9 bytes); n is 0
// when b is too short.
func sqliteVarint(b []byte) (v int64, n int) {
	for i := 0; i < 8; i++ {
		if i >= len(b) {
			return 0, 0
		}
		v = v<<7 | int64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return 0, 0
	}
	return v<<8 | int64(b[8]), 9
}

// ndbBlobs reads rpm's own ndb format (SUSE's Packages.db): a slot table of
// {package index, block offset, block count}, each package a blob of
// {magic "BlbS", package index, generation, length} and the header.
func ndbBlobs(b []byte) ([][]byte, error) {
	const (
		blockSize  = 16
		headerSize = 32
		slotSize   = 16
		slotMagic  = "Slot"
		blobMagic  = "BlbS"
		pageSize   = 4096
	)
	le := binary.LittleEndian
	if len(b) < headerSize || string(b[:4]) != "RpmP" {
		return nil, fmt.Errorf("ndb: not an ndb database: %w", pkggraph.ErrMalformed)
	}
	// The header: magic, version, generation, number of slot pages.
	slotPages := int(le.Uint32(b[12:]))
	if slotPages <= 0 || slotPages*pageSize > len(b) {
		return nil, fmt.Errorf("ndb: %d slot pages: %w", slotPages, pkggraph.ErrMalformed)
	}
	var out [][]byte
	// The slots follow the header, in the slot pages.
	for off := headerSize; off+slotSize <= slotPages*pageSize; off += slotSize {
		s := b[off:]
		if string(s[:4]) != slotMagic {
			return nil, fmt.Errorf("ndb: slot at %d: %w", off, pkggraph.ErrMalformed)
		}
		pkgIdx, blkOff, blkCnt := le.Uint32(s[4:]), int(le.Uint32(s[8:])), int(le.Uint32(s[12:]))
		if pkgIdx == 0 {
			continue // a free slot
		}
		start := blkOff * blockSize
		if start+16 > len(b) || blkCnt*blockSize > len(b)-start {
			return nil, fmt.Errorf("ndb: package %d at block %d: %w", pkgIdx, blkOff, pkggraph.ErrMalformed)
		}
		blob := b[start : start+blkCnt*blockSize]
		if string(blob[:4]) != blobMagic || le.Uint32(blob[4:]) != pkgIdx {
			return nil, fmt.Errorf("ndb: package %d: bad blob header: %w", pkgIdx, pkggraph.ErrMalformed)
		}
		n := int(le.Uint32(blob[12:]))
		if 16+n > len(blob) {
			return nil, fmt.Errorf("ndb: package %d: %d bytes: %w", pkgIdx, n, pkggraph.ErrMalformed)
		}
		out = append(out, blob[16:16+n])
	}
	return out, nil
}
