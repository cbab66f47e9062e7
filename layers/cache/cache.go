// Package cache is the on-disk cache of per-layer file indexes: it stores
// an index.Layer under the key the walker gives it (layers.CacheKey: what
// the source showed of the layer's bytes, a verified blob digest or a local
// file's fingerprint, never the diffID a config claims; and what the walk
// captured) so that a layer already walked is never read again. It
// owns the entry file format, atomic writes, and pruning to a size cap; it
// implements layers.Cache and knows nothing of images, sources or analysis.
//
// Entries are safe to share between concurrent processes: each is written
// to a temp file in the cache directory and renamed into place, so a reader
// sees a whole entry or none. An entry that cannot be decoded (truncated,
// corrupt, another format version) is a miss and is removed.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/internal/codec"
)

// The payload of an entry is the codec's (package codec, which snapshots
// share).
var (
	errCorrupt  = codec.ErrCorrupt
	encodeLayer = codec.Encode
	decodeLayer = codec.Decode
)

// FormatVersion is the version of the entry format. Entries of another
// version are misses; bump it on any change to the payload layout.
const FormatVersion = 2 // 2: mode, uid, gid as uvarints (uint32 in index.Entry)

// DefaultMaxBytes is the size cap when Options.MaxBytes is 0.
const DefaultMaxBytes = 1 << 30

// magic opens every entry file.
var magic = []byte("IMGDIDX\n")

// maxPayload bounds the decompressed payload of one entry; a header that
// claims more is corrupt (the largest real layers encode to tens of MB).
const maxPayload = 1 << 30

// tempPrefix names files being written; Prune removes stale ones.
const tempPrefix = ".tmp-"

// staleTemp is how old a temp file must be before Prune treats it as the
// leftover of a crashed writer rather than a write in progress.
const staleTemp = time.Hour

// Options configure a Cache.
type Options struct {
	// MaxBytes caps the total size of the entries; when a Put takes the
	// cache over it, the least recently used entries are removed until the
	// cache is under 80% of it. 0 means DefaultMaxBytes; < 0 is an error.
	MaxBytes int64
	// Sync makes Put fsync each entry before renaming it into place, for
	// caches that must survive a power cut intact. Off by default: a torn
	// entry is detected and treated as a miss anyway.
	Sync bool
	// Now returns the current time (tests inject it); nil means time.Now.
	Now func() time.Time
}

// Cache is an on-disk cache of layer file indexes. It is safe for
// concurrent use by goroutines and processes.
type Cache struct {
	dir  string
	opts Options

	// size is the known total of entry sizes, -1 until first measured.
	mu   sync.Mutex
	size int64

	hits, misses atomic.Int64
}

var (
	zencOnce sync.Once
	zencoder *zstd.Encoder
	zdecOnce sync.Once
	zdecoder *zstd.Decoder
)

// zstd encoders and decoders are safe for concurrent EncodeAll/DecodeAll
// and costly to create: one of each per process.
func zenc() *zstd.Encoder {
	zencOnce.Do(func() {
		zencoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true))
	})
	return zencoder
}

func zdec() *zstd.Decoder {
	zdecOnce.Do(func() {
		zdecoder, _ = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxPayload), zstd.WithDecoderConcurrency(0))
	})
	return zdecoder
}

// Dir returns the cache directory: $IMGDIFF_CACHE_DIR, else
// $XDG_CACHE_HOME/imgdiff, else os.UserCacheDir()/imgdiff. getenv reads
// the environment (os.Getenv, or a map in tests).
func Dir(getenv func(string) string) (string, error) {
	if d := getenv("IMGDIFF_CACHE_DIR"); d != "" {
		return d, nil
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "imgdiff"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w", err)
	}
	return filepath.Join(d, "imgdiff"), nil
}

