package suggest

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/layers/index"
)

// The final stage runs as a user that is not root (USER 65532:65532 or
// the original user), and COPY makes the copied files root's: the user
// reaches them through the "other" permission bits only. A file the build
// left under a directory others cannot enter (/root is 0700: cargo
// install's /root/.cargo/bin) is moved: an executable on PATH (or the one
// ENTRYPOINT/CMD names) to /usr/local/bin, the rest of that directory to
// /app, and WORKDIR, ENTRYPOINT, CMD and ENV follow. An executable others
// cannot run keeps its place and is copied with --chmod=0755, a file they
// cannot read with --chmod=0644.

// finalUser is the USER line of the final stage, the comment above it and
// the question it raises ("" when none).
func (s *state) finalUser() (user, note, question string) {
	u := s.img.Config.User
	switch {
	case u != "" && safe(u) && u != "root" && u != "0" && !strings.HasPrefix(u, "0:") && !strings.HasPrefix(u, "root:") && (s.base != "scratch" || numericUser(u)):
		return u, "the original user", ""
	case s.base == "scratch" && s.userByName():
		return u, "the original user, resolved by the copied /etc/passwd", ""
	case u != "" && s.base == "scratch" && !numericUser(u) && u != "root" && !strings.HasPrefix(u, "root:"):
		// scratch has no /etc/passwd: a user name would fail at start.
		return "65532:65532", "numeric: scratch has no /etc/passwd to look the original user up in",
			fmt.Sprintf("the original ran as user %s, a name scratch cannot resolve: USER 65532:65532 instead; does the app need that user's uid or home?", show(u))
	}
	return "65532:65532", "non-root: the original ran as root; the copied files stay root-owned, readable by this user", ""
}

// closedDir is the outermost directory above p that others cannot enter
// (no o+x), "" when none.
func (s *state) closedDir(p string) string {
	var out string
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if f, ok := s.img.FS.Lookup(d); ok && f.Kind == index.Dir && f.Mode&0o001 == 0 {
			out = d
		}
	}
	return out
}

// placeForUser decides the moves: s.moved (a file to its new path),
// s.remap (a closed directory to its new place).
func (s *state) placeForUser() {
	s.moved, s.remap, s.chmod = map[string]string{}, map[string]string{}, map[string]string{}
	named := map[string]bool{}
	for _, argv := range [][]string{s.img.Config.Entrypoint, s.img.Config.Cmd} {
		if len(argv) > 0 {
			named[strings.TrimPrefix(path.Clean(argv[0]), "/")] = true
			named[path.Base(argv[0])] = true
		}
	}
	onPath := map[string]bool{}
	if v, ok := s.env("PATH"); ok {
		for _, d := range strings.Split(v, ":") {
			onPath[strings.Trim(path.Clean("/"+d), "/")] = true
		}
	}
	newRoot := ""
	for _, c := range []string{"app", "srv/app", "opt/app"} {
		if _, ok := s.img.FS.Lookup(c); !ok {
			newRoot = c
			break
		}
	}
	s.keepNamedPaths()
	var movedBins, closed []string
	for i, f := range s.img.FS.All() {
		if !s.keep[i] {
			continue
		}
		if _, ok := s.moved[f.Path]; ok {
			continue
		}
		exe := f.Kind == index.File && f.Mode&0o111 != 0
		d := s.closedDir(f.Path)
		if d == "" {
			switch {
			case exe && f.Mode&0o005 != 0o005:
				s.chmod[f.Path] = "0755"
			case f.Kind == index.File && !exe && f.Mode&0o004 == 0:
				s.chmod[f.Path] = "0644" // a file only its owner could read
			}
			continue
		}
		if exe && (onPath[path.Dir(f.Path)] || named[f.Path] || named[path.Base(f.Path)]) {
			dst := "usr/local/bin/" + path.Base(f.Path)
			if _, taken := s.img.FS.Lookup(dst); !taken && !s.takenDest(dst) {
				s.moved[f.Path] = dst
				if f.Mode&0o005 != 0o005 {
					s.chmod[f.Path] = "0755"
				}
				movedBins = append(movedBins, "/"+f.Path)
				continue
			}
		}
		if _, ok := s.remap[d]; !ok {
			if newRoot == "" {
				continue // nowhere to go: asked below
			}
			s.remap[d] = path.Join(newRoot, strings.ReplaceAll(d, "/", "_"))
			if len(s.remap) == 1 {
				s.remap[d] = newRoot
			}
			closed = append(closed, d)
		}
		if exe && f.Mode&0o005 != 0o005 {
			s.chmod[f.Path] = "0755"
		}
	}
	if len(movedBins) == 0 && len(closed) == 0 {
		return
	}
	user, _, _ := s.finalUser()
	var parts []string
	if len(movedBins) > 0 {
		sort.Strings(movedBins)
		parts = append(parts, fmt.Sprintf("%s copied to /usr/local/bin", strings.Join(movedBins, ", ")))
	}
	for _, d := range closed {
		parts = append(parts, fmt.Sprintf("the rest of /%s to /%s", d, s.remap[d]))
	}
	var dirs []string
	seen := map[string]bool{}
	for _, b := range movedBins {
		if d := s.closedDir(strings.TrimPrefix(b, "/")); !seen[d] {
			seen[d] = true
			dirs = append(dirs, "/"+d)
		}
	}
	for _, d := range closed {
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, "/"+d)
		}
	}
	sort.Strings(dirs)
	s.reachNote = fmt.Sprintf("%s: mode without o+x, which USER %s cannot enter: %s; WORKDIR, ENTRYPOINT, CMD and ENV follow", strings.Join(dirs, ", "), user, strings.Join(parts, ", "))
	s.ask(fmt.Sprintf("%s could not be reached by USER %s (mode without o+x) and were moved (%s): does the app refer to their old paths in its own files?", strings.Join(dirs, ", "), user, strings.Join(parts, ", ")))
}

