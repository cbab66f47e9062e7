// Package dpkgtest generates dpkg databases for tests and benchmarks: the
// Debian-like base both 100k-file benchmark images are built on (analyze's
// realisticImage, cmd/pipeline's shareImage), so that they stay the same
// base.
package dpkgtest

import (
	"fmt"
	"strings"
)

// BenchBase generates a dpkg database of 400 installed packages, every
// fifth a -dev package in section libdevel, each owning 100 files: a
// shared library, a doc file, a header and a tool in turn. For each
// package in order it calls file with each owned path (no leading slash)
// and its number n (0 to 99) among the package's files, then list with
// the path and body of the package's var/lib/dpkg/info/*.list; it returns
// the body of var/lib/dpkg/status.
func BenchBase(file func(path string, n int), list func(path string, body []byte)) []byte {
	var status strings.Builder
	for p := range 400 {
		name, section := fmt.Sprintf("pkg%03d", p), "libs"
		if p%5 == 0 {
			name, section = fmt.Sprintf("lib%03d-dev", p), "libdevel"
		}
		fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\nSection: %s\nInstalled-Size: 100\nArchitecture: amd64\nVersion: 1.0\n\n", name, section)
		var l strings.Builder
		for n := range 100 {
			var path string
			switch n % 4 {
			case 0:
				path = fmt.Sprintf("usr/lib/x86_64-linux-gnu/%s/lib%d.so.1", name, n)
			case 1:
				path = fmt.Sprintf("usr/share/doc/%s/file%d", name, n)
			case 2:
				path = fmt.Sprintf("usr/include/%s/h%d.h", name, n)
			default:
				path = fmt.Sprintf("usr/bin/%s-tool%d", name, n)
			}
			l.WriteString("/" + path + "\n")
			file(path, n)
		}
		list("var/lib/dpkg/info/"+name+".list", []byte(l.String()))
	}
	return []byte(status.String())
}
