package pkggraph

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// BuildTool is a family of tools that building needs and running rarely
// does: a VCS client, a package manager or a build driver.
type BuildTool struct {
	// Name is the family's name in reports: "git", "npm".
	Name string
	// Packages are the package names that install it (dpkg, apk, rpm).
	Packages []string
	// Commands are the commands it installs.
	Commands []string
}

// BuildTools are the tools ToolUses looks for (issue 14, item 3).
var BuildTools = []BuildTool{
	{"git", []string{"git", "git-core"}, []string{"git"}},
	{"subversion", []string{"subversion"}, []string{"svn", "svnadmin", "svnlook", "svnsync"}},
	{"mercurial", []string{"mercurial"}, []string{"hg"}},
	{"npm", []string{"npm"}, []string{"npm", "npx"}},
	{"yarn", []string{"yarnpkg", "yarn"}, []string{"yarn", "yarnpkg"}},
	{"pnpm", []string{"pnpm"}, []string{"pnpm", "pnpx"}},
	{"pip", []string{"python3-pip", "py3-pip", "python-pip", "python3-pip-wheel"}, []string{"pip", "pip3"}},
	{"cargo", []string{"cargo"}, []string{"cargo"}},
	{"maven", []string{"maven"}, []string{"mvn", "mvnDebug"}},
	{"gradle", []string{"gradle"}, []string{"gradle"}},
	{"make", []string{"make", "make-guile"}, []string{"make", "gmake"}},
}

// RunConfig is what a container runs: the image config's Entrypoint, Cmd
// and Healthcheck test, and the bodies of the scripts among them that were
// captured, by canonical path ("usr/local/bin/docker-entrypoint.sh").
type RunConfig struct {
	Entrypoint  []string
	Cmd         []string
	Healthcheck []string
	Scripts     map[string][]byte
}

// Use says whether the configuration runs a tool.
type Use struct {
	Tool string
	// Used is set when the configuration runs one of the tool's commands.
	Used bool
	// Certain is false when a script the configuration runs was not
	// captured: the tool may run from it.
	Certain bool
	// Evidence says where or why not: "CMD runs npm (npm start)",
	// "ENTRYPOINT script docker-entrypoint.sh runs git (line 7)", "not
	// run by ENTRYPOINT, CMD or HEALTHCHECK".
	Evidence string
}

