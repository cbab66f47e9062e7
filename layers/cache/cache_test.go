package cache

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/index"
)

var _ layers.Cache = (*Cache)(nil)

func sampleLayer() *index.Layer {
	return &index.Layer{
		DiffID: "sha256:" + fmt.Sprintf("%064x", 7),
		Entries: []index.Entry{
			{Path: "etc", Kind: index.Dir, Mode: 0o755},
			{Path: "etc/passwd", Kind: index.File, Size: 1234, Mode: 0o644},
			{Path: "etc/shadow", Kind: index.File, Size: 99, Mode: 0o640, GID: 42},
			{Path: "usr/bin/python3", Kind: index.Symlink, Size: 10, Mode: 0o777, Link: "python3.11"},
			{Path: "usr/bin/python3.11", Kind: index.File, Size: 5 << 20, Mode: 0o4755, UID: 1000, GID: 1000},
			{Path: "usr/bin/py", Kind: index.Hardlink, Mode: 0o755, Link: "usr/bin/python3.11"},
			{Path: "dev/null", Kind: index.CharDevice, Mode: 0o666},
			{Path: "dev/sda", Kind: index.BlockDevice, Mode: 0o660},
			{Path: "run/fifo", Kind: index.FIFO, Mode: 0o600, UID: 1<<32 - 1},
			{Path: "ünïcödé/ファイル", Kind: index.File, Size: 1},
		},
		Whiteouts:  []string{"var/lib/apt/lists", "tmp/x", "tmp/xy"},
		OpaqueDirs: []string{"opt/app", "."},
		Contents: map[string][]byte{
			"var/lib/dpkg/status": []byte("Package: gcc-12\nStatus: install ok installed\n"),
			"app/package.json":    {},
			"app/nil":             nil,
		},
		Size: 1234 + 99 + 10 + 5<<20 + 1,
	}
}

func open(t *testing.T, opts Options) *Cache {
	t.Helper()
	c, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	cases := map[string]*index.Layer{
		"full":  sampleLayer(),
		"empty": {DiffID: "sha256:00"},
		"empty slices": {DiffID: "sha256:01", Entries: []index.Entry{}, Whiteouts: []string{},
			OpaqueDirs: []string{}, Contents: map[string][]byte{}},
		"only whiteouts": {DiffID: "sha256:02", Whiteouts: []string{"a", "a/b", "b"}},
		"big":            bigLayer(5000),
		"elf": {DiffID: "sha256:03", Entries: []index.Entry{{Path: "app", Kind: index.File, Size: 3}}, Size: 3,
			ELF: map[string]index.ELF{"app": {}, "usr/bin/x": {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libz.so.1", "libc.so.6"}},
				"lib/empty": {Needed: []string{}}}},
		"elf empty": {DiffID: "sha256:04", ELF: map[string]index.ELF{}},
	}
	for name, l := range cases {
		t.Run(name, func(t *testing.T) {
			c := open(t, Options{})
			key := testKey(l.DiffID, "cap1")
			if _, ok := c.Get(key); ok {
				t.Fatal("hit on an empty cache")
			}
			if err := c.Put(key, l); err != nil {
				t.Fatal(err)
			}
			got, ok := c.Get(key)
			if !ok {
				t.Fatal("miss after Put")
			}
			for _, p := range []string{c.dir, c.path(key)} {
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s: mode %v, %v; want private to the user", p, fi.Mode(), err)
				}
			}
			if d := cmp.Diff(l, got); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			if _, ok := c.Get(testKey(l.DiffID, "cap2")); ok {
				t.Error("hit under another capture key")
			}
			if hits, misses := c.Stats(); hits != 1 || misses != 2 {
				t.Errorf("stats = %d hits, %d misses; want 1, 2", hits, misses)
			}
		})
	}
}

