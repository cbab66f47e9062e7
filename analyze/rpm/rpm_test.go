package rpm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
	"github.com/imgdiff/imgdiff/analyze/rpm/rpmtest"
)

// goRpmdb is what github.com/knqyf263/go-rpmdb reads from a package
// (rpmtest/testdata/go-rpmdb-dump.go.txt).
type goRpmdb struct {
	Name, Version, Release, Arch, SourceRpm string
	Epoch, Size                             int
	Provides, Requires, Files               []string
	FileSizes                               []int64
}

// TestRpmMatchesGoRpmdb holds the readers (SQLite, Berkeley DB, ndb) and
// the header parser to what go-rpmdb reads from the same real databases.
func TestRpmMatchesGoRpmdb(t *testing.T) {
	for _, tt := range []struct{ db, ref string }{
		{"cbl-mariner-2.0-rpmdb.sqlite.gz", "cbl-mariner-2.0.go-rpmdb.json.gz"},
		{"libuuid-Packages.gz", "libuuid.go-rpmdb.json.gz"},
		{"sle15-bci-Packages.db.gz", "sle15-bci.go-rpmdb.json.gz"},
	} {
		var want []goRpmdb
		if err := json.Unmarshal(rpmtest.Gunzip(t, tt.ref), &want); err != nil {
			t.Fatal(err)
		}
		blobs, err := Blobs(tt.db, rpmtest.Gunzip(t, tt.db))
		if err != nil {
			t.Fatalf("%s: %v", tt.db, err)
		}
		byName := map[string]pkggraph.Package{}
		for _, b := range blobs {
			h, err := parseHeader(b)
			if err != nil {
				t.Fatalf("%s: %v", tt.db, err)
			}
			p, err := headerPackage(h)
			if err != nil {
				t.Fatalf("%s: %v", tt.db, err)
			}
			byName[p.Name+"."+p.Arch] = p
		}
		if len(blobs) != len(want) {
			t.Errorf("%s: %d packages, go-rpmdb reads %d", tt.db, len(blobs), len(want))
		}
		for _, w := range want {
			p, ok := byName[w.Name+"."+w.Arch]
			if !ok {
				t.Errorf("%s: %s.%s missing", tt.db, w.Name, w.Arch)
				continue
			}
			version := w.Version + "-" + w.Release
			if w.Epoch != 0 {
				version = strconv.Itoa(w.Epoch) + ":" + version
			}
			var requires []string
			for _, r := range w.Requires {
				if !strings.HasPrefix(r, "rpmlib(") {
					requires = append(requires, r)
				}
			}
			var gotRequires []string
			for _, d := range p.Deps {
				if d.Kind == pkggraph.Depends {
					gotRequires = append(gotRequires, d.Alternatives[0].Name)
				}
			}
			var files []string
			for _, f := range w.Files {
				files = append(files, strings.TrimPrefix(f, "/"))
			}
			if p.Version != version || p.InstalledSize != int64(w.Size) || !slices.Equal(p.Provides, w.Provides) ||
				!slices.Equal(gotRequires, requires) || !slices.Equal(p.Files, files) {
				got := []any{p.Version, p.InstalledSize, p.Provides, gotRequires, p.Files}
				wnt := []any{version, int64(w.Size), w.Provides, requires, files}
				t.Errorf("%s: %s (-go-rpmdb +got):\n%s", tt.db, w.Name, cmp.Diff(wnt, got))
			}
			if len(w.FileSizes) > 0 && !slices.Equal(w.FileSizes, p.FileSizes) {
				t.Errorf("%s: %s: file sizes differ", tt.db, w.Name)
			}
		}
	}
}

func TestReadGraph(t *testing.T) {
	db := rpmtest.Gunzip(t, rpmtest.Mariner)
	g, err := ReadGraph(map[string][]byte{Sqlite: db})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Packages) != 129 || g.AutoKnown {
		t.Fatalf("%d packages, AutoKnown %v", len(g.Packages), g.AutoKnown)
	}
	// bash requires /bin/sh (a file it owns itself: no edge), /bin/cp
	// (coreutils lists it), libc.so.6()(64bit) (glibc provides it), ...
	var deps []string
	for _, e := range g.Out[g.Index("bash")] {
		deps = append(deps, g.Packages[e.To].Name+" ("+e.Via.Name+")")
	}
	if !slices.Contains(deps, "glibc (libc.so.6()(64bit))") {
		t.Errorf("bash's dependencies %v lack glibc through libc.so.6()(64bit)", deps)
	}
	for _, bad := range [][]byte{nil, []byte("SQLite format 3\x00garbage"), bytes.Repeat([]byte{0xff}, 4096), []byte("RpmP\x00\x00\x00\x00")} {
		if _, err := ReadGraph(map[string][]byte{BerkeleyDB: bad}); !errors.Is(err, pkggraph.ErrMalformed) {
			t.Errorf("ReadGraph(%q...) error = %v, want ErrMalformed", bad[:min(len(bad), 16)], err)
		}
	}
}

// TestRpmCorrupt feeds the readers damaged copies of the real databases:
// truncated, and with bytes overwritten across the file. They may fail,
// with ErrMalformed, but never panic or hang.
func TestRpmCorrupt(t *testing.T) {
	for _, name := range []string{"cbl-mariner-2.0-rpmdb.sqlite.gz", "libuuid-Packages.gz", "sle15-bci-Packages.db.gz"} {
		db := rpmtest.Gunzip(t, name)
		try := func(what string, b []byte) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s, %s: panic: %v", name, what, r)
				}
			}()
			g, err := ReadGraph(map[string][]byte{Sqlite: b})
			if err != nil && !errors.Is(err, pkggraph.ErrMalformed) {
				t.Errorf("%s, %s: error %v is not ErrMalformed", name, what, err)
			}
			if err == nil && g == nil {
				t.Errorf("%s, %s: nil graph without an error", name, what)
			}
		}
		step := len(db) / 23
		for off := 0; off < len(db); off += step {
			try("truncated", db[:off])
			for _, fill := range []byte{0x00, 0xff} {
				b := bytes.Clone(db)
				for i := off; i < min(off+64, len(b)); i++ {
					b[i] = fill
				}
				try("overwritten", b)
			}
		}
	}
}

// TestRpmHeaderCorrupt damages one real header blob byte by byte.
func TestRpmHeaderCorrupt(t *testing.T) {
	blobs, err := Blobs("libuuid", rpmtest.Gunzip(t, "libuuid-Packages.gz"))
	if err != nil || len(blobs) != 1 {
		t.Fatal(blobs, err)
	}
	// Every byte of the index (where damage misleads the parser most),
	// then a sample of the data.
	indexEnd := 8 + 16*int(binary.BigEndian.Uint32(blobs[0]))
	next := func(i int) int {
		if i < indexEnd {
			return i + 1
		}
		return i + len(blobs[0])/300 + 1
	}
	for i := 0; i < len(blobs[0]); i = next(i) {
		for _, v := range []byte{0x00, 0x7f, 0xff} {
			b := bytes.Clone(blobs[0])
			b[i] = v
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("byte %d = %#x: panic: %v", i, v, r)
					}
				}()
				if h, err := parseHeader(b); err == nil {
					_, _ = headerPackage(h)
				}
			}()
		}
	}
}
