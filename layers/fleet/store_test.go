package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imgdiff/imgdiff/layers/cache"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

func key(n int, capture string) string {
	k := fmt.Sprintf("blob:sha256:%064x", n)
	if capture != "" {
		k += "+" + capture
	}
	return k
}

func layer(n int) *index.Layer {
	return &index.Layer{
		DiffID: fmt.Sprintf("sha256:%064x", 1000+n),
		Entries: []index.Entry{
			{Path: "etc", Kind: index.Dir, Mode: 0o755},
			{Path: fmt.Sprintf("etc/file%d", n), Kind: index.File, Size: int64(100 + n), Mode: 0o644},
			{Path: "usr/bin/gcc", Kind: index.File, Size: 7, Mode: 0o755},
		},
		Whiteouts: []string{"tmp/x"},
		Contents:  map[string][]byte{"var/lib/dpkg/status": []byte(fmt.Sprintf("Package: p%d\n", n))},
		Size:      int64(100+n) + 7,
	}
}

// registryStore starts an in-process registry and returns a store in it,
// with the count of blob GETs the registry served.
func registryStore(t *testing.T) (*Registry, *atomic.Int64) {
	t.Helper()
	var blobGets atomic.Int64
	reg := registrytest.Handler()
	host := registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			blobGets.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	s, err := OpenRegistry(host+"/fleet/store", RegistryOptions{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	return s, &blobGets
}

func dirStore(t *testing.T) *Dir {
	t.Helper()
	s, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func backends(t *testing.T) map[string]Store {
	r, _ := registryStore(t)
	return map[string]Store{"dir": dirStore(t), "registry": r}
}

func mustGet(t *testing.T, s Store, k string) (*index.Layer, bool) {
	t.Helper()
	l, ok, err := s.Get(context.Background(), k)
	if err != nil {
		t.Fatalf("Get(%s): %v", k, err)
	}
	return l, ok
}

func TestRoundTripAndMiss(t *testing.T) {
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, ok := mustGet(t, s, key(1, "cap")); ok {
				t.Fatal("hit in an empty store")
			}
			if err := s.Put(ctx, key(1, "cap"), layer(1)); err != nil {
				t.Fatal(err)
			}
			got, ok := mustGet(t, s, key(1, "cap"))
			if !ok {
				t.Fatal("miss after Put")
			}
			if d := cmp.Diff(layer(1), got); d != "" {
				t.Errorf("entry changed (-put +got):\n%s", d)
			}
			// The same layer walked with another capture set, and another
			// layer: both misses.
			for _, k := range []string{key(1, "other"), key(1, ""), key(2, "cap")} {
				if _, ok := mustGet(t, s, k); ok {
					t.Errorf("%s: hit for an entry never stored", k)
				}
			}
		})
	}
}

func TestRejectsKeysOfUnverifiedBytes(t *testing.T) {
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{
				"blob:sha256:" + strings.Repeat("a", 64) + "@/tmp/app.tar+cap", // a local file's copy
				"engine:diffid:sha256:" + strings.Repeat("a", 64),
				"file:/tmp/x.tar#3",
				"blob:sha256:abc",
				"blob:sha512:" + strings.Repeat("a", 128),
				"blob:sha256:" + strings.Repeat("A", 64),
			} {
				if err := s.Put(context.Background(), k, layer(1)); err == nil {
					t.Errorf("Put(%q) succeeded", k)
				}
			}
		})
	}
}

