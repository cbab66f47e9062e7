package suggest

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Node: which packages under a project's node_modules the app needs at
// run time. The lockfile's dev flags say which ones `npm prune
// --omit=dev` removes; the app's own files (from its entry point: the
// script the configuration runs with node, else package.json's main)
// say which ones it requires. A package the lockfile calls dev-only that
// the app requires would be pruned from under it: the project's
// node_modules is then kept whole, and asked about.

// nodeSpec matches the module specifiers of require("x"), import("x"),
// import ... from "x", import "x" and export ... from "x".
var nodeSpec = regexp.MustCompile(`(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s+|\bimport\s+)["']([^"'\s]+)["']`)

// parseRequires returns the module specifiers a JavaScript source names,
// in order, each once. It reads text, not a syntax tree: a specifier in
// a comment or a string counts too, which errs on the side of keeping.
func parseRequires(body []byte) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range nodeSpec.FindAllSubmatch(body, -1) {
		s := string(m[1])
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// nodeBuiltins are Node's own modules: no package provides them.
var nodeBuiltins = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`assert async_hooks buffer child_process cluster console constants crypto dgram
		diagnostics_channel dns domain events fs http http2 https inspector module net os path perf_hooks process
		punycode querystring readline repl stream string_decoder sys test timers tls trace_events tty url util v8 vm
		wasi worker_threads zlib`) {
		nodeBuiltins[m] = true
	}
}

// nodePackage is the package a bare specifier names ("lodash" of
// "lodash/fp", "@scope/pkg" of "@scope/pkg/sub"), "" for a relative or
// absolute path, a URL or a builtin.
func nodePackage(spec string) string {
	if spec == "" || strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "node:") || strings.Contains(spec, ":") {
		return ""
	}
	parts := strings.SplitN(spec, "/", 3)
	name := parts[0]
	if strings.HasPrefix(name, "@") {
		if len(parts) < 2 {
			return ""
		}
		name += "/" + parts[1]
	}
	if nodeBuiltins[name] {
		return ""
	}
	return name
}

// nodeExts are the files Node loads a relative specifier from, in the
// order it tries them.
var nodeExts = []string{"", ".js", ".mjs", ".cjs", ".json", "/index.js", "/index.mjs", "/index.cjs", "/index.json"}

// isNodeSource reports whether p is a JavaScript source by its name.
func isNodeSource(p string) bool {
	return strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs") || strings.HasSuffix(p, ".cjs")
}

// nodeEntries are the app's entry files in project dir: what ENTRYPOINT
// and CMD run with node (a .js word, resolved from the working
// directory; `npm start` through package.json's scripts.start), else
// package.json's main (index.js by default). Nil when none is found.
func (s *state) nodeEntries(dir string, manifest nodeManifest) []string {
	words := append(append([]string{}, s.img.Config.Entrypoint...), s.img.Config.Cmd...)
	var split []string
	for _, w := range words {
		split = append(split, strings.Fields(w)...)
	}
	for i, w := range split {
		if w == "npm" && i+1 < len(split) && (split[i+1] == "start" || split[i+1] == "run" && i+2 < len(split) && split[i+2] == "start") {
			split = append(split, strings.Fields(manifest.Scripts["start"])...)
		}
	}
	wd := strings.TrimPrefix(s.img.Config.WorkingDir, "/")
	var out []string
	add := func(p string) {
		if under(p, dir) && !under(p, path.Join(dir, "node_modules")) {
			if f, ok := s.resolveNode(p); ok && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	for _, w := range split {
		if !isNodeSource(w) {
			continue
		}
		add(index.Canonical(path.Join("/", wd, w))) // node resolves a relative path from its working directory
	}
	if len(out) == 0 {
		main := manifest.Main
		if main == "" {
			main = "index.js"
		}
		add(index.Canonical(path.Join(dir, main)))
	}
	return out
}

// resolveNode finds the file Node loads for p (a path without or with
// its extension, or a directory with an index file).
func (s *state) resolveNode(p string) (string, bool) {
	for _, ext := range nodeExts {
		if i, ok := s.img.FS.IndexOf(p + ext); ok && s.img.FS.Kind(i) == index.File {
			return p + ext, true
		}
	}
	return "", false
}

type nodeManifest struct {
	Main    string            `json:"main"`
	Scripts map[string]string `json:"scripts"`
}

// nodeImports are the packages the app's files in project dir require,
// each with the first file requiring it: the files reachable from its
// entry points by relative requires, or, with no entry point found,
// every JavaScript file of the project outside node_modules that no rule
// flags (tests are). complete is false when a reachable file's body was
// not captured (too big: a bundle), so what it requires is unknown.
func (s *state) nodeImports(dir string) (imports map[string]string, complete bool) {
	var manifest nodeManifest
	if body, ok := s.img.Contents[path.Join(dir, "package.json")]; ok {
		_ = json.Unmarshal(body, &manifest) // a manifest that does not parse names no entry
	}
	imports, complete = map[string]string{}, true
	queue := s.nodeEntries(dir, manifest)
	if len(queue) == 0 {
		for i, f := range s.img.FS.All() {
			if f.Kind == index.File && isNodeSource(f.Path) && under(f.Path, dir) && !under(f.Path, path.Join(dir, "node_modules")) && s.cl.Flags.Category(i) == "" {
				queue = append(queue, f.Path)
			}
		}
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if seen[f] {
			continue
		}
		seen[f] = true
		if strings.HasSuffix(f, ".json") {
			continue
		}
		body, ok := s.img.Contents[f]
		if !ok {
			complete = false
			continue
		}
		for _, spec := range parseRequires(body) {
			if name := nodePackage(spec); name != "" {
				if _, ok := imports[name]; !ok {
					imports[name] = f
				}
				continue
			}
			if strings.HasPrefix(spec, ".") {
				if r, ok := s.resolveNode(index.Canonical(path.Join(path.Dir(f), spec))); ok && !under(r, path.Join(dir, "node_modules")) {
					queue = append(queue, r)
				}
			}
		}
	}
	return imports, complete
}

// devRequired are the packages of project dir's node_modules the
// lockfile marks dev-only that the app's files require, as "name
// (required by /file)", sorted.
func (s *state) devRequired(dir string) []string {
	imports, _ := s.nodeImports(dir)
	var out []string
	for _, p := range s.cl.Packages {
		if p.Manager != "npm" || !p.Dev || p.Category != model.DevDependency {
			continue
		}
		if from, ok := imports[p.Name]; ok && p.Location == path.Join(dir, "node_modules", p.Name) {
			out = append(out, fmt.Sprintf("%s (required by %s)", show(p.Name), show("/"+from)))
		}
	}
	sort.Strings(out)
	return out
}