// The cache must return what a real walk produced, not only what a test
// wrote by hand: walk a tar, cache it, walk again from the cache.
func TestWalkUsesCache(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if h.Typeflag == tar.TypeLink || h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeDir {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			io.WriteString(tw, body)
		}
	}
	add(&tar.Header{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "app/.wh..wh..opq", Typeflag: tar.TypeReg}, "")
	add(&tar.Header{Name: "app/package-lock.json", Typeflag: tar.TypeReg, Mode: 0o644}, `{"lockfileVersion":3}`)
	add(&tar.Header{Name: "app/main", Typeflag: tar.TypeReg, Mode: 0o755}, "binary")
	add(&tar.Header{Name: "app/link", Typeflag: tar.TypeLink, Linkname: "app/main"}, "")
	add(&tar.Header{Name: "etc/.wh.motd", Typeflag: tar.TypeReg}, "")
	tw.Close()

	sum := sha256.Sum256(buf.Bytes())
	l := &memLayer{data: buf.Bytes(), diffID: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}}
	img := &layers.Image{Ref: "test", Config: &v1.ConfigFile{RootFS: v1.RootFS{DiffIDs: []v1.Hash{l.diffID}}}, Layers: []layers.Layer{l}}
	c := open(t, Options{})
	opts := layers.WalkOptions{
		Jobs:       1,
		Cache:      c,
		Capture:    func(p string, _ int64) bool { return p == "app/package-lock.json" },
		CaptureKey: "lock",
	}
	first, err := layers.Walk(context.Background(), opts, img)
	if err != nil {
		t.Fatal(err)
	}
	second, err := layers.Walk(context.Background(), opts, img)
	if err != nil {
		t.Fatal(err)
	}
	if l.opens != 1 {
		t.Errorf("layer opened %d times, want 1 (second walk from the cache)", l.opens)
	}
	if d := cmp.Diff(first, second); d != "" {
		t.Errorf("cached walk differs (-walked +cached):\n%s", d)
	}
	if got := first[0].Layers[0]; len(got.OpaqueDirs) != 1 || len(got.Whiteouts) != 1 || len(got.Contents) != 1 {
		t.Errorf("walk lost markers or contents: %+v", got)
	}
}

type memLayer struct {
	data   []byte
	diffID v1.Hash
	opens  int
}

func (m *memLayer) DiffID() v1.Hash { return m.diffID }

// Identity stands for a source that checks the blob digest as it reads
// (a registry): the walk may cache the layer by it.
func (m *memLayer) Identity() layers.Identity {
	h := sha256.Sum256(m.data)
	return layers.Identity{Digest: "sha256:" + hex.EncodeToString(h[:])}
}

// testKey makes a cache key of the shape the walker uses.
func testKey(id, capture string) string {
	if capture != "" {
		id += "+" + capture
	}
	return id
}
func (m *memLayer) Blob() layers.Blob { return layers.Blob{Size: -1} }
func (m *memLayer) Open(context.Context) (io.ReadCloser, error) {
	m.opens++
	return io.NopCloser(bytes.NewReader(m.data)), nil
}

func TestCorruptEntriesAreMissesAndRemoved(t *testing.T) {
	l := sampleLayer()
	key := testKey(l.DiffID, "")
	good := encodeEntry(key, l)

	other := encodeEntry(key, l)
	other[len(magic)] = FormatVersion + 1 // the version uvarint

	cases := map[string][]byte{
		"empty":         {},
		"magic only":    good[:len(magic)],
		"bad magic":     append([]byte("NOTANIDX"), good[len(magic):]...),
		"other version": other,
		"other key":     encodeEntry(key+"x", l),
		"trailing junk": append(append([]byte{}, good...), 0),
		// Sizes the walk could not have written (issue 13, defect 2).
		"size not the sum of entries": encodeEntry(key, withSizes(l, func(m *index.Layer) { m.Size++ })),
		"entry sizes overflow int64": encodeEntry(key, withSizes(l, func(m *index.Layer) {
			m.Entries[1].Size, m.Entries[4].Size = 1<<62, 1<<62
			m.Size = m.Entries[1].Size + m.Entries[4].Size + 99 + 10 + 1 // wraps
		})),
		"negative entry size": encodeEntry(key, withSizes(l, func(m *index.Layer) {
			m.Entries[1].Size = -1234
			m.Size = 99 + 10 + 5<<20 + 1 - 1234
		})),
	}
	for _, cut := range []int{1, 10, len(good) / 2, len(good) - 4, len(good) - 1} {
		cases[fmt.Sprintf("truncated to %d", cut)] = good[:cut]
	}
	for i := len(magic) + len(key) + 4; i < len(good); i += 7 {
		b := append([]byte{}, good...)
		b[i] ^= 0x5a
		cases[fmt.Sprintf("flipped byte %d", i)] = b
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			c := open(t, Options{})
			p := c.path(key)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if got, ok := c.Get(key); ok {
				t.Fatalf("hit on a bad entry: %+v", got)
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("bad entry not removed: %v", err)
			}
			// A Put after a bad entry serves the right index again.
			if err := c.Put(key, l); err != nil {
				t.Fatal(err)
			}
			if got, ok := c.Get(key); !ok || !cmp.Equal(got, l) {
				t.Error("Put after a bad entry did not restore it")
			}
		})
	}
}