// A directory entry that is corrupt, of another version, or written for
// another key is a miss.
func TestDirUntrustedEntries(t *testing.T) {
	ctx := context.Background()
	s := dirStore(t)
	if err := s.Put(ctx, key(1, "cap"), layer(1)); err != nil {
		t.Fatal(err)
	}
	entryPath := func(k string) string {
		// The cache's file naming: find the only file that appeared.
		t.Helper()
		des, err := os.ReadDir(filepath.Join(s.path, "layers"))
		if err != nil {
			t.Fatal(err)
		}
		for _, de := range des {
			if !strings.HasPrefix(de.Name(), ".") {
				return filepath.Join(s.path, "layers", de.Name())
			}
		}
		t.Fatal("no entry file")
		return ""
	}
	p := entryPath(key(1, "cap"))
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("truncated", func(t *testing.T) {
		if err := os.WriteFile(p, good[:len(good)-5], 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := mustGet(t, s, key(1, "cap")); ok {
			t.Error("truncated entry trusted")
		}
	})
	t.Run("flipped byte", func(t *testing.T) {
		bad := append([]byte(nil), good...)
		bad[len(bad)-3] ^= 0xff
		if err := os.WriteFile(p, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := mustGet(t, s, key(1, "cap")); ok {
			t.Error("corrupt entry trusted")
		}
	})
	t.Run("foreign", func(t *testing.T) {
		// The entry of layer 2 planted where layer 1's belongs.
		if err := os.WriteFile(p, cache.EncodeEntry(key(2, "cap"), layer(2)), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := mustGet(t, s, key(1, "cap")); ok {
			t.Error("another layer's entry trusted")
		}
	})
	t.Run("other version", func(t *testing.T) {
		e := cache.EncodeEntry(key(1, "cap"), layer(1))
		e[8]++ // the format version follows the 8-byte magic
		if err := os.WriteFile(p, e, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := mustGet(t, s, key(1, "cap")); ok {
			t.Error("entry of another version trusted")
		}
	})
}

// An artifact under a key's tag that is not that key's entry is a miss.
func TestRegistryUntrustedArtifacts(t *testing.T) {
	ctx := context.Background()
	k := key(1, "cap")
	cfg, _ := json.Marshal(artifactConfig{Version: cache.FormatVersion, Layer: LayerDigest(k), Key: k})
	cases := map[string]func(s *Registry) error{
		"foreign entry": func(s *Registry) error {
			return s.push(ctx, k, cfg, cache.EncodeEntry(key(2, "cap"), layer(2)), ArtifactType)
		},
		"other capture key": func(s *Registry) error {
			return s.push(ctx, k, cfg, cache.EncodeEntry(key(1, "other"), layer(1)), ArtifactType)
		},
		"corrupt entry": func(s *Registry) error {
			e := cache.EncodeEntry(k, layer(1))
			e[len(e)-2] ^= 0xff
			return s.push(ctx, k, cfg, e, ArtifactType)
		},
		"other version": func(s *Registry) error {
			e := cache.EncodeEntry(k, layer(1))
			e[8]++
			return s.push(ctx, k, cfg, e, ArtifactType)
		},
		"prefix bomb": func(s *Registry) error {
			// A well-formed entry (its checksum right) of 4096 entries
			// each sharing all of a 64 KiB path: 100 kB of payload for
			// 256 MiB of paths.
			long := strings.Repeat("a", 64<<10)
			bomb := &index.Layer{DiffID: layer(1).DiffID, Entries: make([]index.Entry, 4096)}
			for i := range bomb.Entries {
				bomb.Entries[i] = index.Entry{Path: long, Kind: index.File}
			}
			return s.push(ctx, k, cfg, cache.EncodeEntry(k, bomb), ArtifactType)
		},
		"other artifact type": func(s *Registry) error {
			return s.push(ctx, k, cfg, cache.EncodeEntry(k, layer(1)), "application/vnd.example.thing")
		},
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := registryStore(t)
			if err := plant(s); err != nil {
				t.Fatal(err)
			}
			if _, ok := mustGet(t, s, k); ok {
				t.Error("untrusted artifact trusted")
			}
			// A Put repairs it.
			if err := s.Put(ctx, k, layer(1)); err != nil {
				t.Fatal(err)
			}
			if got, ok := mustGet(t, s, k); !ok || cmp.Diff(layer(1), got) != "" {
				t.Error("entry not repaired by Put")
			}
		})
	}
	t.Run("control: a well-formed push is trusted", func(t *testing.T) {
		s, _ := registryStore(t)
		if err := s.push(ctx, k, cfg, cache.EncodeEntry(k, layer(1)), ArtifactType); err != nil {
			t.Fatal(err)
		}
		if _, ok := mustGet(t, s, k); !ok {
			t.Error("miss")
		}
	})
}

// A registry that does not answer is an error, not a miss.
func TestRegistryUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied", http.StatusForbidden)
	}))
	defer srv.Close()
	s, err := OpenRegistry(strings.TrimPrefix(srv.URL, "http://")+"/x", RegistryOptions{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(context.Background(), key(1, "")); err == nil {
		t.Error("no error from a registry that fails")
	}
}

// Writers of the same and of different keys at once never leave a reader
// with a wrong or partial entry.
func TestConcurrentWriters(t *testing.T) {
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 4 {
						n := (w + i) % 3
						if err := s.Put(ctx, key(n, "cap"), layer(n)); err != nil {
							errs <- err
							return
						}
						l, ok, err := s.Get(ctx, key((n+1)%3, "cap"))
						if err != nil {
							errs <- err
							return
						}
						if ok && cmp.Diff(layer((n+1)%3), l) != "" {
							errs <- fmt.Errorf("reader saw a wrong entry for layer %d", (n+1)%3)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for n := range 3 {
				l, ok := mustGet(t, s, key(n, "cap"))
				if !ok || cmp.Diff(layer(n), l) != "" {
					t.Errorf("layer %d: entry missing or wrong after concurrent writes", n)
				}
			}
		})
	}
}

