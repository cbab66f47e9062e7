package analyze

import (
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// classifyEntries builds a one-layer image from entries and captured
// bodies (each body also becomes a file) and classifies it.
func classifyEntries(t *testing.T, entries []index.Entry, contents map[string]string) (*model.Image, *model.Classification) {
	t.Helper()
	l := testLayer(entries, nil, nil)
	l.Contents = map[string][]byte{}
	for p, body := range contents {
		l.Contents[p] = []byte(body)
		l.Entries = append(l.Entries, reg(p, int64(len(body))))
		l.Size += int64(len(body))
	}
	img, err := Build(testImage(nil, l))
	if err != nil {
		t.Fatal(err)
	}
	return img, Classify(img, nil)
}

type wantFlag struct {
	path     string
	category model.Category
	evidence string
	owner    string
}

func checkFlags(t *testing.T, img *model.Image, c *model.Classification, want []wantFlag) {
	t.Helper()
	for _, w := range want {
		i, ok := img.FS.IndexOf(w.path)
		if !ok {
			t.Errorf("%s not in the image", w.path)
			continue
		}
		f := c.Flags[i]
		owner := ""
		if o := c.Owners[i]; o >= 0 {
			owner = c.Packages[o].Manager + ":" + c.Packages[o].Name
		}
		if f.Category != w.category || f.Evidence != w.evidence || owner != w.owner {
			t.Errorf("%s: %q %q owner %q, want %q %q owner %q", w.path, f.Category, f.Evidence, owner, w.category, w.evidence, w.owner)
		}
	}
}

// Stanzas from an Alpine 3.19 lib/apk/db/installed (checksums shortened).
const apkInstalledDB = `C:Q1Zsp2I3Tk2DZyiTbVd8O2SpGqwYg=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700485745
c:2db7a5e2d2bc4d7e1dd3d2ce5dd7ce35f3b32cba
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1d1cPYKM0DTzmhTgNTIJNPAJtOW8=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1UQgD0ThGhWCPk5MqgTN9t/vtQ5c=
P:gcc
V:13.2.1_git20231014-r0
A:x86_64
S:26425216
I:78356480
T:The GNU Compiler Collection
U:https://gcc.gnu.org
L:GPL-2.0-or-later AND LGPL-2.1-or-later
o:gcc
m:Ariadne Conill <ariadne@dereferenced.org>
t:1697356462
c:3c8fb5e54a8ad9a6dcfb4e0ae1fbc4a3bd52bbcd
D:binutils>=2.41 so:libc.musl-x86_64.so.1 so:libgmp.so.10 so:libisl.so.23 so:libmpc.so.3 so:libmpfr.so.6 so:libz.so.1 so:libzstd.so.1
F:usr
F:usr/bin
R:gcc
a:0:0:755
Z:Q1xKTXi8hE2ilnVLSwNDy9Hx0Tu+c=
R:x86_64-alpine-linux-musl-gcc-13.2.1
a:0:0:755
Z:Q1xKTXi8hE2ilnVLSwNDy9Hx0Tu+c=
F:usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1
R:cc1
a:0:0:755
Z:Q1/MImHjIAkr5UDYxcwazPLLEqnxo=

C:Q1oKSTbpnI4Zj+O3eFR3Plt6WvLxQ=
P:musl-dev
V:1.2.4_git20230717-r4
A:x86_64
S:1531046
I:11165696
T:the musl c library (libc) implementation (development files)
F:usr
F:usr/include
R:stdio.h
a:0:0:644
Z:Q1Dm4jCCKmq6lRCnYmsvnGqJw6CS0=
F:usr/lib
R:libc.a
a:0:0:644
Z:Q1Dm4jCCKmq6lRCnYmsvnGqJw6CS0=

`

func TestApkDatabase(t *testing.T) {
	img, c := classifyEntries(t, []index.Entry{
		reg("lib/ld-musl-x86_64.so.1", 667000), sym("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"),
		reg("usr/bin/gcc", 900_000), hard("usr/bin/x86_64-alpine-linux-musl-gcc-13.2.1", "usr/bin/gcc"),
		reg("usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1/cc1", 30_000_000),
		reg("usr/include/stdio.h", 7000), reg("usr/lib/libc.a", 2_000_000),
	}, map[string]string{"lib/apk/db/installed": apkInstalledDB})
	checkFlags(t, img, c, []wantFlag{
		{"lib/ld-musl-x86_64.so.1", "", "", "apk:musl"},
		{"lib/libc.musl-x86_64.so.1", "", "", "apk:musl"},
		{"usr/bin/gcc", model.BuildTool, "apk: gcc (name gcc)", "apk:gcc"},
		{"usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1/cc1", model.BuildTool, "apk: gcc (name gcc)", "apk:gcc"},
		{"usr/include/stdio.h", model.BuildTool, "apk: musl-dev (name *-dev)", "apk:musl-dev"},
		{"usr/lib/libc.a", model.BuildTool, "apk: musl-dev (name *-dev)", "apk:musl-dev"},
	})
	for _, p := range c.Packages {
		if p.Name == "gcc" && (p.Version != "13.2.1_git20231014-r0" || p.InstalledSize != 78356480 || p.Files != 3) {
			t.Errorf("gcc: %+v", p)
		}
	}
}

// A distroless image (gcr.io/distroless/cc-debian12) has no status file:
// one stanza per package in status.d, and md5sums beside it.
func TestDpkgDistrolessStatusD(t *testing.T) {
	img, c := classifyEntries(t, []index.Entry{
		sym("lib", "usr/lib"), dir("usr"), dir("usr/lib"), dir("usr/lib/x86_64-linux-gnu"),
		reg("usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_136), reg("usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", 2_190_440),
		reg("usr/share/doc/libc6/copyright", 25_467),
	}, map[string]string{
		"var/lib/dpkg/status.d/libc6": `Package: libc6
Version: 2.36-9+deb12u7
Architecture: amd64
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Installed-Size: 12986
Depends: libgcc-s1
Section: libs
Priority: optional
Multi-Arch: same
Homepage: https://www.gnu.org/software/libc/libc.html
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
`,
		"var/lib/dpkg/status.d/libc6.md5sums": "0f1b5e4b5fd1e0d0e3ccf7bb2a1d3c47  lib/x86_64-linux-gnu/libc.so.6\n" +
			"5c2e4d9a3a7f6c2ef4a1dca4f8c84a4e  usr/share/doc/libc6/copyright\n",
		"var/lib/dpkg/status.d/libstdc++6": `Package: libstdc++6
Source: gcc-12
Version: 12.2.0-14
Architecture: amd64
Installed-Size: 2686
Section: libs
Description: GNU Standard C++ Library v3
`,
		"var/lib/dpkg/status.d/libstdc++6.md5sums": "ac1d0e6a0a2d7b0d2e7c5b1a4a3d8b59  usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30\n",
	})
	checkFlags(t, img, c, []wantFlag{
		{"usr/lib/x86_64-linux-gnu/libc.so.6", "", "", "dpkg:libc6"},
		{"usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", "", "", "dpkg:libstdc++6"},
		// A runtime package's docs are docs.
		{"usr/share/doc/libc6/copyright", model.Docs, "path: usr/share/doc/**", "dpkg:libc6"},
	})
	for _, tot := range c.Totals {
		if tot.Category != model.Docs && tot.Category != model.Other && tot.Bytes != 0 {
			t.Errorf("distroless runtime: %d bytes flagged %s", tot.Bytes, tot.Category)
		}
	}
}

// pnpm 9 lockfiles have no dev flag: dev-only is what only the importers'
// devDependencies reach. pnpm 6 lockfiles flag each package.
func TestPnpmLockfiles(t *testing.T) {
	const lock9 = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      debug:
        specifier: ^4.3.4
        version: 4.3.4
    devDependencies:
      typescript:
        specifier: ^5.4.5
        version: 5.4.5
      mocha-lite:
        specifier: ^1.0.0
        version: 1.0.0

packages:

  debug@4.3.4:
    resolution: {integrity: sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==}
    engines: {node: '>=6.0'}

  ms@2.1.2:
    resolution: {integrity: sha512-sGkPx+VjMtmA6MX27oA4FBFELFCZZ4S4XqeGOXCv68tT+jb3vk/RyaKWP0PTKyWtmLSM0b+adUTEvbs1PEaH2w==}

  mocha-lite@1.0.0:
    resolution: {integrity: sha512-aaaa}

  typescript@5.4.5:
    resolution: {integrity: sha512-vcI4UpRgg81oIRUFwR0WSIHKt11nJ7SAVlYNIu+QpqeyXP+gpQJy/Z4+F0aGxSE4MqwjyXvW/TzgkLAx2AGHwQ==}
    engines: {node: '>=14.17'}
    hasBin: true

snapshots:

  debug@4.3.4:
    dependencies:
      ms: 2.1.2

  ms@2.1.2: {}

  mocha-lite@1.0.0:
    dependencies:
      ms: 2.1.2

  typescript@5.4.5: {}
`
	const lock6 = `lockfileVersion: '6.0'

dependencies:
  ms:
    specifier: ^2.1.3
    version: 2.1.3

devDependencies:
  typescript:
    specifier: ^5.3.3
    version: 5.3.3

packages:

  /ms@2.1.3:
    resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}
    dev: false

  /typescript@5.3.3:
    resolution: {integrity: sha512-pXWcraxM0uxAS+tN0AG/BF2TyqmHO014Z070UsJ+pFvYuRSq8KH8DmWpnbXe0pEPDHXZV3FcAbJkijJ5oNEnWw==}
    engines: {node: '>=14.17'}
    hasBin: true
    dev: true
`
	store9, store6 := "srv/a/node_modules/.pnpm/", "srv/b/node_modules/.pnpm/"
	img, c := classifyEntries(t, []index.Entry{
		dir("srv"), dir("srv/a"), dir("srv/a/node_modules"), dir(store9[:len(store9)-1]),
		dir(store9 + "debug@4.3.4"), reg(store9+"debug@4.3.4/node_modules/debug/src/index.js", 300),
		dir(store9 + "ms@2.1.2"), reg(store9+"ms@2.1.2/node_modules/ms/index.js", 3000),
		dir(store9 + "mocha-lite@1.0.0"), reg(store9+"mocha-lite@1.0.0/node_modules/mocha-lite/index.js", 3000),
		dir(store9 + "typescript@5.4.5"), reg(store9+"typescript@5.4.5/node_modules/typescript/lib/tsc.js", 9000),
		sym("srv/a/node_modules/typescript", ".pnpm/typescript@5.4.5/node_modules/typescript"),
		dir("srv/b"), dir("srv/b/node_modules"), dir(store6[:len(store6)-1]),
		dir(store6 + "ms@2.1.3"), reg(store6+"ms@2.1.3/node_modules/ms/index.js", 3000),
		dir(store6 + "typescript@5.3.3"), reg(store6+"typescript@5.3.3/node_modules/typescript/lib/tsc.js", 9000),
	}, map[string]string{"srv/a/pnpm-lock.yaml": lock9, "srv/b/node_modules/.pnpm/lock.yaml": lock6})
	checkFlags(t, img, c, []wantFlag{
		{store9 + "debug@4.3.4/node_modules/debug/src/index.js", "", "", "pnpm:debug"},
		// ms is reached from a production dependency too: kept.
		{store9 + "ms@2.1.2/node_modules/ms/index.js", "", "", "pnpm:ms"},
		{store9 + "mocha-lite@1.0.0/node_modules/mocha-lite/index.js", model.DevDependency, "pnpm lockfile: dev (mocha-lite)", "pnpm:mocha-lite"},
		{store9 + "typescript@5.4.5/node_modules/typescript/lib/tsc.js", model.DevDependency, "pnpm lockfile: dev (typescript)", "pnpm:typescript"},
		{store6 + "ms@2.1.3/node_modules/ms/index.js", "", "", "pnpm:ms"},
		{store6 + "typescript@5.3.3/node_modules/typescript/lib/tsc.js", model.DevDependency, "pnpm lockfile: dev (typescript)", "pnpm:typescript"},
	})
}

// A lockfile v1 (npm 6) marks a whole dev subtree; nested node_modules
// belong to their own package.
func TestNpmLockfileV1Nested(t *testing.T) {
	const lock = `{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "jest": {
      "version": "29.7.0",
      "resolved": "https://registry.npmjs.org/jest/-/jest-29.7.0.tgz",
      "integrity": "sha512-NIy3oAFp9shda19hy4HK0HRTWKtPJmGdnvywu01nOqNC2vZg+Z+fvJDxpMQA88eb2I9EcafcdjYgsDthnYTvGw==",
      "dev": true,
      "requires": {"@jest/core": "^29.7.0"},
      "dependencies": {
        "semver": {"version": "7.5.4", "dev": true}
      }
    },
    "semver": {
      "version": "6.3.1",
      "resolved": "https://registry.npmjs.org/semver/-/semver-6.3.1.tgz",
      "integrity": "sha512-BR7VvDCVHO+q2xBEWskxS6DJE1qRnb7DxzUrogb71CWoSficBxYsiAGd+Kl0mmq/MprG9yArRkyrQxTO6XjMzA=="
    }
  }
}
`
	img, c := classifyEntries(t, []index.Entry{
		reg("app/node_modules/jest/build/index.js", 4000),
		reg("app/node_modules/jest/node_modules/semver/index.js", 2000),
		reg("app/node_modules/semver/index.js", 2000),
		reg("app/server.js", 900),
	}, map[string]string{"app/package-lock.json": lock})
	checkFlags(t, img, c, []wantFlag{
		{"app/node_modules/jest/build/index.js", model.DevDependency, "npm lockfile: dev (jest)", "npm:jest"},
		{"app/node_modules/jest/node_modules/semver/index.js", model.DevDependency, "npm lockfile: dev (semver)", "npm:semver"},
		{"app/node_modules/semver/index.js", "", "", "npm:semver"},
		{"app/server.js", "", "", ""},
	})
	if !strings.Contains(c.Verdict, "dev dependencies") {
		t.Errorf("verdict %q", c.Verdict)
	}
}
