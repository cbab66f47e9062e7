package imagetest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// npmPkg is a package of the demo app's lockfile, with its unpacked size.
type npmPkg struct {
	name, version string
	dev           bool
	size          int64
	bin           map[string]string
}

// The demo app's dependencies: a small express/pino/zod service whose
// devDependencies (TypeScript, Jest, ESLint, Prettier) dwarf it, as they
// do in real projects. Sizes are about half the real unpacked sizes.
var npmPkgs = func() []npmPkg {
	var out []npmPkg
	add := func(dev bool, spec string) {
		for _, f := range strings.Fields(spec) {
			// name@version:kB
			nv, kb, _ := strings.Cut(f, ":")
			i := strings.LastIndexByte(nv, '@')
			var size int64
			fmt.Sscan(kb, &size)
			out = append(out, npmPkg{name: nv[:i], version: nv[i+1:], dev: dev, size: size * kB})
		}
	}
	add(false, `accepts@1.3.8:8 array-flatten@1.1.1:3 atomic-sleep@1.0.0:4 body-parser@1.20.2:28 bytes@3.1.2:7
		call-bind@1.0.5:10 content-disposition@0.5.4:9 content-type@1.0.5:5 cookie@0.5.0:11 cookie-signature@1.0.6:2
		debug@2.6.9:20 depd@2.0.0:13 destroy@1.2.0:6 ee-first@1.1.1:4 encodeurl@1.0.2:4 escape-html@1.0.3:3
		etag@1.8.1:4 express@4.18.2:110 fast-redact@3.3.0:28 finalhandler@1.2.0:9 forwarded@0.2.0:4 fresh@0.5.2:5
		function-bind@1.1.2:15 get-intrinsic@1.2.2:20 has-proto@1.0.1:4 has-symbols@1.0.3:10 hasown@2.0.0:4
		http-errors@2.0.0:10 iconv-lite@0.4.24:170 inherits@2.0.4:2 ipaddr.js@1.9.1:30 media-typer@0.3.0:4
		merge-descriptors@1.0.1:2 methods@1.1.2:3 mime@1.6.0:25 mime-db@1.52.0:105 mime-types@2.1.35:9 ms@2.0.0:3
		negotiator@0.6.3:14 object-inspect@1.13.1:50 on-exit-leak-free@2.1.2:12 on-finished@2.4.1:7 parseurl@1.3.3:5
		path-to-regexp@0.1.7:4 pino@8.17.2:380 pino-abstract-transport@1.1.0:15 pino-std-serializers@6.2.2:22
		process-warning@3.0.0:15 proxy-addr@2.0.7:8 qs@6.11.0:120 quick-format-unescaped@4.0.4:14 range-parser@1.2.1:4
		raw-body@2.5.2:10 real-require@0.2.0:4 safe-buffer@5.2.1:16 safe-stable-stringify@2.4.3:26 safer-buffer@2.1.2:21
		send@0.18.0:25 serve-static@1.15.0:12 set-function-length@1.1.1:8 setprototypeof@1.2.0:4 side-channel@1.0.4:11
		sonic-boom@3.7.0:40 split2@4.2.0:8 statuses@2.0.1:6 thread-stream@2.4.1:60 toidentifier@1.0.1:4 type-is@1.6.18:8
		unpipe@1.0.0:2 utils-merge@1.0.1:2 vary@1.1.2:4 zod@3.22.4:1300`)
	add(true, `@ampproject/remapping@2.2.1:40 @babel/code-frame@7.23.5:20 @babel/compat-data@7.23.5:70 @babel/core@7.23.7:420
		@babel/generator@7.23.6:230 @babel/helper-compilation-targets@7.23.6:25 @babel/helper-module-transforms@7.23.3:60
		@babel/helper-plugin-utils@7.22.5:5 @babel/helpers@7.23.7:160 @babel/parser@7.23.6:900 @babel/template@7.22.15:40
		@babel/traverse@7.23.7:340 @babel/types@7.23.6:1100 @bcoe/v8-coverage@0.2.3:50 @eslint-community/eslint-utils@4.4.0:190
		@eslint-community/regexpp@4.10.0:200 @eslint/eslintrc@2.1.4:120 @eslint/js@8.56.0:70 @humanwhocodes/config-array@0.11.13:50
		@istanbuljs/schema@0.1.3:10 @jest/console@29.7.0:30 @jest/core@29.7.0:170 @jest/environment@29.7.0:12
		@jest/expect@29.7.0:10 @jest/fake-timers@29.7.0:30 @jest/globals@29.7.0:5 @jest/reporters@29.7.0:110
		@jest/schemas@29.6.3:8 @jest/source-map@29.6.3:8 @jest/test-result@29.7.0:12 @jest/test-sequencer@29.7.0:8
		@jest/transform@29.7.0:60 @jest/types@29.6.3:30 @jridgewell/trace-mapping@0.3.20:200 @sinclair/typebox@0.27.8:450
		@types/babel__core@7.20.5:12 @types/express@4.17.21:20 @types/express-serve-static-core@4.17.41:35
		@types/istanbul-lib-coverage@2.0.6:5 @types/node@20.10.5:2100 @types/stack-utils@2.0.3:5 @types/yargs@17.0.32:35
		acorn@8.11.3:280 acorn-jsx@5.3.2:20 ajv@6.12.6:480 ansi-styles@4.3.0:10 babel-jest@29.7.0:15
		babel-plugin-istanbul@6.1.1:10 babel-preset-jest@29.6.3:5 browserslist@4.22.2:50 caniuse-lite@1.0.30001572:900
		chalk@4.1.2:15 ci-info@3.9.0:20 cjs-module-lexer@1.2.3:55 convert-source-map@2.0.0:10 cross-spawn@7.0.3:20
		doctrine@3.0.0:40 electron-to-chromium@1.4.616:120 eslint@8.56.0:2800 eslint-scope@7.2.2:85
		eslint-visitor-keys@3.4.3:25 espree@9.6.1:60 esquery@1.5.0:360 esrecurse@4.3.0:15 estraverse@5.3.0:20
		expect@29.7.0:65 fast-deep-equal@3.1.3:10 fast-json-stable-stringify@2.1.0:15 glob@7.2.3:30 globals@13.24.0:80
		graceful-fs@4.2.11:30 istanbul-lib-coverage@3.2.2:25 istanbul-lib-instrument@5.2.1:45 istanbul-reports@3.1.6:130
		jest@29.7.0:10 jest-circus@29.7.0:70 jest-cli@29.7.0:40 jest-config@29.7.0:100 jest-diff@29.7.0:35
		jest-each@29.7.0:25 jest-environment-node@29.7.0:8 jest-haste-map@29.7.0:75 jest-matcher-utils@29.7.0:25
		jest-message-util@29.7.0:25 jest-mock@29.7.0:35 jest-resolve@29.7.0:55 jest-runner@29.7.0:40
		jest-runtime@29.7.0:90 jest-snapshot@29.7.0:75 jest-util@29.7.0:45 jest-validate@29.7.0:25
		jest-worker@29.7.0:40 js-yaml@4.1.0:200 jsesc@2.5.2:25 json5@2.2.3:120 lodash.merge@4.6.2:25
		micromatch@4.0.5:25 minimatch@3.1.2:15 node-releases@2.0.14:20 optionator@0.9.3:35 picomatch@2.3.1:45
		prettier@3.1.1:3800 pretty-format@29.7.0:50 semver@6.3.1:35 source-map@0.6.1:400 ts-jest@29.1.1:200
		typescript@5.3.3:11000 uri-js@4.4.1:240 yargs@17.7.2:120 yargs-parser@21.1.1:50`)
	for i := range out {
		switch out[i].name {
		case "typescript":
			out[i].bin = map[string]string{"tsc": "bin/tsc", "tsserver": "bin/tsserver"}
		case "jest":
			out[i].bin = map[string]string{"jest": "bin/jest.js"}
		case "eslint":
			out[i].bin = map[string]string{"eslint": "bin/eslint.js"}
		case "prettier":
			out[i].bin = map[string]string{"prettier": "bin/prettier.cjs"}
		case "mime":
			out[i].bin = map[string]string{"mime": "cli.js"}
		}
	}
	return out
}()