// Open returns the cache rooted at dir, creating the directory.
func Open(dir string, opts Options) (*Cache, error) {
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("cache: max size must be >= 0, got %d", opts.MaxBytes)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// One directory for every format version: entries of another version
	// are found, fail to decode, and are removed like any bad entry.
	// Private: entries hold captured file bodies (package databases,
	// lockfiles, config files the classifier reads), which may be secret.
	// Entry files are 0600 (os.CreateTemp).
	d := filepath.Join(dir, "layers")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: d, opts: opts, size: -1}, nil
}

// Stats returns how many Gets hit and missed.
func (c *Cache) Stats() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// path is where the entry for key lives: keys hold ':' and '+', so the file
// is named by their hash (the key itself is stored inside and checked).
func (c *Cache) path(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(h[:]))
}

// Get returns the layer index stored under key. Anything wrong with the
// entry makes it a miss, and an entry that cannot be decoded is removed.
func (c *Cache) Get(key string) (*index.Layer, bool) {
	p := c.path(key)
	data, err := readEntry(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(p) // not a file this cache wrote: a FIFO, a device, a link
		}
		c.misses.Add(1)
		return nil, false
	}
	l, err := decodeEntry(key, data)
	if err != nil {
		// A concurrent writer renames whole files into place, so a bad
		// entry is a torn write, bit rot or an old format: drop it.
		_ = os.Remove(p)
		c.misses.Add(1)
		return nil, false
	}
	now := c.opts.Now()
	_ = os.Chtimes(p, now, now) // LRU by mtime: atime is often not kept
	c.hits.Add(1)
	return l, true
}

