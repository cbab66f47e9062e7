package suggest

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The app's Python modules say which packages it uses: each import of
// the app's own sources (captured by the walk for suggest) is resolved
// where Python would find it. A module in a Debian python3-* package's
// dist-packages brings that package (a venv made with
// --system-site-packages sees them); one in a venv or pip's
// site-packages is copied with it (pip and setuptools too when
// imported); the standard library comes with the interpreter; one
// found nowhere is asked about.

// builtinModules are compiled into CPython: no file provides them.
var builtinModules = map[string]bool{"_abc": true, "_ast": true, "_codecs": true, "_collections": true, "_functools": true,
	"_imp": true, "_io": true, "_locale": true, "_operator": true, "_signal": true, "_sre": true, "_stat": true, "_string": true,
	"_symtable": true, "_thread": true, "_tokenize": true, "_tracemalloc": true, "_warnings": true, "_weakref": true,
	"atexit": true, "builtins": true, "errno": true, "faulthandler": true, "gc": true, "itertools": true, "marshal": true,
	"posix": true, "pwd": true, "sys": true, "time": true, "xxsubtype": true, "__main__": true}

var (
	importLine = regexp.MustCompile(`^\s*import\s+([A-Za-z_][\w.]*(?:\s+as\s+\w+)?(?:\s*,\s*[A-Za-z_][\w.]*(?:\s+as\s+\w+)?)*)`)
	fromLine   = regexp.MustCompile(`^\s*from\s+([A-Za-z_][\w.]*)\s+import\b`)
	stdlibDir  = regexp.MustCompile(`^(usr/(local/)?lib|usr/lib64)/python3(\.\d+)?(/lib-dynload)?$`)
	siteDir    = regexp.MustCompile(`(^|/)(site|dist)-packages$`)
)

// pyImport is one module the app imports, and where from.
type pyImport struct {
	module string
	from   string // the importing file, canonical
}

// isTestSource reports whether a Python file is a test or a build script
// (its imports are the tests' or the build's): test_*.py, *_test.py,
// conftest.py, setup.py, noxfile.py, or under tests/ or test/.
func isTestSource(p string) bool {
	b := path.Base(p)
	if strings.HasPrefix(b, "test_") || strings.HasSuffix(b, "_test.py") || b == "conftest.py" || b == "setup.py" || b == "noxfile.py" {
		return true
	}
	for _, d := range strings.Split(path.Dir(p), "/") {
		if d == "tests" || d == "test" {
			return true
		}
	}
	return false
}

// parseImports are the top-level modules a Python source imports,
// absolute imports only (a relative one is the app's own package).
func parseImports(body []byte) []string {
	var out []string
	seen := map[string]bool{}
	addName := func(dotted string) {
		m, _, _ := strings.Cut(strings.TrimSpace(dotted), ".")
		if m != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := fromLine.FindStringSubmatch(line); m != nil {
			addName(m[1])
			continue
		}
		if m := importLine.FindStringSubmatch(line); m != nil {
			for _, part := range strings.Split(m[1], ",") {
				name, _, _ := strings.Cut(strings.TrimSpace(part), " ")
				addName(name)
			}
		}
	}
	return out
}

// moduleName is the top-level module name a file directly in a module
// directory provides: "flask" for flask/…, flask.py and
// flask.cpython-311-x86_64-linux-gnu.so; "" for others (dist-info, .pth).
func moduleName(rel string) string {
	first, rest, isDir := strings.Cut(rel, "/")
	if isDir {
		if rest == "" || strings.Contains(first, ".") {
			return ""
		}
		return first
	}
	switch {
	case strings.HasSuffix(first, ".py"):
		return strings.TrimSuffix(first, ".py")
	case strings.HasSuffix(first, ".so"):
		m, _, _ := strings.Cut(first, ".")
		return m
	}
	return ""
}