// files is the package's installed tree under node_modules/<name>.
func (p npmPkg) files() tree {
	t := tree{}
	pj, _ := json.MarshalIndent(map[string]any{
		"name": p.name, "version": p.version, "license": "MIT", "main": "lib/index.js",
		"repository": map[string]string{"type": "git", "url": "git+https://github.com/example/" + strings.TrimPrefix(p.name, "@") + ".git"},
	}, "", "  ")
	t.body("package.json", string(pj)+"\n")
	t.file("LICENSE", 1077)
	rest := p.size - 1077 - int64(len(pj))
	t.file("README.md", rest/12)
	rest -= rest / 12
	for _, target := range p.bin {
		t.add(Entry{Path: target, Size: 2 * kB, Mode: 0o755})
		rest -= 2 * kB
	}
	n := 1 + int(rest/(40*kB))
	if n > 40 {
		n = 40
	}
	t.spread("lib", n, rest, names("index api core util parser compiler types errors stream format utils helpers runtime config cache", ".js"))
	return t.prefixed("node_modules/" + p.name)
}

// lockEntry is a packages["node_modules/x"] entry of a v3 lockfile.
type lockEntry struct {
	Name            string            `json:"name,omitempty"`
	Version         string            `json:"version"`
	Resolved        string            `json:"resolved,omitempty"`
	Integrity       string            `json:"integrity,omitempty"`
	Dev             bool              `json:"dev,omitempty"`
	License         string            `json:"license,omitempty"`
	Dependencies    map[string]string `json:"dependencies,omitempty"`
	DevDependencies map[string]string `json:"devDependencies,omitempty"`
	Bin             map[string]string `json:"bin,omitempty"`
}

