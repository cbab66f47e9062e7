// Package rpmtest owns the real rpm databases the tests of analyze/rpm,
// analyze/suggest and analyze read (testdata/README.md says where they
// come from), and go-rpmdb's dumps of them, the reference the rpm
// readers are held to. The files are embedded: tests of any package get
// them without a path relative to their own directory.
package rpmtest

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"testing"
)

// Mariner is CBL-Mariner 2.0's rpmdb.sqlite (SQLite, 129 packages).
const Mariner = "cbl-mariner-2.0-rpmdb.sqlite.gz"

//go:embed testdata/*.gz
var files embed.FS

// Gunzip returns the content of the gzipped file name of testdata
// ("cbl-mariner-2.0-rpmdb.sqlite.gz", "libuuid.go-rpmdb.json.gz"),
// failing t when it is missing or does not decompress.
func Gunzip(t testing.TB, name string) []byte {
	t.Helper()
	gz, err := files.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	z, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}