// Commands returns the commands among files (canonical paths): the base
// names of the files in bin and sbin directories, sorted.
func Commands(files []string) []string {
	seen := map[string]bool{}
	for _, f := range files {
		if d := path.Base(path.Dir(f)); d == "bin" || d == "sbin" {
			seen[path.Base(f)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// ToolUses says, for each tool of BuildTools that g has installed,
// whether cfg runs it. files maps a package name to the paths it owns
// (nil: the table's commands only); the commands a package installs in a
// bin directory count too (pip3.11, git-upload-pack).
func ToolUses(cfg RunConfig, g *Graph, files map[string][]string) []Use {
	var out []Use
	for _, t := range BuildTools {
		var cmds []string
		found := false
		for _, p := range t.Packages {
			if g.Index(p) < 0 {
				continue
			}
			found = true
			cmds = append(cmds, Commands(files[p])...)
		}
		if !found {
			continue
		}
		cmds = append(cmds, t.Commands...)
		u := Runs(cfg, cmds)
		u.Tool = t.Name
		out = append(out, u)
	}
	return out
}

// Runs says whether cfg runs one of the commands: as a word of the
// Entrypoint, Cmd or Healthcheck (shell forms included: "/bin/sh -c 'npm
// start'"), or in a captured script any of them names, and the scripts
// that script names. A command counts wherever it stands as a word, by
// its base name (/usr/bin/git), outside comments: a mention in an echo
// counts too, which errs on the side of not flagging a tool in use.
func Runs(cfg RunConfig, commands []string) Use {
	want := map[string]bool{}
	for _, c := range commands {
		want[c] = true
	}
	scripts := map[string]string{} // base name -> path, to find "entrypoint.sh" on PATH
	for p := range cfg.Scripts {
		scripts[path.Base(p)] = p
	}
	u := Use{Certain: true}
	seen := map[string]bool{}
	var scan func(where string, words []string, line int) bool
	scan = func(where string, words []string, line int) bool {
		for _, w := range words {
			base := path.Base(w)
			if want[base] {
				u.Used = true
				if line > 0 {
					u.Evidence = fmt.Sprintf("%s runs %s (line %d)", where, base, line)
				} else {
					u.Evidence = fmt.Sprintf("%s runs %s", where, base)
				}
				return true
			}
			// The script a word names: by its path, or by its base
			// name when the word is relative (found on PATH or in
			// the working directory).
			p := strings.TrimPrefix(path.Clean(w), "/")
			if _, ok := cfg.Scripts[p]; !ok {
				p = ""
				if !strings.HasPrefix(w, "/") {
					p = scripts[base]
				}
			}
			if p == "" {
				if strings.HasSuffix(base, ".sh") {
					u.Certain = false
				}
				continue
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			for n, l := range strings.Split(string(cfg.Scripts[p]), "\n") {
				if scan(where+" script "+path.Base(p), shellWords(l), n+1) {
					return true
				}
			}
		}
		return false
	}
	for _, f := range []struct {
		name string
		argv []string
	}{{"ENTRYPOINT", cfg.Entrypoint}, {"CMD", cfg.Cmd}, {"HEALTHCHECK", cfg.Healthcheck}} {
		var words []string
		for _, a := range f.argv {
			words = append(words, shellWords(a)...)
		}
		if scan(f.name, words, 0) {
			return u
		}
	}
	u.Evidence = "not run by ENTRYPOINT, CMD or HEALTHCHECK"
	if len(seen) > 0 {
		var names []string
		for p := range seen {
			names = append(names, path.Base(p))
		}
		sort.Strings(names)
		u.Evidence += " or " + strings.Join(names, ", ")
	}
	if !u.Certain {
		u.Evidence += " (a script they run was not read)"
	}
	return u
}

// shellWords splits a line of shell into words: on blanks, quotes and
// operators, with a comment cut off. It is no shell parser: enough to see
// which commands a line names.
func shellWords(line string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '#' && b.Len() == 0:
			flush()
			return out
		case strings.IndexByte(" \t\r\n;&|()<>`'\"$={}", c) >= 0:
			flush()
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return out
}

// searchPath is the PATH of the official images, where a bare script name
// in ENTRYPOINT or CMD is looked up.
var searchPath = []string{"usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"}

// ScriptPaths returns the canonical paths whose bodies Runs needs for
// entrypoint, cmd and healthcheck: each word that names a file (an
// absolute path, a path relative to workdir, or a bare "*.sh" name, looked
// up in workdir and on the official images' PATH), sorted, without
// duplicates. The capture set keeps the files at these paths (bounded in
// size as it sees fit); scripts those scripts name are read when captured
// too, else Runs says it is not certain.
func ScriptPaths(workdir string, argvs ...[]string) []string {
	seen := map[string]bool{}
	add := func(p string) {
		p = strings.TrimPrefix(path.Clean("/"+p), "/")
		if p != "" && p != "." {
			seen[p] = true
		}
	}
	for _, argv := range argvs {
		for _, a := range argv {
			for _, w := range shellWords(a) {
				switch {
				case strings.HasPrefix(w, "/"):
					if !strings.HasPrefix(w, "/bin/") && !strings.HasPrefix(w, "/usr/bin/") || strings.HasSuffix(w, ".sh") {
						add(w)
					}
				case strings.Contains(w, "/"):
					add(path.Join(workdir, w))
				case strings.HasSuffix(w, ".sh"):
					add(path.Join(workdir, w))
					for _, d := range searchPath {
						add(d + "/" + w)
					}
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