// scanImports reads the imports of the app's own Python sources (the
// build's files no package owns, tests left out) and resolves each.
func (s *state) scanImports() {
	s.pyImported = map[string]bool{}
	if !s.mayRunPython() {
		return // .py files copied along (CI, docs, examples) are run by nobody
	}
	var imports []pyImport
	for i, f := range s.img.FS.Files {
		if f.Kind != index.File || !strings.HasSuffix(f.Path, ".py") || !s.appStep[s.stepOfFile(i)] || isTestSource(f.Path) || s.cl.Flags[i].Category != "" {
			continue
		}
		if o := s.cl.Owners[i]; o >= 0 {
			continue // a distribution's module: its own dependencies brought what it imports
		}
		body, ok := s.img.Contents[f.Path]
		if !ok {
			continue
		}
		for _, m := range parseImports(body) {
			imports = append(imports, pyImport{m, f.Path})
		}
	}
	if len(imports) == 0 {
		return
	}
	// Where each top-level module is: in the standard library (comes with
	// the interpreter), or a site directory (by its files' owners).
	stdlib := map[string]bool{}
	site := map[string][]int{}
	for i, f := range s.img.FS.Files {
		dir := path.Dir(f.Path)
		for d := dir; d != "." && d != "/"; d = path.Dir(d) {
			if stdlibDir.MatchString(d) {
				if m := moduleName(strings.TrimPrefix(f.Path, d+"/")); m != "" {
					stdlib[m] = true
				}
				break
			}
			if siteDir.MatchString(d) {
				if m := moduleName(strings.TrimPrefix(f.Path, d+"/")); m != "" && f.Kind != index.Dir {
					site[m] = append(site[m], i)
				}
				break
			}
		}
	}
	var missing []string
	for _, im := range imports {
		m := im.module
		if builtinModules[m] || stdlib[m] || s.ownModule(m, im.from) {
			continue
		}
		files, ok := site[m]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (/%s)", m, im.from))
			continue
		}
		for _, i := range files {
			o := s.cl.Owners[i]
			if o < 0 || o >= len(s.cl.Packages) {
				continue
			}
			p := s.cl.Packages[o]
			if p.Manager == "python" {
				s.pyImported[p.Name] = true
			}
			s.pyOwners = append(s.pyOwners, pyOwner{pkg: o, module: m, from: im.from})
			break
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		s.ask(fmt.Sprintf("the app imports %s, which no module of the image provides: installed at run time, optional (in a try block), or missing?", listNames(dedupe(missing), 6)))
	}
}

// pythonName matches a Python interpreter's name (python, python3.11).
var pythonName = regexp.MustCompile(`^python[0-9.]*$`)

// mayRunPython reports whether the container may run Python: false only
// when what ENTRYPOINT and CMD run is known to be native, each program an
// ELF file with its facts, no interpreter by name or libpython in its
// DT_NEEDED, and no script the configuration runs was captured. A shell
// command line, a program not found or without facts, any script: maybe.
func (s *state) mayRunPython() bool {
	for _, b := range s.runScripts() {
		if shebang(b) != "" {
			return true
		}
	}
	ep, cmd := s.img.Config.Entrypoint, s.img.Config.Cmd
	argv := ep
	if len(argv) == 0 {
		argv = cmd
	}
	if len(argv) == 0 || isShell(argv) {
		return true
	}
	native := func(word string) bool {
		i := s.lookPath(word)
		if i < 0 {
			return false
		}
		e, ok := s.in.ELF[s.img.FS.Files[i].Path]
		if !ok || pythonName.MatchString(path.Base(word)) || pythonName.MatchString(path.Base(s.img.FS.Files[i].Path)) {
			return false
		}
		for _, n := range e.Needed {
			if strings.HasPrefix(n, "libpython") {
				return false
			}
		}
		return true
	}
	if !native(argv[0]) {
		return true
	}
	// CMD behind ENTRYPOINT (tini --, a wrapper): a program when PATH
	// finds it, else arguments.
	if len(ep) > 0 && len(cmd) > 0 && (s.lookPath(cmd[0]) >= 0 || isShell(cmd)) && !native(cmd[0]) {
		return true
	}
	return false
}

// pyOwner is the package that provides a module the app imports.
type pyOwner struct {
	pkg          int // in the classification
	module, from string
}

// ownModule reports whether module m is the app's own: beside the
// importing file, or in the working directory.
func (s *state) ownModule(m, from string) bool {
	dirs := []string{path.Dir(from)}
	if wd := strings.Trim(path.Clean("/"+s.img.Config.WorkingDir), "/"); wd != "" {
		dirs = append(dirs, wd)
	}
	for _, d := range dirs {
		for _, c := range []string{path.Join(d, m+".py"), path.Join(d, m)} {
			if _, ok := s.img.FS.Lookup(c); ok {
				return true
			}
		}
	}
	return false
}

// pythonNeeds adds the system packages that provide the modules the app
// imports (python3-flask for "import flask"), unless the base has them. A
// flagged one (a test tool imported by the app's code) is kept, and asked.
func (s *state) pythonNeeds(add func(name, why string)) {
	for _, o := range s.pyOwners {
		p := s.cl.Packages[o.pkg]
		if !s.systemManager(p.Manager) || s.present(o.pkg, "") {
			continue
		}
		why := fmt.Sprintf("provides the module %s, which /%s imports", o.module, o.from)
		if p.Category != "" && p.Category != model.Docs {
			s.ask(fmt.Sprintf("%s is a %s (%s), but /%s imports %s: kept in the final stage; does the app need it at run time?", p.Name, p.Category, p.Evidence, o.from, o.module))
		}
		add(p.Name, why)
	}
}

func dedupe(list []string) []string {
	var out []string
	for i, x := range list {
		if i == 0 || x != list[i-1] {
			out = append(out, x)
		}
	}
	return out
}