// withSizes returns a copy of l with its entries copied, changed by f.
func withSizes(l *index.Layer, f func(*index.Layer)) *index.Layer {
	m := *l
	m.Entries = append([]index.Entry{}, l.Entries...)
	f(&m)
	return &m
}

// A payload that claims more than it holds must fail cleanly, never panic
// or allocate what it claims.
func TestDecodeHostilePayload(t *testing.T) {
	good := encodeLayer(sampleLayer())
	for i := range good {
		for _, v := range []byte{0x00, 0xff, 0x7f, 0x80} {
			b := append([]byte{}, good...)
			b[i] = v
			decodeLayer(b) // must not panic
		}
		decodeLayer(good[:i])
	}
	huge := []byte{6, 'a', 'b', 'c', 'd', 'e', 'f', 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	if _, err := decodeLayer(huge); err == nil {
		t.Error("a count beyond the payload decoded")
	}
}

func TestConcurrentPutGet(t *testing.T) {
	dir := t.TempDir()
	// Two Cache values on one directory stand in for two processes.
	c1, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]*index.Layer, 8)
	for i := range want {
		want[i] = bigLayer(200 + i)
		want[i].DiffID = fmt.Sprintf("sha256:%064x", i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 8 {
		c := []*Cache{c1, c2}[g%2]
		wg.Go(func() {
			for r := range 10 {
				l := want[(g+r)%len(want)]
				key := testKey(l.DiffID, "")
				if err := c.Put(key, l); err != nil {
					errs <- err
					return
				}
				for _, w := range want {
					got, ok := c.Get(testKey(w.DiffID, ""))
					if ok && !reflect.DeepEqual(got, w) { // cmp is too slow under -race here
						errs <- fmt.Errorf("Get %s returned another layer's index", w.DiffID)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, w := range want {
		if got, ok := c1.Get(testKey(w.DiffID, "")); !ok || !cmp.Equal(got, w) {
			t.Errorf("%s: missing or wrong after concurrent writes", w.DiffID)
		}
	}
	des, _ := os.ReadDir(c1.dir)
	if len(des) != len(want) {
		t.Errorf("cache dir holds %d files, want %d (temp files left?)", len(des), len(want))
	}
}

func TestPruneLRU(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	probe, _ := Open(dir, Options{Now: clock})
	entry := func(i int) (string, *index.Layer) {
		l := bigLayer(300)
		l.DiffID = fmt.Sprintf("sha256:%064x", i)
		return testKey(l.DiffID, ""), l
	}
	k0, l0 := entry(0)
	size := int64(len(encodeEntry(k0, l0)))
	// Room for 4 entries; the 5th Put prunes down to 80% (3 entries).
	c, err := Open(dir, Options{MaxBytes: 4*size + size/2, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		k, l := entry(i)
		if err := c.Put(k, l); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(probe.path(k), now, now)
		now = now.Add(time.Minute)
	}
	// A stale temp file from a crashed writer, and a fresh one in progress.
	stale := filepath.Join(c.dir, tempPrefix+"stale")
	fresh := filepath.Join(c.dir, tempPrefix+"fresh")
	os.WriteFile(stale, []byte("x"), 0o644)
	os.WriteFile(fresh, []byte("x"), 0o644)
	os.Chtimes(stale, now.Add(-2*time.Hour), now.Add(-2*time.Hour))
	os.Chtimes(fresh, now, now)

	// Touch entry 0 by a hit: it becomes the most recently used.
	if _, ok := c.Get(k0); !ok {
		t.Fatal("miss")
	}
	now = now.Add(time.Minute)
	k4, l4 := entry(4)
	if err := c.Put(k4, l4); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(probe.path(k4), now, now)

	present := map[int]bool{}
	for i := range 5 {
		k, _ := entry(i)
		_, err := os.Stat(probe.path(k))
		present[i] = err == nil
	}
	want := map[int]bool{0: true, 1: false, 2: false, 3: true, 4: true}
	if d := cmp.Diff(want, present); d != "" {
		t.Errorf("entries kept after pruning (-want +got):\n%s", d)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temp file not removed")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temp file (a write in progress) removed")
	}
}

func TestOpenRejectsNegativeCap(t *testing.T) {
	if _, err := Open(t.TempDir(), Options{MaxBytes: -1}); err == nil {
		t.Error("negative cap accepted")
	}
}

func TestDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	user, err := os.UserCacheDir()
	if err != nil {
		t.Skip("no user cache dir on this machine")
	}
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"IMGDIFF_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}, "/c"},
		{map[string]string{"XDG_CACHE_HOME": "/x"}, "/x/imgdiff"},
		{map[string]string{"XDG_CACHE_HOME": "relative"}, filepath.Join(user, "imgdiff")},
		{map[string]string{}, filepath.Join(user, "imgdiff")},
	}
	for _, tc := range cases {
		got, err := Dir(env(tc.env))
		if err != nil || got != tc.want {
			t.Errorf("Dir(%v) = %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
}

// bigLayer is a layer shaped like a real one: deep directories in tar
// order, mostly files, some links.
func bigLayer(n int) *index.Layer {
	l := &index.Layer{DiffID: "sha256:" + fmt.Sprintf("%064x", n)}
	for i := range n {
		dir := fmt.Sprintf("usr/lib/python3/dist-packages/pkg%03d/sub%02d", i/100, i/10%10)
		var e index.Entry
		switch i % 10 {
		case 0:
			e = index.Entry{Path: dir, Kind: index.Dir, Mode: 0o755}
		case 7:
			e = index.Entry{Path: fmt.Sprintf("%s/link%d", dir, i), Kind: index.Symlink, Mode: 0o777, Link: "../x.py", Size: 7}
		case 8:
			e = index.Entry{Path: fmt.Sprintf("%s/hard%d", dir, i), Kind: index.Hardlink, Mode: 0o644, Link: fmt.Sprintf("%s/file%d.py", dir, i-1)}
		default:
			e = index.Entry{Path: fmt.Sprintf("%s/file%d.py", dir, i), Kind: index.File, Mode: 0o644, Size: int64(i * 37 % 100000)}
		}
		l.Entries = append(l.Entries, e)
		l.Size += e.Size
		if i%50 == 0 {
			l.Whiteouts = append(l.Whiteouts, dir+"/old.py")
		}
	}
	l.Contents = map[string][]byte{"var/lib/dpkg/status": bytes.Repeat([]byte("Package: x\n"), 1000)}
	return l
}

// BenchmarkGet150k measures a hit on a layer of 150,000 entries: read,
// zstd, decode. Compare BenchmarkGob150k, the obvious alternative format.
func BenchmarkGet150k(b *testing.B) {
	c, _ := Open(b.TempDir(), Options{})
	l := bigLayer(150_000)
	key := testKey(l.DiffID, "")
	if err := c.Put(key, l); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(c.path(key))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get(key); !ok {
			b.Fatal("miss")
		}
	}
	b.ReportMetric(float64(fi.Size())/150_000, "file-B/entry")
}

func BenchmarkPut150k(b *testing.B) {
	c, _ := Open(b.TempDir(), Options{})
	l := bigLayer(150_000)
	key := testKey(l.DiffID, "")
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Put(key, l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGob150k(b *testing.B) {
	l := bigLayer(150_000)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(l); err != nil {
		b.Fatal(err)
	}
	data := zenc().EncodeAll(buf.Bytes(), nil)
	b.ReportAllocs()
	for b.Loop() {
		raw, err := zdec().DecodeAll(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		var got index.Layer
		if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&got); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/150_000, "file-B/entry")
}
