package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/elffacts"
	"github.com/imgdiff/imgdiff/layers/index"
)

// maxScript caps a captured entrypoint script: real ones are a few kB.
const maxScript = 256 << 10

// runFactsVersion changes when what RunFacts reads changes, so cached
// indexes from an older reader are never served. 2: the app's Python
// sources (WantPython); 3: the app's JavaScript sources (wantNode).
const runFactsVersion = "3"

// maxPython caps a captured Python source: an app's modules are a few
// to tens of kB; a generated one beyond the cap is not read (its imports
// are unknown, and suggest asks).
const maxPython = 256 << 10

// wantPython selects the Python sources a RunFacts walk captures: the
// .py files outside the distributions' trees (site-packages and
// dist-packages, the interpreters' standard libraries, usr/share), whose
// imports tell suggest which packages the app uses.
func wantPython(p string, size int64) bool {
	if size > maxPython || !strings.HasSuffix(p, ".py") {
		return false
	}
	for _, d := range []string{"usr/lib/python", "usr/lib64/python", "usr/local/lib/python", "usr/share/"} {
		if strings.HasPrefix(p, d) {
			return false
		}
	}
	return !strings.Contains(p, "/site-packages/") && !strings.Contains(p, "/dist-packages/") && !strings.Contains(p, "/node_modules/")
}

// maxNode caps a captured JavaScript source: an app's modules are a few
// to tens of kB; a bundle beyond the cap is not read (what it requires
// is unknown, and suggest keeps the lockfile's word).
const maxNode = 256 << 10

// wantNode selects the JavaScript sources a RunFacts walk captures: the
// .js, .mjs and .cjs files outside node_modules and the system's trees
// (usr/, where Debian's node-* packages live), whose requires tell
// suggest which packages of node_modules the app needs.
func wantNode(p string, size int64) bool {
	if size > maxNode || !(strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs") || strings.HasSuffix(p, ".cjs")) {
		return false
	}
	return !strings.HasPrefix(p, "usr/") && !strings.Contains(p, "node_modules/") && !strings.HasPrefix(p, "node_modules")
}

// runCapture is the capture set of a RunFacts walk and its key.
func runCapture(imgs []*layers.Image) (func(string, int64) bool, string) {
	capture, key, _ := captureSet(imgs, true)
	return capture, key
}

// captureSet is the capture set of every walk: the classification's,
// plus the bodies of the scripts the images' configs run (ENTRYPOINT,
// CMD, HEALTHCHECK): a build tool an entrypoint script calls is one the
// container uses, which the classification must not flag as build-only
// and suggest must keep. Its key is the classification's alone when no
// config names a script, so the cache entries of such images (most)
// stay valid; otherwise it names the scripts (a digest of their sorted
// paths). runFacts adds the ELF reader's version: a RunFacts walk's
// indexes carry ELF facts, which another walk's lack.
func captureSet(imgs []*layers.Image, runFacts bool) (func(string, int64) bool, string, map[string]bool) {
	scripts := map[string]bool{}
	for _, img := range imgs {
		if img.Config == nil {
			continue
		}
		c := img.Config.Config
		argvs := [][]string{c.Entrypoint, c.Cmd}
		if c.Healthcheck != nil {
			argvs = append(argvs, c.Healthcheck.Test)
		}
		for _, p := range pkggraph.ScriptPaths(c.WorkingDir, argvs...) {
			scripts[p] = true
		}
	}
	key := rules.CaptureKey()
	if len(scripts) > 0 {
		h := sha256.New()
		for _, p := range sortedKeys(scripts) {
			h.Write([]byte(p + "\x00"))
		}
		key += "+scripts-" + hex.EncodeToString(h.Sum(nil))[:16]
	}
	if runFacts {
		key += "+run" + runFactsVersion
	}
	return func(p string, size int64) bool {
		return rules.WantContent(p, size) || scripts[p] && size <= maxScript || runFacts && (wantPython(p, size) || wantNode(p, size))
	}, key, scripts
}

// dropBinaryScripts removes from img.Contents the bodies captured only
// because the config names their path, when they are no script: a
// binary named in CMD is captured like a script (the walk cannot tell
// before reading it), and its bytes read as shell words would make
// pkggraph.Runs see commands in them.
func dropBinaryScripts(img *model.Image, scripts map[string]bool) {
	for p := range scripts {
		b, ok := img.Contents[p]
		if !ok || rules.WantContent(p, int64(len(b))) {
			continue
		}
		if bytes.IndexByte(b[:min(len(b), 4096)], 0) >= 0 {
			delete(img.Contents, p)
		}
	}
}

// configELF adds to img.ELF the facts of the ELF files the config runs
// (ENTRYPOINT, CMD, HEALTHCHECK) whose bodies every walk captures (up to
// maxScript): what the container's own binary needs (DT_NEEDED) keeps
// those libraries' packages runtime in the classification, on any walk,
// RunFacts or not. A body that is no ELF, or one elffacts cannot read, adds
// nothing; facts the walk read already stay.
func configELF(img *model.Image, scripts map[string]bool) {
	var r elffacts.Reader
	for _, p := range sortedKeys(scripts) {
		b, ok := img.Contents[p]
		if !ok || !bytes.HasPrefix(b, []byte("\x7fELF")) {
			continue
		}
		if _, done := img.ELF[p]; done {
			continue
		}
		facts, err := r.Read(bytes.NewReader(b))
		if err != nil {
			continue
		}
		if img.ELF == nil {
			img.ELF = map[string]index.ELF{}
		}
		img.ELF[p] = facts
	}
}

// wantELF selects the files whose ELF facts a RunFacts walk reads: the
// executable ones and the shared libraries (".so" in the name), whatever
// their directory: an app may keep its libraries next to its binary.
func wantELF(p string, mode uint32, _ int64) bool {
	return mode&0o111 != 0 || strings.Contains(p[strings.LastIndexByte(p, '/')+1:], ".so")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