func (s *state) takenDest(dst string) bool {
	for _, v := range s.moved {
		if v == dst {
			return true
		}
	}
	return false
}

// dest is where the final stage puts the build's file or directory p
// (canonical): p itself unless moved.
func (s *state) dest(p string) string {
	if d, ok := s.moved[p]; ok {
		return d
	}
	for d, to := range s.remap {
		if under(p, d) {
			return to + strings.TrimPrefix(p, d)
		}
	}
	return p
}

// destValue rewrites an absolute path, or a list of them separated by
// ':', whose entries the final stage moved.
func (s *state) destValue(v string) string {
	if len(s.moved) == 0 && len(s.remap) == 0 {
		return v
	}
	parts := strings.Split(v, ":")
	for i, p := range parts {
		if !strings.HasPrefix(p, "/") {
			continue
		}
		c := strings.Trim(path.Clean(p), "/")
		if c == "" {
			continue
		}
		// A directory the moved executables were in (PATH): they are on
		// /usr/local/bin now.
		for from, to := range s.moved {
			if path.Dir(from) == c {
				parts[i] = "/" + path.Dir(to)
			}
		}
		if parts[i] != p {
			continue
		}
		if d := s.dest(c); d != c {
			parts[i] = "/" + d
		}
	}
	return strings.Join(parts, ":")
}

// destArgv rewrites the words of ENTRYPOINT or CMD that are moved paths.
func (s *state) destArgv(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if strings.HasPrefix(a, "/") {
			out[i] = s.destValue(a)
		}
	}
	return out
}

// keepNamedPaths keeps the paths ENTRYPOINT and CMD name for a scratch
// stage: on a usrmerged base /bin is a link to usr/bin, so the file a
// build installed as /bin/app is recorded at usr/bin/app, and scratch has
// no such link. A kept file the configuration reaches through a linked
// directory is copied to the path as named.
func (s *state) keepNamedPaths() {
	if !s.copyOnly() {
		return
	}
	for _, argv := range [][]string{s.img.Config.Entrypoint, s.img.Config.Cmd} {
		if len(argv) == 0 || isShell(argv) {
			continue
		}
		w := argv[0]
		if !strings.Contains(w, "/") {
			continue
		}
		if !strings.HasPrefix(w, "/") {
			w = path.Join("/", s.img.Config.WorkingDir, w)
		}
		named := strings.Trim(path.Clean(w), "/")
		if !safe(named) {
			continue
		}
		if _, ok := s.img.FS.Lookup(named); ok {
			continue // the path as named is the file's own
		}
		i := s.resolve(named)
		if i < 0 || !s.keep[i] {
			continue
		}
		real := s.img.FS.At(i).Path
		if _, done := s.moved[real]; !done {
			s.moved[real] = named
			if s.linkNotes == nil {
				s.linkNotes = map[string][]string{}
			}
			d := path.Dir(named)
			s.linkNotes[d] = append(s.linkNotes[d], fmt.Sprintf("/%s is /%s through the base's links, which %s has not: copied to the path as named", named, real, s.base))
		}
	}
}

// ranAsRoot reports whether the original's configuration runs as root.
func (s *state) ranAsRoot() bool {
	u := s.img.Config.User
	return u == "" || u == "root" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:")
}