func TestOpen(t *testing.T) {
	s, err := Open("docker://localhost:5000/fleet/store", RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*Registry); !ok || s.String() != "docker://localhost:5000/fleet/store" {
		t.Errorf("docker:// store opened as %T %s", s, s)
	}
	d := t.TempDir()
	if s, err = Open(d, RegistryOptions{}); err != nil {
		t.Fatal(err)
	} else if _, ok := s.(*Dir); !ok {
		t.Errorf("directory opened as %T", s)
	}
	if _, err := Open("", RegistryOptions{}); err == nil {
		t.Error("empty store accepted")
	}
	if _, err := Open("docker://UPPER/Case", RegistryOptions{}); err == nil {
		t.Error("invalid repository accepted")
	}
}

func TestTag(t *testing.T) {
	a, b := Tag(key(1, "cap")), Tag(key(1, "other"))
	if a == b || Tag(key(1, "cap")) != a {
		t.Errorf("tags not a function of the key: %s %s", a, b)
	}
	if len(a) > 128 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		t.Errorf("not a valid tag: %s", a)
	}
}

// Has answers from an entry's header (a file) or its manifest (an
// artifact): no entry body is read, and an entry of another key, version
// or artifact type is not there.
func TestHas(t *testing.T) {
	ctx := context.Background()
	has := func(t *testing.T, s Store, k string) bool {
		t.Helper()
		ok, err := s.Has(ctx, k)
		if err != nil {
			t.Fatalf("Has(%s): %v", k, err)
		}
		return ok
	}
	t.Run("registry", func(t *testing.T) {
		s, blobGets := registryStore(t)
		k := key(1, "cap")
		if has(t, s, k) {
			t.Fatal("Has in an empty store")
		}
		if err := s.Put(ctx, k, layer(1)); err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{key(1, "other"), key(2, "cap"), "sha256:x"} {
			if has(t, s, other) {
				t.Errorf("Has(%s) for an entry never stored", other)
			}
		}
		if !has(t, s, k) {
			t.Fatal("Has after Put is false")
		}
		if n := blobGets.Load(); n != 0 {
			t.Errorf("Has fetched %d blobs, want 0", n)
		}
		cfg, _ := json.Marshal(artifactConfig{Version: cache.FormatVersion, Layer: LayerDigest(k), Key: k})
		if err := s.push(ctx, k, cfg, cache.EncodeEntry(k, layer(1)), "application/vnd.example.thing"); err != nil {
			t.Fatal(err)
		}
		if has(t, s, k) {
			t.Error("an artifact of another type counts as the entry")
		}
	})
	t.Run("dir", func(t *testing.T) {
		s := dirStore(t)
		k := key(1, "cap")
		if has(t, s, k) {
			t.Fatal("Has in an empty store")
		}
		if err := s.Put(ctx, k, layer(1)); err != nil {
			t.Fatal(err)
		}
		if !has(t, s, k) || has(t, s, key(1, "other")) {
			t.Fatal("Has is not true for the stored key alone")
		}
		des, err := os.ReadDir(filepath.Join(s.path, "layers"))
		if err != nil || len(des) != 1 {
			t.Fatalf("want one entry file: %v %v", des, err)
		}
		p := filepath.Join(s.path, "layers", des[0].Name())
		good, _ := os.ReadFile(p)
		// The payload is not read: an entry cut after its header is
		// there for Has (Get, which reads it, misses).
		if err := os.WriteFile(p, good[:len(good)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		if !has(t, s, k) {
			t.Error("Has read the payload")
		}
		other := cache.EncodeEntry(key(2, "cap"), layer(2))
		version := cache.EncodeEntry(k, layer(1))
		version[8]++
		for name, data := range map[string][]byte{"foreign": other, "other version": version, "empty": nil, "not an entry": []byte("hello")} {
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if has(t, s, k) {
				t.Errorf("%s: Has is true", name)
			}
		}
		os.Remove(p)
		elsewhere := filepath.Join(t.TempDir(), "entry")
		if err := os.WriteFile(elsewhere, good, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, p); err != nil {
			t.Fatal(err)
		}
		if has(t, s, k) {
			t.Error("a link counts as the entry")
		}
	})
}
