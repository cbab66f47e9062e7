package suggest

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// A dynamic native binary (C, C++, Rust, cgo Go) whose needs are a few
// shared libraries runs on scratch with the loader its PT_INTERP names and
// the closure of its DT_NEEDED libraries copied from the build stage, as
// distroless/cc ships them. The closure is read from the ELF facts of the
// image's own libraries; anything it cannot follow (a library no file
// provides, one without facts, a script the container runs) keeps the
// original base.

// maxClosureLibs and maxClosureBytes bound "a few shared libraries": a
// program that needs more is better served by its distribution's packages.
const (
	maxClosureLibs  = 32
	maxClosureBytes = 64 << 20
)

// libDirs are where the loader looks for a library by default (glibc's
// system directories on Debian's multiarch layouts, musl's).
var libDirs = []string{"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu",
	"lib64", "usr/lib64", "lib", "usr/lib", "usr/local/lib"}

// nativeClosure is what a scratch stage must copy for the kept binaries:
// the loader (at its PT_INTERP path) and every library of the DT_NEEDED
// closure (at the path the loader finds it by), each the image's file.
type nativeClosure struct {
	interp string            // canonical PT_INTERP path
	libs   map[string]string // canonical path the loader opens → resolved file
	files  map[int]bool      // indexes of the resolved files (for the prediction)
	bytes  int64
}

// resolve follows symlinks (in any component) to the file at canonical
// path p, at most 32 links; -1 when there is none.
func (s *state) resolve(p string) int { return resolveIn(s.img.FS, p) }

// resolveIn is resolve on any filesystem.
func resolveIn(fs *model.FS, p string) int {
	for hops := 0; hops < 32; hops++ {
		parts := strings.Split(p, "/")
		changed := false
		for k := 1; k <= len(parts); k++ {
			prefix := strings.Join(parts[:k], "/")
			f, ok := fs.Lookup(prefix)
			if !ok {
				return -1
			}
			if f.Kind == index.Symlink {
				t := f.Link
				if !strings.HasPrefix(t, "/") {
					t = path.Join(path.Dir("/"+prefix), t)
				}
				p = strings.Trim(path.Clean(path.Join(append([]string{t}, parts[k:]...)...)), "/")
				changed = true
				break
			}
			if k == len(parts) {
				if f.Kind == index.Hardlink {
					p = f.Link
					changed = true
					break
				}
				i, _ := fs.IndexOf(prefix)
				return i
			}
		}
		if !changed {
			return -1
		}
	}
	return -1
}

// findLib is the canonical path by which the loader finds soname for the
// ELF file at canonical path from: beside it (an app's own libraries,
// $ORIGIN), then the system directories. "" when none holds it.
func (s *state) findLib(soname, from string) string {
	if strings.Contains(soname, "/") {
		return strings.Trim(path.Clean("/"+soname), "/")
	}
	for _, d := range append([]string{path.Dir(from)}, libDirs...) {
		p := path.Join(d, soname)
		if s.resolve(p) >= 0 {
			return p
		}
	}
	return ""
}