// Has says whether an entry for key is stored, reading only its header
// (magic, format version, key), not its payload: a store that is asked
// whether a layer is done need not decode it. An entry whose payload is
// damaged still answers true here; Get reads it whole and misses.
func (c *Cache) Has(key string) bool {
	f, err := os.OpenFile(c.path(key), os.O_RDONLY|entryOpenFlags, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxEntry {
		return false
	}
	head := make([]byte, len(magic)+2*binary.MaxVarintLen64+len(key))
	n, _ := io.ReadFull(f, head)
	return entryHeaderIs(head[:n], key)
}

// entryHeaderIs says whether data opens with an entry header of this
// format version written for key.
func entryHeaderIs(data []byte, key string) bool {
	if !bytes.HasPrefix(data, magic) {
		return false
	}
	d := codec.NewFields(data[len(magic):])
	if v := d.Uvarint(); d.Err() != nil || v != FormatVersion {
		return false
	}
	k := d.Bytes()
	return d.Err() == nil && string(k) == key
}

// maxEntry bounds the size of an entry file: its payload is at most
// maxPayload before compression, and zstd never grows data by much.
const maxEntry = maxPayload + maxPayload/64 + 1<<16

// readEntry reads an entry file without following a link to it (the cache
// writes regular files only: a link named like an entry, to /dev/zero or a
// FIFO, is planted) and without blocking on what is not a regular file,
// reading at most maxEntry bytes.
func readEntry(p string) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|entryOpenFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxEntry {
		return nil, errCorrupt
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return data, nil
}

// Put stores l under key, replacing any entry there.
func (c *Cache) Put(key string, l *index.Layer) error {
	data := encodeEntry(key, l)
	if err := c.write(c.path(key), data); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return c.account(int64(len(data)))
}

// write puts data at p atomically: a temp file in the same directory,
// renamed over p, removed on any failure.
func (c *Cache) write(p string, data []byte) (err error) {
	f, err := os.CreateTemp(c.dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if c.opts.Sync {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// account adds n bytes to the known size and prunes when over the cap.
// The first call measures the directory, so entries other processes wrote
// count too; later calls trust the running total until a prune re-measures.
func (c *Cache) account(n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size < 0 {
		total, err := c.measure()
		if err != nil {
			return err
		}
		c.size = total
	} else {
		c.size += n
	}
	if c.size <= c.opts.MaxBytes {
		return nil
	}
	return c.pruneLocked(c.opts.MaxBytes * 8 / 10)
}

// Prune removes least recently used entries until the cache holds at most
// target bytes, and temp files left by crashed writers.
func (c *Cache) Prune(target int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pruneLocked(target)
}

type fileInfo struct {
	name  string
	size  int64
	mtime time.Time
}

func (c *Cache) pruneLocked(target int64) error {
	files, err := c.list()
	if err != nil {
		return err
	}
	now := c.opts.Now()
	var total int64
	var entries []fileInfo
	for _, f := range files {
		if strings.HasPrefix(f.name, tempPrefix) {
			if now.Sub(f.mtime) > staleTemp {
				_ = os.Remove(filepath.Join(c.dir, f.name))
			}
			continue
		}
		total += f.size
		entries = append(entries, f)
	}
	// Oldest first; ties by name so the order is stable.
	sort.Slice(entries, func(i, j int) bool {
		if !entries[i].mtime.Equal(entries[j].mtime) {
			return entries[i].mtime.Before(entries[j].mtime)
		}
		return entries[i].name < entries[j].name
	})
	for _, f := range entries {
		if total <= target {
			break
		}
		err := os.Remove(filepath.Join(c.dir, f.name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cache: pruning: %w", err)
		}
		total -= f.size
	}
	c.size = total
	return nil
}

func (c *Cache) measure() (int64, error) {
	files, err := c.list()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, f := range files {
		if !strings.HasPrefix(f.name, tempPrefix) {
			total += f.size
		}
	}
	return total, nil
}

// list stats the files of the cache directory; files that vanish while
// listing (another process pruning) are skipped.
func (c *Cache) list() ([]fileInfo, error) {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	out := make([]fileInfo, 0, len(des))
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue
		}
		out = append(out, fileInfo{name: de.Name(), size: fi.Size(), mtime: fi.ModTime()})
	}
	return out, nil
}

// An entry file is:
//
//	magic (8 bytes) | format version (uvarint) | key (uvarint length, bytes)
//	| payload length (uvarint) | payload, zstd-compressed with a checksum
func encodeEntry(key string, l *index.Layer) []byte {
	payload := encodeLayer(l)
	out := make([]byte, 0, len(magic)+len(key)+32+len(payload)/3)
	out = append(out, magic...)
	out = binary.AppendUvarint(out, FormatVersion)
	out = binary.AppendUvarint(out, uint64(len(key)))
	out = append(out, key...)
	out = binary.AppendUvarint(out, uint64(len(payload)))
	return zenc().EncodeAll(payload, out)
}

func decodeEntry(key string, data []byte) (*index.Layer, error) {
	if !bytes.HasPrefix(data, magic) {
		return nil, errCorrupt
	}
	d := codec.NewFields(data[len(magic):])
	if v := d.Uvarint(); d.Err() != nil || v != FormatVersion {
		return nil, errCorrupt
	}
	if k := d.Bytes(); d.Err() != nil || string(k) != key {
		return nil, errCorrupt
	}
	n := d.Uvarint()
	if d.Err() != nil || n > maxPayload {
		return nil, errCorrupt
	}
	// The claimed length sizes the buffer, within reason: a corrupt
	// header must not make us allocate a gigabyte up front.
	payload, err := zdec().DecodeAll(d.Rest(), make([]byte, 0, min(n, uint64(len(d.Rest()))*64)))
	if err != nil || uint64(len(payload)) != n {
		return nil, errCorrupt
	}
	return decodeLayer(payload)
}

// EncodeEntry is the entry file for l stored under key, in the cache's own
// format (format version, key, checksummed payload): the bytes another
// store of layer indexes (the fleet store) keeps, so that it shares the
// cache's format and its checks.
func EncodeEntry(key string, l *index.Layer) []byte { return encodeEntry(key, l) }

// DecodeEntry decodes an entry EncodeEntry made. An entry of another
// format version or another key, or one that does not decode, is an
// error: the caller treats it as a miss.
func DecodeEntry(key string, data []byte) (*index.Layer, error) {
	if len(data) > maxEntry {
		return nil, errCorrupt
	}
	return decodeEntry(key, data)
}

// MaxEntrySize bounds the size of an entry: a store reads no more.
const MaxEntrySize = maxEntry
