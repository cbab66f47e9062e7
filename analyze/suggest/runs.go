package suggest

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
	"github.com/imgdiff/imgdiff/layers/index"
)

// What the container runs needs its program's package, however that
// package came in: npm pulls nodejs in as a dependency (so the database
// calls it auto-installed), python3-pip pulls python3. The programs are
// ENTRYPOINT's (else CMD's) first word, the interpreter of every captured
// script the configuration runs (its #! line), and the targets of the
// symlinks the final stage copies (a venv's bin/python → /usr/bin/python3).

// defaultPath is the PATH a container gets when its config sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath resolves a command word as exec does: a path (relative to the
// working directory) or a name searched on PATH; -1 when no file is there.
func (s *state) lookPath(word string) int {
	if word == "" {
		return -1
	}
	if strings.Contains(word, "/") {
		p := word
		if !strings.HasPrefix(p, "/") {
			p = path.Join("/", s.img.Config.WorkingDir, p)
		}
		return s.resolve(strings.Trim(path.Clean(p), "/"))
	}
	pathEnv, ok := s.env("PATH")
	if !ok {
		pathEnv = defaultPath
	}
	for _, d := range strings.Split(pathEnv, ":") {
		if i := s.resolve(strings.Trim(path.Join("/", d, word), "/")); i >= 0 && s.img.FS.Files[i].Kind == index.File {
			return i
		}
	}
	return -1
}

// shebang is the interpreter word of a script body's #! line ("python3"
// for "#!/usr/bin/env python3"), "" for none.
func shebang(body []byte) string {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return ""
	}
	line, _, _ := bytes.Cut(body[2:], []byte("\n"))
	w := strings.Fields(string(line))
	if len(w) == 0 {
		return ""
	}
	if path.Base(w[0]) == "env" {
		for _, a := range w[1:] {
			if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
				return a
			}
		}
		return ""
	}
	return w[0]
}

// runNeeds adds the unflagged package owning each program the container
// runs, unless the base has it. A flagged one is left to the tool checks
// (a build tool the container runs is kept and asked about there).
func (s *state) runNeeds(add func(name, why string)) {
	type prog struct{ word, why string }
	var progs []prog
	argv, what := s.img.Config.Entrypoint, "ENTRYPOINT"
	if len(argv) == 0 {
		argv, what = s.img.Config.Cmd, "CMD"
	}
	if len(argv) > 0 {
		progs = append(progs, prog{argv[0], what + " runs " + argv[0]})
	}
	// Behind an ENTRYPOINT wrapper (tini --, an exec "$@" script), CMD's
	// first word is a program too, when PATH finds one by that name.
	if len(s.img.Config.Entrypoint) > 0 && len(s.img.Config.Cmd) > 0 && !strings.HasPrefix(s.img.Config.Cmd[0], "-") {
		progs = append(progs, prog{s.img.Config.Cmd[0], "CMD runs " + s.img.Config.Cmd[0] + " through ENTRYPOINT"})
	}
	run := s.runScripts()
	for _, p := range sortedKeys(run) {
		if i, ok := s.img.FS.IndexOf(p); !ok || s.img.FS.Files[i].Mode&0o111 == 0 {
			continue // read as a config's word, not run as a program
		}
		if w := shebang(run[p]); w != "" {
			progs = append(progs, prog{w, fmt.Sprintf("the interpreter of /%s (#!%s)", p, w)})
		}
	}
	found := map[int]string{}
	var order []int
	note := func(i int, why string) {
		if _, ok := found[i]; !ok {
			found[i] = why
			order = append(order, i)
		}
	}
	for _, p := range progs {
		if i := s.lookPath(p.word); i >= 0 {
			note(i, fmt.Sprintf("%s (/%s)", p.why, s.img.FS.Files[i].Path))
		}
	}
	for i, f := range s.img.FS.Files {
		if s.keep[i] && f.Kind == index.Symlink {
			if j := s.resolve(f.Path); j >= 0 {
				note(j, fmt.Sprintf("/%s, copied, links to /%s", f.Path, s.img.FS.Files[j].Path))
			}
		}
	}
	sort.Ints(order)
	for _, i := range order {
		p, ok := s.pkgManaged(i)
		if !ok || (p.Category != "" && p.Category != model.Docs) {
			continue
		}
		if j, ok := s.pkgIndex(p.Name); ok && s.present(j, s.img.FS.Files[i].Path) {
			continue
		}
		add(p.Name, found[i])
	}
}

// runScripts are the captured bodies of the scripts the container runs:
// the files ENTRYPOINT, CMD and HEALTHCHECK name (pkggraph.ScriptPaths,
// or a word PATH finds), and the captured files those scripts name in
// turn. Input.Scripts holds more than these (the pipeline passes every
// captured body: the app's Python sources, read for their imports, a
// doc-build script's #! line among them): a file nothing runs is no
// script the container runs, however it starts.
func (s *state) runScripts() map[string][]byte {
	if s.ranScripts != nil {
		return s.ranScripts
	}
	out := map[string][]byte{}
	var queue []string
	visit := func(p string) {
		if _, done := out[p]; done {
			return
		}
		if b, ok := s.in.Scripts[p]; ok {
			out[p] = b
			queue = append(queue, p)
		}
	}
	cfg := s.img.Config
	argvs := [][]string{cfg.Entrypoint, cfg.Cmd, cfg.HealthcheckTest}
	for _, p := range pkggraph.ScriptPaths(cfg.WorkingDir, argvs...) {
		visit(p)
	}
	word := func(w string) {
		w = strings.Trim(w, "\"'")
		if w == "" || strings.HasPrefix(w, "-") || strings.ContainsAny(w, "$=") {
			return
		}
		if i := s.lookPath(w); i >= 0 {
			visit(s.img.FS.Files[i].Path)
		}
	}
	for _, argv := range argvs {
		for _, a := range argv {
			for _, w := range scriptWords(a) {
				word(w)
			}
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, line := range strings.Split(string(out[p]), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, w := range scriptWords(line) {
				word(w)
			}
		}
	}
	s.ranScripts = out
	return out
}

// scriptWords splits a shell line at blanks and shell operators: enough
// to see the paths and names it runs.
func scriptWords(line string) []string {
	return strings.FieldsFunc(line, func(r rune) bool {
		return r == ' ' || r == '\t' || r == ';' || r == '&' || r == '|' || r == '(' || r == ')' || r == '`' || r == '<' || r == '>'
	})
}