// closureFor reads the loader and library closure of the kept binaries,
// or says why it cannot.
func (s *state) closureFor() (*nativeClosure, string) {
	c := &nativeClosure{libs: map[string]string{}, files: map[int]bool{}}
	type item struct{ soname, from string }
	var queue []item
	for _, b := range s.binaries {
		e := s.in.ELF[b]
		if e.Interp != "" {
			ip := strings.Trim(path.Clean("/"+e.Interp), "/")
			if c.interp != "" && c.interp != ip {
				return nil, fmt.Sprintf("the binaries name two loaders (/%s, /%s)", c.interp, ip)
			}
			c.interp = ip
		}
		for _, n := range e.Needed {
			queue = append(queue, item{n, b})
		}
	}
	if c.interp == "" {
		return nil, "no binary names a loader (PT_INTERP)"
	}
	if !safe(c.interp) {
		return nil, fmt.Sprintf("the loader %s cannot be written safely in a COPY line", show("/"+c.interp))
	}
	i := s.resolve(c.interp)
	if i < 0 {
		return nil, fmt.Sprintf("the loader /%s is no file of the image", c.interp)
	}
	c.files[i] = true
	c.bytes += s.img.FS.At(i).Bytes
	byFile := map[int]string{} // resolved file → the first path it was found by
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		p := s.findLib(it.soname, it.from)
		if p == "" {
			return nil, fmt.Sprintf("/%s needs %s, which no library directory of the image holds", it.from, show(it.soname))
		}
		if _, done := c.libs[p]; done {
			continue
		}
		if !safe(p) {
			return nil, fmt.Sprintf("%s cannot be written safely in a COPY line", show("/"+p))
		}
		j := s.resolve(p)
		if j < 0 {
			return nil, fmt.Sprintf("%s resolves to no file", show("/"+p))
		}
		if first, ok := byFile[j]; ok && slices.Contains(loaderDirs, path.Dir(first)) {
			// Found again by another name (beside the library that
			// needs it, /usr/lib for /lib on a usrmerged base): the
			// loader finds it where it found it first, in one of its
			// own directories; a second copy would be a second file.
			continue
		}
		byFile[j] = p
		real := s.img.FS.At(j).Path
		if c.files[j] {
			// The loader itself (libc needs it by its soname), or a
			// library found already by another path: /lib64 is a link
			// to usr/lib64 on rpm-family bases, and a second copy would
			// ship the file twice.
			continue
		}
		c.libs[p] = real
		if s.keep[j] {
			continue // the app's own library, copied with its files
		}
		e, ok := s.in.ELF[real]
		if !ok {
			return nil, fmt.Sprintf("/%s has no ELF facts", real)
		}
		if !c.files[j] {
			c.files[j] = true
			c.bytes += s.img.FS.At(j).Bytes
		}
		for _, n := range e.Needed {
			queue = append(queue, item{n, real})
		}
	}
	if len(c.libs) > maxClosureLibs || c.bytes > maxClosureBytes {
		return nil, fmt.Sprintf("the binaries need %d libraries (%s): more than a few", len(c.libs), mb(c.bytes))
	}
	return c, ""
}

// entryBinary reports whether ENTRYPOINT (else CMD) runs one of the kept
// ELF binaries directly: by absolute path, or by name through PATH.
func (s *state) entryBinary() bool {
	argv := s.img.Config.Entrypoint
	if len(argv) == 0 {
		argv = s.img.Config.Cmd
	}
	if len(argv) == 0 || argv[0] == "" {
		return false
	}
	var cands []string
	if strings.Contains(argv[0], "/") {
		p := argv[0]
		if !strings.HasPrefix(p, "/") {
			p = path.Join("/", s.img.Config.WorkingDir, p)
		}
		cands = append(cands, strings.Trim(path.Clean(p), "/"))
	} else {
		pathEnv, ok := s.env("PATH")
		if !ok {
			pathEnv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		}
		for _, d := range strings.Split(pathEnv, ":") {
			cands = append(cands, strings.Trim(path.Join("/", d, argv[0]), "/"))
		}
	}
	for _, p := range cands {
		if i := s.resolve(p); i >= 0 {
			_, elf := s.in.ELF[s.img.FS.At(i).Path]
			return s.keep[i] && elf
		}
	}
	return false
}

// scriptsRun reports whether the container runs a script (it needs its
// interpreter): a captured script the configuration runs, or a kept file
// that is no ELF named by ENTRYPOINT or CMD. Scripts the build merely
// copied along (packaging, init.d, CI) run nowhere the image says.
func (s *state) scriptsRun() bool {
	for p, b := range s.runScripts() {
		if len(b) >= 2 && string(b[:2]) == "#!" {
			if i, ok := s.img.FS.IndexOf(p); ok && s.keep[i] {
				return true
			}
		}
	}
	var words []string
	if e := s.img.Config.Entrypoint; len(e) > 0 {
		words = append(words, e[0])
	}
	if c := s.img.Config.Cmd; len(c) > 0 && !strings.HasPrefix(c[0], "-") {
		words = append(words, c[0]) // CMD's program, or ENTRYPOINT's argument
	}
	for _, w := range words {
		if i := s.lookPath(w); i >= 0 && s.keep[i] && !s.isELF(i) {
			return true
		}
	}
	return false
}

func (s *state) isELF(i int) bool {
	_, ok := s.in.ELF[s.img.FS.At(i).Path]
	return ok
}

// unrunScripts are the kept executables that are no ELF file: copied
// onto scratch, nothing there could run them.
func (s *state) unrunScripts() []string {
	var out []string
	for i, f := range s.img.FS.All() {
		if s.keep[i] && f.Kind == index.File && f.Mode&0o111 != 0 && !isLib(f.Path) && !s.isELF(i) {
			out = append(out, show("/"+f.Path))
		}
	}
	return out
}

