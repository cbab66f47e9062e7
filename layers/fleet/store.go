// Package fleet owns the fleet store: where the layer indexes of a fleet
// scan are kept so that every worker, on any machine, finds them, and the
// fleet report assembles images from them without reading a layer again.
//
// An entry is the layer cache's own entry (package cache: its format
// version, the key it was written for, a checksummed payload) stored under
// the walk's cache key (layers.CacheKey: the verified blob digest and the
// capture key). Only keys of registry blobs, whose digest the walk checked
// as it read them, may be stored: they mean the same bytes on every
// machine. Two backends hold entries: a directory (a shared volume; each
// entry written to a temp file and renamed into place) and an OCI registry
// repository (one artifact per entry, tagged by a tag derived from the
// key). An entry that is missing, of another version, written for another
// key, or that does not decode is a miss, never trusted.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/imgdiff/imgdiff/layers/cache"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Store holds layer indexes by key. Implementations are safe for
// concurrent use by goroutines and processes.
type Store interface {
	// Get returns the index stored under key; ok is false when there is
	// none or the entry is not to be trusted (another version, another
	// key, corrupt). err is set only when the store could not be asked.
	Get(ctx context.Context, key string) (l *index.Layer, ok bool, err error)
	// Has says whether an entry for key, of this format version, is
	// stored, without reading its body (a file's header; an artifact's
	// manifest). A damaged body still answers true: Get, which reads
	// and verifies it, is the check that trusts nothing.
	Has(ctx context.Context, key string) (bool, error)
	// Put stores l under key, replacing any entry there; a reader sees
	// the old entry, the new one, or none, never a mix.
	Put(ctx context.Context, key string, l *index.Layer) error
	// String names the store for messages.
	String() string
}

// keyPrefix starts every key the store accepts: a registry blob's digest
// (layers.CacheKey of a blob not held in a local file).
const keyPrefix = "blob:sha256:"

// CheckKey returns an error unless key is the cache key of a registry
// blob: "blob:sha256:<64 hex>", optionally "+<capture key>".
func CheckKey(key string) error {
	d, _, _ := strings.Cut(key, "+")
	hex, ok := strings.CutPrefix(d, keyPrefix)
	if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return fmt.Errorf("fleet store: %q is not the key of a verified registry blob", key)
	}
	return nil
}

// LayerDigest is the blob digest a valid key names.
func LayerDigest(key string) string {
	d, _, _ := strings.Cut(key, "+")
	return strings.TrimPrefix(d, "blob:")
}

// Open opens the store ref names: "docker://HOST/REPO" is a registry
// repository, anything else a directory (created when missing).
func Open(ref string, o RegistryOptions) (Store, error) {
	if r, ok := strings.CutPrefix(ref, "docker://"); ok {
		return OpenRegistry(r, o)
	}
	if ref == "" {
		return nil, errors.New("fleet store: no store given (--store DIR or docker://HOST/REPO)")
	}
	return OpenDir(ref)
}

// Repository is the "HOST/REPO" of a registry store, "" for another.
func Repository(s Store) string {
	if r, ok := s.(*Registry); ok {
		return r.repo.Name()
	}
	return ""
}

// Dir is a store in a directory, typically a volume every worker mounts.
// It is the layer cache's directory format without a size cap.
type Dir struct {
	path string
	c    *cache.Cache
}

// OpenDir opens the directory store at path, creating it.
func OpenDir(path string) (*Dir, error) {
	// No cap (a fleet store is pruned by whoever owns the volume) and
	// fsync before rename: a store outlives the machines that write it.
	c, err := cache.Open(path, cache.Options{MaxBytes: math.MaxInt64 / 2, Sync: true})
	if err != nil {
		return nil, fmt.Errorf("fleet store %s: %w", path, err)
	}
	return &Dir{path: path, c: c}, nil
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, key string) (*index.Layer, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if CheckKey(key) != nil {
		return nil, false, nil
	}
	l, ok := d.c.Get(key)
	return l, ok, nil
}

// Has implements Store: the entry file is there, a regular file whose
// header names this format version and key; its payload is not read.
func (d *Dir) Has(ctx context.Context, key string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return CheckKey(key) == nil && d.c.Has(key), nil
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, key string, l *index.Layer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := d.c.Put(key, l); err != nil {
		return fmt.Errorf("fleet store %s: %w", d.path, err)
	}
	return nil
}

func (d *Dir) String() string { return d.path }

// StoreKey is the key of the entry for the layer blob with this digest
// walked with captureKey: layers.CacheKey of a registry layer.
func StoreKey(digest, captureKey string) string {
	k := "blob:" + digest
	if captureKey != "" {
		k += "+" + captureKey
	}
	return k
}
