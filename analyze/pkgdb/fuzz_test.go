package pkgdb

import (
	"bytes"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/apk"
	"github.com/imgdiff/imgdiff/analyze/dpkg"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/npm"
	"github.com/imgdiff/imgdiff/analyze/python"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The package databases are bytes an image carries: any of them may be
// hostile. Each target asserts what the readers promise of any input, not
// only that they return.

// oneLine fails when s spans lines: a database is read line by line, so
// no name or path it yields can hold a newline.
func oneLine(t *testing.T, what, s string) {
	t.Helper()
	if strings.ContainsAny(s, "\n") {
		t.Fatalf("%s %q spans lines", what, s)
	}
}

func FuzzDpkg(f *testing.F) {
	f.Add([]byte("Package: gcc-12\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.2.0-14\nInstalled-Size: 63492\nSection: devel\n\nPackage: gone\nStatus: deinstall ok config-files\n"),
		[]byte("/.\n/usr\n/usr/bin/gcc-12\n/usr/lib/gcc/x86_64-linux-gnu/12/cc1\n"))
	f.Add([]byte("Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nDescription: GNU C\n multi-line\n .\n continued\n"), []byte("/lib/x86_64-linux-gnu/libc.so.6\r\n"))
	f.Add([]byte("Package:\nStatus: install ok installed\n\n\n\nPackage: x\n"), []byte(""))
	f.Fuzz(func(t *testing.T, status, list []byte) {
		contents := map[string][]byte{dpkg.Status: status, dpkg.InfoDir + "gcc-12.list": list, dpkg.InfoDir + "libc6:amd64.list": list}
		found := dpkg.ReadPackages(contents)
		if n := bytes.Count(status, []byte("Package:")); len(found) > n {
			t.Fatalf("%d packages from a status file with %d Package: fields", len(found), n)
		}
		for _, p := range found {
			oneLine(t, "name", p.Name)
			if p.Manager != "dpkg" || p.Step != -1 || p.InstalledSize < 0 {
				t.Fatalf("package %+v", p.Package)
			}
			if p.Name != "" && !bytes.Contains(status, []byte(p.Name)) {
				t.Fatalf("package %q is not in the status file", p.Name)
			}
			for _, file := range p.Files {
				oneLine(t, "file", file)
				canonical(t, file)
			}
		}
	})
}

func FuzzApk(f *testing.F) {
	f.Add([]byte("C:Q1abc=\nP:musl\nV:1.2.4-r2\nI:407552\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:gcc\nV:13\nF:usr/bin\nR:gcc\n"))
	f.Add([]byte("V:1\nR:orphan\n\nP:\nI:-5\nI:99999999999999999999\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range apk.ReadPackages(map[string][]byte{apk.Installed: body}) {
			oneLine(t, "name", p.Name)
			if p.Manager != "apk" || !bytes.Contains(body, []byte("P:"+p.Name)) {
				t.Fatalf("package %+v is not a P: line of the database", p.Package)
			}
			for _, file := range p.Files {
				oneLine(t, "file", file)
				canonical(t, file)
			}
		}
	})
}

// canonical fails unless file is a canonical path of a file below the
// root, as the index names them: what a database lists either matches
// the image's paths or is left out.
func canonical(t *testing.T, file string) {
	t.Helper()
	if index.Canonical(file) != file || file == "." {
		t.Fatalf("file %q is not a canonical path below the root", file)
	}
}

