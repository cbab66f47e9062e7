// Package rpm owns the rpm databases of RHEL, Fedora, Amazon Linux, SUSE
// and CBL-Mariner images: the three formats they come in (Berkeley DB,
// SQLite, ndb; Blobs), the package headers they hold, the dependency
// graph (ReadGraph) and which files each package owns (Packages, from
// the headers). It is pure and uses the standard library alone.
package rpm

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

// Paths of the rpm databases, canonical (no leading "/"), as keys of the
// contents map an image's capture gives: the SQLite, ndb and Berkeley DB
// databases under var/lib/rpm or usr/lib/sysimage/rpm.
const (
	Sqlite        = "var/lib/rpm/rpmdb.sqlite"
	SqliteUsr     = "usr/lib/sysimage/rpm/rpmdb.sqlite"
	BerkeleyDB    = "var/lib/rpm/Packages"
	Ndb           = "var/lib/rpm/Packages.db"
	NdbUsr        = "usr/lib/sysimage/rpm/Packages.db"
	BerkeleyDBUsr = "usr/lib/sysimage/rpm/Packages"
)

// Blobs returns the package header blobs of an rpm database in one
// of its formats: Berkeley DB "Packages" (RHEL/CentOS ≤ 8, UBI 8, Amazon
// Linux 2), SQLite "rpmdb.sqlite" (RHEL 9, Fedora ≥ 33, Amazon Linux 2023,
// CBL-Mariner), or ndb "Packages.db" (SUSE). name names the input in
// errors. The format is told by the bytes, not the name.
func Blobs(name string, b []byte) ([][]byte, error) {
	var blobs [][]byte
	var err error
	switch {
	case bytes.HasPrefix(b, []byte("SQLite format 3\x00")):
		blobs, err = sqliteBlobs(b)
	case len(b) >= 4 && string(b[:4]) == "RpmP":
		blobs, err = ndbBlobs(b)
	default:
		blobs, err = bdbBlobs(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return blobs, nil
}

// The Berkeley DB hash format (libdb's dbinc/db_page.h).
const (
	bdbHashMagic     = 0x00061561
	bdbPageHeader    = 26
	bdbHashUnsorted  = 2 // P_HASH_UNSORTED, written before 4.6
	bdbOverflow      = 7 // P_OVERFLOW
	bdbHash          = 13
	bdbHashOffPage   = 3 // H_OFFPAGE: the value lives in overflow pages
	bdbOffPageLength = 12
)

// bdbBlobs reads the values of a Berkeley DB hash database: on each hash
// page, items come in key/value pairs; rpm's values are headers too big
// for the page, kept in chains of overflow pages.
func bdbBlobs(b []byte) ([][]byte, error) {
	if len(b) < 512 {
		return nil, fmt.Errorf("berkeley db: %d bytes: %w", len(b), pkggraph.ErrMalformed)
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch {
	case binary.LittleEndian.Uint32(b[12:]) == bdbHashMagic:
	case binary.BigEndian.Uint32(b[12:]) == bdbHashMagic:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("not a berkeley db hash database (magic %#x): %w", binary.LittleEndian.Uint32(b[12:]), pkggraph.ErrMalformed)
	}
	pageSize := int(order.Uint32(b[20:]))
	lastPage := int(order.Uint32(b[32:]))
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil, fmt.Errorf("berkeley db: page size %d: %w", pageSize, pkggraph.ErrMalformed)
	}
	page := func(n int) ([]byte, error) {
		if n < 0 || (n+1)*pageSize > len(b) {
			return nil, fmt.Errorf("berkeley db: page %d past the end (%d bytes): %w", n, len(b), pkggraph.ErrMalformed)
		}
		return b[n*pageSize : (n+1)*pageSize], nil
	}
	var out [][]byte
	for n := 0; n <= lastPage; n++ {
		p, err := page(n)
		if err != nil {
			return nil, err
		}
		if t := p[25]; t != bdbHash && t != bdbHashUnsorted {
			continue
		}
		entries := int(order.Uint16(p[20:]))
		if bdbPageHeader+2*entries > pageSize {
			return nil, fmt.Errorf("berkeley db: page %d: %d entries: %w", n, entries, pkggraph.ErrMalformed)
		}
		for i := 1; i < entries; i += 2 { // the values; keys are at even indexes
			off := int(order.Uint16(p[bdbPageHeader+2*i:]))
			if off >= pageSize {
				return nil, fmt.Errorf("berkeley db: page %d: item at %d: %w", n, off, pkggraph.ErrMalformed)
			}
			if p[off] != bdbHashOffPage {
				continue // a value small enough for the page: not a header
			}
			if off+bdbOffPageLength > pageSize {
				return nil, fmt.Errorf("berkeley db: page %d: item at %d: %w", n, off, pkggraph.ErrMalformed)
			}
			next := int(order.Uint32(p[off+4:]))
			total := int(order.Uint32(p[off+8:]))
			if total > len(b) {
				return nil, fmt.Errorf("berkeley db: page %d: a value of %d bytes: %w", n, total, pkggraph.ErrMalformed)
			}
			value := make([]byte, 0, total)
			for hops := 0; next != 0; hops++ {
				if hops > lastPage {
					return nil, fmt.Errorf("berkeley db: overflow chain from page %d loops: %w", n, pkggraph.ErrMalformed)
				}
				op, err := page(next)
				if err != nil {
					return nil, err
				}
				if op[25] != bdbOverflow {
					return nil, fmt.Errorf("berkeley db: page %d is not an overflow page: %w", next, pkggraph.ErrMalformed)
				}
				next = int(order.Uint32(op[16:]))
				end := pageSize
				if next == 0 {
					end = bdbPageHeader + int(order.Uint16(op[22:])) // the last page's used length
				}
				if end > pageSize {
					return nil, fmt.Errorf("berkeley db: overflow page length %d: %w", end, pkggraph.ErrMalformed)
				}
				value = append(value, op[bdbPageHeader:end]...)
			}
			out = append(out, value)
		}
	}
	return out, nil
}

// ReadGraph reads the rpm graph from an image's captured files, keyed by
// canonical path: the first of the sqlite, ndb and Berkeley DB databases
// under var/lib/rpm or usr/lib/sysimage/rpm. rpm does not record what
// was asked for by name (dnf's history does), so every package counts as
// requested. It returns nil, nil when there is no rpm database.
func ReadGraph(contents map[string][]byte) (*pkggraph.Graph, error) {
	for _, name := range []string{SqliteUsr, Sqlite, NdbUsr, Ndb, BerkeleyDBUsr, BerkeleyDB} {
		b, ok := contents[name]
		if !ok {
			continue
		}
		blobs, err := Blobs(name, b)
		if err != nil {
			return nil, err
		}
		pkgs := make([]pkggraph.Package, 0, len(blobs))
		for i, blob := range blobs {
			h, err := parseHeader(blob)
			if err == nil {
				var p pkggraph.Package
				p, err = headerPackage(h)
				pkgs = append(pkgs, p)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: package %d: %w", name, i, err)
			}
		}
		return pkggraph.New("rpm", pkgs, false), nil
	}
	return nil, nil
}

// Packages are the packages of the rpm graphs among graphs, with the files
// their headers list: the graph's reader is the one rpm reader, so RHEL,
// UBI, Fedora, Amazon Linux and SUSE images get package evidence too.
func Packages(graphs []*pkggraph.Graph) []*model.FoundPackage {
	var out []*model.FoundPackage
	for _, g := range graphs {
		if g.Manager != "rpm" {
			continue
		}
		for _, p := range g.Packages {
			out = append(out, &model.FoundPackage{
				Package: model.Package{Name: p.Name, Version: p.Version, Manager: "rpm", Section: p.Section, InstalledSize: p.InstalledSize, Step: -1},
				Files:   p.Files,
			})
		}
	}
	return out
}