// closurePackagesOnly reports whether every runtime package but the data
// ones owns a file of the closure: the copies replace them.
func (s *state) closurePackagesOnly(c *nativeClosure) bool {
	owners := map[string]bool{}
	for i := range c.files {
		if p, ok := s.pkgManaged(i); ok {
			owners[p.Name] = true
		}
	}
	for _, p := range s.runtimeNonData() {
		if !owners[p] {
			return false
		}
	}
	return true
}

// closureCopies are the COPY lines of the closure: the loader to its
// PT_INTERP path, the libraries by directory (COPY follows a source
// symlink: each lands as a file under the name the loader opens).
func (s *state) closureCopies(build string) []copyLine {
	c := s.native
	var out []copyLine
	i := s.resolve(c.interp)
	if !s.baseHas(c.interp) {
		out = append(out, copyLine{from: build, srcs: []string{"/" + c.interp}, dst: "/" + c.interp, bytes: s.img.FS.At(i).Bytes,
			note: fmt.Sprintf("the loader the binaries name (PT_INTERP), /%s in the image", s.img.FS.At(i).Path)})
	}
	byDir := map[string][]string{}
	bytes := map[string]int64{}
	for p, real := range c.libs {
		j, _ := s.img.FS.IndexOf(real)
		if s.keep[j] || s.baseHas(p) {
			continue
		}
		d := path.Dir(p)
		byDir[d] = append(byDir[d], "/"+p)
		bytes[d] += s.img.FS.At(j).Bytes
	}
	for _, d := range sortedKeys(byDir) {
		sort.Strings(byDir[d])
		var names []string
		for _, p := range byDir[d] {
			names = append(names, path.Base(p))
		}
		out = append(out, copyLine{from: build, srcs: byDir[d], dst: "/" + d + "/", bytes: bytes[d],
			note: fmt.Sprintf("%s: the DT_NEEDED closure of the binaries (%s)", mb(bytes[d]), strings.Join(names, ", "))})
	}
	return out
}

// tryNative puts the dynamic binaries on scratch with their closure when
// nothing else the final stage needs comes from the base: the container
// runs one of them directly (no shell, no script), every runtime package
// but data is a library of the closure, and the closure is a few
// libraries. Otherwise it says why the original base stays.
func (s *state) tryNative(shell bool) {
	switch {
	case shell:
		s.nativeWhy = "ENTRYPOINT/CMD run a shell"
		return
	case s.scriptsRun():
		s.nativeWhy = "the container runs a script, which needs its interpreter"
		return
	case !s.entryBinary():
		s.nativeWhy = "ENTRYPOINT/CMD run no binary the build wrote"
		return
	}
	c, why := s.closureFor()
	if c == nil {
		s.nativeWhy = why
		return
	}
	if !s.closurePackagesOnly(c) {
		s.nativeWhy = fmt.Sprintf("the runtime packages (%s) are more than the binaries' libraries", strings.Join(s.runtimeNonData(), ", "))
		return
	}
	s.native = c
	s.base = "scratch"
	var names []string
	for p := range c.libs {
		names = append(names, path.Base(p))
	}
	sort.Strings(names)
	libs := "libraries"
	if len(c.libs) == 1 {
		libs = "library"
	}
	s.baseWhy = fmt.Sprintf("the binaries copied are dynamic, but need only the loader /%s and %d %s (%s; %s in all): copied from the build stage, as distroless/cc ships them; no shell or package manager is needed at run time (a library loaded with dlopen, not in DT_NEEDED, is not copied)",
		c.interp, len(c.libs), libs, listNames(names, 6), mb(c.bytes))
}

