package pkgdb

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// TestRead: what each database says, read straight from captured bodies
// (CRLF line ends included), in Read's order: dpkg, then apk. The answers
// are the databases' own lines, copied by hand.
func TestRead(t *testing.T) {
	img := &model.Image{FS: &model.FS{}, Contents: map[string][]byte{
		"var/lib/dpkg/status": []byte("Package: gcc-12\r\nStatus: install ok installed\r\nSection: devel\r\nInstalled-Size: 2\r\nArchitecture: amd64\r\nVersion: 12.2.0-14\r\n\r\n" +
			"Package: old\nStatus: deinstall ok config-files\nSection: libs\nVersion: 1\n\n"),
		"var/lib/dpkg/info/gcc-12:amd64.list": []byte("/.\n/usr/bin/gcc-12\n/usr/lib/gcc\n"),
		"lib/apk/db/installed":                []byte("P:musl\nV:1.2.4-r2\nI:1000\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36\nR:bin/busybox\n"),
	}}
	got := Read(img)
	want := []*model.FoundPackage{
		{Package: model.Package{Name: "gcc-12", Version: "12.2.0-14", Manager: "dpkg", Section: "devel", InstalledSize: 2048, Step: -1},
			Files: []string{"usr/bin/gcc-12", "usr/lib/gcc"}},
		{Package: model.Package{Name: "musl", Version: "1.2.4-r2", Manager: "apk", InstalledSize: 1000, Step: -1},
			Files: []string{"lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"}},
		{Package: model.Package{Name: "busybox", Version: "1.36", Manager: "apk", Step: -1},
			Files: []string{"bin/busybox"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
}

// TestWants: the database files Wants decides, and those it leaves to the
// caller (ok false).
func TestWants(t *testing.T) {
	for _, tc := range []struct {
		path     string
		size     int64
		want, ok bool
	}{
		{"var/lib/dpkg/status", 1 << 20, true, true},
		{"var/lib/dpkg/status", 17 << 20, false, true}, // over the database cap
		{"etc/status", 10, false, true},                // "status" elsewhere: decided, no
		{"var/lib/dpkg/info/gcc-12.list", 10, true, true},
		{"var/lib/dpkg/info/gcc-12.md5sums", 10, false, true},
		{"usr/lib/python3/dist-packages/x-1.0.dist-info/RECORD", 10, true, true},
		{"app/package-lock.json", 10, true, true},
		{"app/node_modules/x/package-lock.json", 10, false, true}, // a dependency's, not the app's
		{"home/u/.ssh/id_rsa", 10, false, false},
	} {
		want, ok := Wants(tc.path, tc.size)
		if want != tc.want || ok != tc.ok {
			t.Errorf("Wants(%q, %d) = %v, %v; want %v, %v", tc.path, tc.size, want, ok, tc.want, tc.ok)
		}
	}
}