const (
	demoApp     = "thumbs"
	demoVersion = "1.4.2"
)

var (
	demoDeps    = map[string]string{"express": "^4.18.2", "pino": "^8.17.2", "zod": "^3.22.4"}
	demoDevDeps = map[string]string{"typescript": "^5.3.3", "jest": "^29.7.0", "ts-jest": "^29.1.1", "eslint": "^8.56.0",
		"prettier": "^3.1.1", "@types/node": "^20.10.5", "@types/express": "^4.17.21"}
)

// lockfile is the app's package-lock.json (root "" entry included) or, with
// hidden, node_modules/.package-lock.json listing what pkgs installed.
func lockfile(pkgs []npmPkg, hidden bool) string {
	packages := map[string]lockEntry{}
	if !hidden {
		packages[""] = lockEntry{Name: demoApp, Version: demoVersion, License: "UNLICENSED", Dependencies: demoDeps, DevDependencies: demoDevDeps}
	}
	for _, p := range pkgs {
		sum := sha512.Sum512([]byte(p.name + "@" + p.version))
		base := p.name[strings.LastIndexByte(p.name, '/')+1:]
		packages["node_modules/"+p.name] = lockEntry{
			Version:   p.version,
			Resolved:  "https://registry.npmjs.org/" + p.name + "/-/" + base + "-" + p.version + ".tgz",
			Integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
			Dev:       p.dev,
			License:   "MIT",
			Bin:       p.bin,
		}
	}
	b, _ := json.MarshalIndent(map[string]any{
		"name": demoApp, "version": demoVersion, "lockfileVersion": 3, "requires": true, "packages": packages,
	}, "", "  ")
	return string(b) + "\n"
}

// nodeModules is app/node_modules as `npm ci` (all) or `npm ci
// --omit=dev` (prod only) installs it, with the hidden lockfile.
func nodeModules(withDev bool) tree {
	t := tree{}
	var installed []npmPkg
	for _, p := range npmPkgs {
		if p.dev && !withDev {
			continue
		}
		installed = append(installed, p)
		t.merge(p.files())
		for b, target := range p.bin {
			t.link("node_modules/.bin/"+b, "../"+p.name+"/"+target)
		}
	}
	t.body("node_modules/.package-lock.json", lockfile(installed, true))
	return t.prefixed("app")
}

// npmCache is root/.npm after `npm ci`: the tarballs in _cacache (about a
// third of the unpacked size) and their index entries.
func npmCache() tree {
	t := tree{}
	for _, p := range npmPkgs {
		sum := sha512.Sum512([]byte(p.name + "@" + p.version))
		h := hex.EncodeToString(sum[:])
		t.file(path.Join("content-v2/sha512", h[:2], h[2:4], h[4:]), p.size/3+512)
		key := sha256.Sum256([]byte("make-fetch-happen:request-cache:https://registry.npmjs.org/" + p.name))
		k := hex.EncodeToString(key[:])
		t.file(path.Join("index-v5", k[:2], k[2:4], k[4:]), 700+int64(len(p.name))*3)
	}
	t = t.prefixed("root/.npm/_cacache")
	t.file("root/.npm/_logs/2024-01-02T03_06_00_000Z-debug-0.log", 14*kB)
	t.body("root/.npm/_update-notifier-last-checked", "")
	return t
}