// scratchExtras are what a scratch stage copies besides the app: the CA
// certificates the image had (TLS clients read them; no package of the
// build asked for them to be copied as data), the time zone database when
// ENV TZ names a zone, and /etc/passwd and /etc/group when USER is a
// name.
func (s *state) scratchExtras(build string) []copyLine {
	if s.base != "scratch" {
		return nil
	}
	var out []copyLine
	const bundle = "etc/ssl/certs/ca-certificates.crt"
	if i := s.resolve(bundle); i >= 0 && !slices.Contains(s.runtimePkgs, "ca-certificates") {
		// Evidence the app reads them: the build installed the package
		// (a dependency of what it asked for), or the config points a
		// TLS library at them.
		var why string
		if p, ok := s.pkgManaged(i); ok && p.Name == "ca-certificates" && s.appStep[p.Step] {
			why = "the build installed ca-certificates"
		}
		for _, k := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"} {
			if v, ok := s.env(k); ok && v != "" {
				why = "ENV " + k + " points a TLS library at them"
			}
		}
		if why != "" {
			out = append(out, copyLine{from: build, srcs: []string{"/" + bundle}, dst: "/" + bundle, bytes: s.img.FS.At(i).Bytes,
				note: "the CA certificates: " + why + ", and scratch has none"})
		} else {
			s.ask("the original had CA certificates (/" + bundle + "), scratch has none: if the app makes TLS connections, add COPY --from=" + build + " /" + bundle + " /" + bundle)
		}
	}
	if tz, ok := s.env("TZ"); ok && tz != "" && !slices.Contains(s.runtimePkgs, "tzdata") {
		if f, ok := s.img.FS.Lookup("usr/share/zoneinfo"); ok && f.Kind == index.Dir {
			out = append(out, copyLine{from: build, srcs: []string{"/usr/share/zoneinfo"}, dst: "/usr/share/zoneinfo",
				note: fmt.Sprintf("the time zone database: ENV TZ=%s names a zone, and scratch has none", show(tz))})
		}
	}
	if s.userByName() {
		out = append(out, copyLine{from: build, srcs: []string{"/etc/passwd", "/etc/group"}, dst: "/etc/",
			note: "the original user is a name: scratch has no /etc/passwd to look it up in, so the build's are copied"})
	}
	return out
}

// userByName reports whether the original ran as a user name (not a
// number, not root) that the image's /etc/passwd and /etc/group can
// resolve once copied.
func (s *state) userByName() bool {
	u := s.img.Config.User
	if u == "" || !safe(u) || numericUser(u) || u == "root" || strings.HasPrefix(u, "root:") {
		return false
	}
	_, pw := s.img.FS.Lookup("etc/passwd")
	_, gr := s.img.FS.Lookup("etc/group")
	return pw && gr
}

// extraCopied reports whether a scratch extra copies canonical path p.
func (s *state) extraCopied(p string) bool {
	for _, c := range s.extraCopies {
		for _, src := range c.srcs {
			if under(p, strings.TrimPrefix(src, "/")) {
				return true
			}
		}
	}
	return false
}

// loaderDirs are the directories glibc's loader searches without its
// cache (its trusted directories, multiarch included).
var loaderDirs = []string{"lib", "usr/lib", "lib64", "usr/lib64", "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu"}

// cachedLibDirs are the directories outside the loader's own search path
// (/usr/local/lib) that the final stage copies shared libraries into, when
// the original found them through its loader cache (an /etc/ld.so.cache
// and ldconfig in the image) and the final stage can run ldconfig (a base
// with it, not scratch): the cache there is written by the package
// install before the copies, so without ldconfig after them a binary
// cannot find its library ("cannot open shared object file"). Sorted,
// absolute; nil when none.
func (s *state) cachedLibDirs() []string {
	if s.copyOnly() {
		return nil
	}
	if _, ok := s.img.FS.Lookup("etc/ld.so.cache"); !ok || !hasAny(s.img.FS, "sbin/ldconfig", "usr/sbin/ldconfig") {
		return nil
	}
	if rb := s.in.RuntimeBase; rb != nil && rb.FS != nil && !hasAny(rb.FS, "sbin/ldconfig", "usr/sbin/ldconfig") {
		return nil
	}
	dirs := map[string]bool{}
	for i, f := range s.img.FS.All() {
		if !s.keep[i] || f.Kind == index.Dir || !isLib(f.Path) {
			continue
		}
		j := s.resolve(f.Path)
		if j < 0 || !s.isELF(j) {
			continue
		}
		d := s.dest(path.Dir(f.Path))
		if !slices.Contains(loaderDirs, strings.Trim(d, "/")) {
			dirs["/"+strings.Trim(d, "/")] = true
		}
	}
	return sortedKeys(dirs)
}

// baseHas reports whether the runtime base --base named has a file at
// canonical path p (symlinks followed), as the loader would find it.
func (s *state) baseHas(p string) bool {
	rb := s.in.RuntimeBase
	return rb != nil && rb.FS != nil && resolveIn(rb.FS, p) >= 0
}

// nativeFileCopied reports whether file i of the image is copied as part
// of the closure: the base --base named lacks every path it is found by.
func (s *state) nativeFileCopied(i int) bool {
	c := s.native
	if c == nil || !c.files[i] {
		return false
	}
	if s.resolve(c.interp) == i && !s.baseHas(c.interp) {
		return true
	}
	for p := range c.libs {
		if s.resolve(p) == i && !s.baseHas(p) {
			return true
		}
	}
	return false
}