func FuzzPythonRecord(f *testing.F) {
	f.Add([]byte("requests/__init__.py,sha256=abc,4924\nrequests/api.py,,\n../../../bin/normalizer,sha256=x,200\nrequests-2.31.0.dist-info/RECORD,,\n"), []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nbody"))
	f.Add([]byte("\"quoted,name\",x,1\n\"unterminated\n,,\n/abs/path,,\n"), []byte("Name: \nVersion:\n"))
	const distInfo = "usr/lib/python3/site-packages/requests-2.31.0.dist-info"
	f.Fuzz(func(t *testing.T, record, metadata []byte) {
		found := python.ReadPackages(map[string][]byte{distInfo + "/RECORD": record, distInfo + "/METADATA": metadata})
		if len(found) != 1 {
			t.Fatalf("%d packages from one dist-info", len(found))
		}
		p := found[0]
		if p.Manager != "python" || p.Location != distInfo {
			t.Fatalf("package %+v", p.Package)
		}
		for _, file := range p.Files {
			// A RECORD path is relative to site-packages; whatever it
			// says, the reader yields a canonical path.
			canonical(t, file)
		}
	})
}

func FuzzNpmLock(f *testing.F) {
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/typescript":{"version":"5.3.3","dev":true},"node_modules/@types/node":{"version":"20.1.0","dev":true},"node_modules/a/node_modules/b":{"version":"1.0.0"},"packages/ws":{"link":true}}}`))
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"left-pad":{"version":"1.3.0","dev":true,"dependencies":{"x":{"version":"1"}}}}}`))
	f.Add([]byte(`{"packages":{"node_modules/../../../usr/bin":{"version":"1"},"node_modules/":{},"node_modules/a/../../etc":{"dev":true}}}`))
	f.Add([]byte(`{"devDependencies":{"typescript":"^5","../../etc":"1","":"2"},"dependencies":{"express":"4"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		contents := map[string][]byte{"app/package-lock.json": body, "srv/package.json": body}
		for _, p := range npm.ReadPackages(contents) {
			app, _, _ := strings.Cut(p.Location, "/")
			checkOwnedDir(t, p, app+"/node_modules")
		}
	})
}

// checkOwnedDir asserts that a package found in a lockfile owns one
// canonical directory inside the app's node_modules (or pnpm's store):
// whatever a hostile lockfile names, no package claims files elsewhere.
func checkOwnedDir(t *testing.T, p *model.FoundPackage, under string) {
	t.Helper()
	if len(p.Dirs) != 1 || p.Dirs[0] != p.Location {
		t.Fatalf("package %q owns %q, located at %q", p.Name, p.Dirs, p.Location)
	}
	if loc := p.Location; index.Canonical(loc) != loc || loc == under || !index.Under(loc, under) {
		t.Fatalf("package %q is located at %q, not a canonical directory inside %s", p.Name, loc, under)
	}
	if p.Name == "" {
		t.Fatalf("package at %q has no name", p.Location)
	}
}

func FuzzPnpmLock(f *testing.F) {
	f.Add([]byte("lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      react:\n        specifier: ^18\n        version: 18.2.0\n    devDependencies:\n      typescript:\n        specifier: ^5\n        version: 5.3.3\npackages:\n  react@18.2.0: {}\n  typescript@5.3.3: {}\nsnapshots:\n  react@18.2.0:\n    dependencies:\n      loose-envify: 1.4.0\n"))
	f.Add([]byte("lockfileVersion: 5.4\ndevDependencies:\n  typescript: 5.3.3\npackages:\n  /typescript/5.3.3:\n    dev: true\n  /@types/ms/0.7.34_peer@1:\n    dev: false\n"))
	f.Add([]byte("importers: [1, 2]\npackages: {a: b}\n"))
	const store = "app/node_modules/.pnpm"
	fs := &model.FS{}
	for _, d := range []string{"app", "app/node_modules", store, store + "/react@18.2.0", store + "/typescript@5.3.3", store + "/@types+ms@0.7.34_peer@1", store + "/@bad", store + "/x@"} {
		fs.Files = append(fs.Files, model.File{Entry: index.Entry{Path: d, Kind: index.Dir}})
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range npm.ReadPnpmPackages(map[string][]byte{"app/pnpm-lock.yaml": body}, fs) {
			checkOwnedDir(t, p, store)
			if p.Manager != "pnpm" || p.Version == "" {
				t.Fatalf("package %+v", p.Package)
			}
		}
	})
}
