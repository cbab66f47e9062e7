package cache

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/layers/index"
)

// FuzzDecodeEntry feeds arbitrary bytes to the cache entry decoder (a cache
// directory is writable by whoever shares it). It must never panic or
// allocate what a corrupt header claims, and whatever it accepts must be a
// layer that encodes back to an entry decoding to the same layer.
func FuzzDecodeEntry(f *testing.F) {
	l := sampleLayer()
	key := "blob:" + l.DiffID // any key: the decoder checks the entry names it
	f.Add(encodeEntry(key, l))
	f.Add(encodeEntry(key, withSizes(l, func(m *index.Layer) { m.Entries = nil; m.Size = 0 })))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeEntry(key, data)
		if err != nil {
			return
		}
		again, err := decodeEntry(key, encodeEntry(key, got))
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if d := cmp.Diff(got, again); d != "" {
			t.Fatalf("round trip changed the layer (-first +second):\n%s", d)
		}
	})
}

// FuzzDecodeLayer is FuzzDecodeEntry without the compression, so the
// fuzzer reaches the payload parser directly.
func FuzzDecodeLayer(f *testing.F) {
	f.Add(encodeLayer(sampleLayer()))
	f.Add(encodeLayer(withSizes(sampleLayer(), func(m *index.Layer) {
		m.ELF = map[string]index.ELF{"app": {}, "bin/x": {Interp: "/lib/ld.so", Needed: []string{"libc.so.6"}}, "lib/y.so": {Needed: []string{}}}
	})))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeLayer(data)
		if err != nil {
			return
		}
		again, err := decodeLayer(encodeLayer(got))
		if err != nil {
			t.Fatalf("re-encoded payload does not decode: %v", err)
		}
		if d := cmp.Diff(got, again); d != "" {
			t.Fatalf("round trip changed the layer (-first +second):\n%s", d)
		}
	})
}
