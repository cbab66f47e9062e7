// Package suggest owns the multi-stage rewrite of a single-stage build
// (issue 18): from an analysed, classified image, the Dockerfile that built
// it and the mapping between the two, it writes a Dockerfile whose original
// stages become build stages and whose new final stage carries only what
// the app needs at run time, every decision commented with its evidence,
// and predicts the size that build will have.
//
// It is pure: values in, text and figures out, no I/O. The facts it cannot
// read from the model (ELF headers of the app's binaries, entrypoint
// script bodies) come in through Input, filled by the pipeline.
package suggest

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/imgdiff/imgdiff/analyze/classify"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkgdb"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
	"github.com/imgdiff/imgdiff/layers/index"
)

// ELF is what the pipeline reads with debug/elf from one ELF file the
// app's own steps wrote (a regular file whose first bytes are "\x7fELF"):
// the PT_INTERP program header's path and the DT_NEEDED entries of the
// dynamic section (elf.File.ImportedLibraries). A file with neither is
// static.
type ELF struct {
	Interp string
	Needed []string
}

// Static reports whether the file needs nothing from a distribution.
func (e ELF) Static() bool { return e.Interp == "" && len(e.Needed) == 0 }

// Input is what Suggest reads. Image, Class, Dockerfile and Mapping are
// required.
type Input struct {
	Image *model.Image
	Class *model.Classification
	// Dockerfile is the file that built Image, Mapping its history mapped
	// onto it (Dockerfile.Map).
	Dockerfile *dockerfile.File
	Mapping    *dockerfile.Mapping
	// ELF holds, by canonical path, the ELF facts of every ELF file the
	// app's steps wrote that the final image keeps. The pipeline must fill
	// it: a binary missing here is treated as dynamic with unknown needs
	// (the base is kept, and a question asked).
	ELF map[string]ELF
	// Scripts are the captured bodies of the scripts ENTRYPOINT, CMD and
	// HEALTHCHECK run (pkggraph.ScriptPaths), by canonical path.
	Scripts map[string][]byte
	// RuntimeBase is the final stage's base the user named (--base), nil
	// for the choice from the evidence.
	RuntimeBase *RuntimeBase
}

// RuntimeBase is a final-stage base the user chose (a distroless image, a
// company base): the final stage starts FROM it, and the copied library
// closure skips what it already has.
type RuntimeBase struct {
	// Ref is the image reference as the FROM line gets it.
	Ref string
	// FS is its final filesystem; nil when it could not be read.
	FS *model.FS
	// Size is its content size (FS's bytes), when read.
	Size int64
	// Err says why it could not be read.
	Err string
	// Chosen says why imgdiff chose it, "" when --base named it: the
	// command reads Suggestion.RuntimeBaseHint and suggests again on it.
	Chosen string
}

// Term is one term of the predicted ΔS.
type Term struct {
	// Name is a category ("build-tool", ...), "other" (unflagged bytes
	// left behind: package-manager state, packages only build tools
	// pulled in), "hidden" (bytes later layers deleted or overwrote) or
	// "added" (bytes the new final stage adds; negative).
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// Prediction is the size the suggested build should have.
type Prediction struct {
	// Original is the analysed image's content size.
	Original int64 `json:"original"`
	// Predicted is the final stage's predicted content size: the base's
	// bytes, the runtime packages' bytes as installed in the original
	// image and the copied files.
	Predicted int64 `json:"predicted"`
	// Delta is Original − Predicted; the Terms add up to it.
	Delta int64  `json:"delta"`
	Terms []Term `json:"terms"`
}

// Suggestion is Suggest's answer.
type Suggestion struct {
	// Dockerfile is the text of the suggested Dockerfile.
	Dockerfile string
	// Base is the final stage's base ("scratch" or an image reference).
	Base string
	// Packages are the runtime packages the final stage installs.
	Packages []string
	// Copies are the paths copied from the build stage, absolute.
	Copies []string
	// Questions are what could not be decided; each is also a comment
	// in the Dockerfile.
	Questions  []string
	Prediction Prediction
	// RuntimeBaseHint is the runtime base of the original base's
	// distribution (debian:bookworm-slim) when the final stage kept an
	// original base that is mostly build tools (golang, buildpack-deps)
	// and runs nothing of it that no package owns; "" otherwise. Suggest
	// cannot read it (no I/O): the command reads it and, when it can,
	// suggests again with it as Input.RuntimeBase.
	RuntimeBaseHint string
}

// ErrInput is wrapped by the error for a missing or inconsistent input.
var ErrInput = errors.New("suggest: bad input")

// stateDirs are written by package managers and the dynamic linker: the
// final stage's own install writes them again, so they are never copied.
// rpm keeps its database in var/lib/rpm (usr/lib/sysimage/rpm on Fedora
// and SUSE), dnf and yum their history beside it (dnf5: libdnf5).
var stateDirs = []string{"var/lib/dpkg", "var/lib/apt", "var/cache", "var/log", "lib/apk", "etc/apk", "etc/ld.so.cache", "tmp", "run", "var/tmp",
	"var/lib/rpm", "usr/lib/sysimage/rpm", "var/lib/dnf", "var/lib/yum", "usr/lib/sysimage/libdnf5", "usr/lib/sysimage/dnf"}

// buildOnlyEnv are ENV keys that only steer a build.
var buildOnlyEnv = map[string]bool{
	"DEBIAN_FRONTEND": true, "CGO_ENABLED": true, "GOFLAGS": true, "GO111MODULE": true, "GOPROXY": true,
	"GOCACHE": true, "GOMODCACHE": true, "PIP_NO_CACHE_DIR": true, "PIP_DISABLE_PIP_VERSION_CHECK": true,
	"PIP_INDEX_URL": true, "PIP_BREAK_SYSTEM_PACKAGES": true, "CARGO_HOME": true, "RUSTUP_HOME": true,
	"CARGO_TARGET_DIR": true, "MAVEN_OPTS": true, "GRADLE_USER_HOME": true, "NPM_CONFIG_CACHE": true,
	"npm_config_cache": true, "CC": true, "CXX": true, "CFLAGS": true, "CXXFLAGS": true, "LDFLAGS": true,
	"MAKEFLAGS": true,
}

// Suggest writes the multi-stage Dockerfile for in.
func Suggest(in Input) (*Suggestion, error) {
	if in.Image == nil || in.Class == nil || in.Dockerfile == nil || in.Mapping == nil || in.Image.FS == nil {
		return nil, fmt.Errorf("%w: image, classification, Dockerfile and mapping are all needed", ErrInput)
	}
	img, cl, df := in.Image, in.Class, in.Dockerfile
	if cl.Flags.Len() != img.FS.Len() || len(cl.Owners) != img.FS.Len() {
		return nil, fmt.Errorf("%w: the classification is not of this image's filesystem", ErrInput)
	}
	if rb := in.RuntimeBase; rb != nil && !safe(rb.Ref) {
		return nil, fmt.Errorf("%w: the runtime base %s cannot be written safely in a FROM line", ErrInput, show(rb.Ref))
	}
	var target *dockerfile.Stage
	for i := range df.Stages {
		if df.Stages[i].Label() == in.Mapping.Target {
			target = &df.Stages[i]
		}
	}
	if target == nil {
		return nil, fmt.Errorf("%w: the mapping's target %q is no stage of %s", ErrInput, in.Mapping.Target, df.Path)
	}
	chain := df.Chain(target)
	s := &state{in: in, img: img, cl: cl, df: df, target: target, chain: chain}
	s.classifySteps()
	s.scanImports()
	s.selectFiles()
	s.selectPackages()
	s.keepSources()
	s.chooseBase()
	s.extraCopies = s.scratchExtras(s.buildName())
	s.placeForUser()
	s.askContext()
	// The COPY lines are planned before the prediction: merging them to
	// stay under the layer limit changes what is kept.
	s.planCopies(s.buildName())
	pred := s.predict()
	text := s.write()
	// The suggestion must parse with BuildKit's parser and end in a valid
	// chain; a failure here is a bug of this package, reported as such.
	if _, err := dockerfile.Parse("suggested Dockerfile", []byte(text)); err != nil {
		return nil, fmt.Errorf("suggest: the suggested Dockerfile does not parse: %w", err)
	}
	return &Suggestion{
		Dockerfile:      text,
		Base:            s.base,
		Packages:        s.runtimePkgs,
		Copies:          s.copyPaths(),
		Questions:       s.questions,
		Prediction:      pred,
		RuntimeBaseHint: s.baseHint,
	}, nil
}

type state struct {
	in     Input
	img    *model.Image
	cl     *model.Classification
	df     *dockerfile.File
	target *dockerfile.Stage
	chain  []*dockerfile.Stage

	appStep  map[int]bool // history steps the Dockerfile's own instructions wrote
	baseStep map[int]bool

	keep     []bool // parallel to FS: copied from the build stage
	devDrop  map[int]model.Category
	venvPkgs []string // pip, setuptools, wheel of a venv, left behind
	testBins []string // go test -c binaries, left behind
	dupBytes int64    // the base's files a merged COPY copies again

	pyImported map[string]bool // Python distributions the app's sources import
	pyOwners   []pyOwner       // the packages providing them
	nodeDirs   []string
	// nodeKeepAll are the Node projects whose app requires a package
	// the lockfile marks dev-only: their node_modules is kept whole.
	nodeKeepAll []string
	dropped     map[model.Category]int64
	stateB      int64 // unflagged package-manager state the build wrote
	genB        int64 // by-products of the package installs (byProduct, bytecodeOf)
	genEtc      []string
	closure     map[string]bool

	managers    map[string]bool
	rpmTool     int      // the rpmTools entry an rpm-family final stage installs with
	rpmFamily   *bool    // rpm is the image's package manager (systemManager), once known
	repoDirs    []string // repository directories the build wrote, copied before the install
	runtimePkgs []string
	pkgReasons  []string
	pkgBytes    int64
	buildTools  []string // flagged packages the app installed, for the comment
	buildBytes  int64
	keptTools   []string // flagged packages the container runs
	javaJRE     string

	moved     map[string]string // kept file → where the final stage puts it
	whole     map[string]bool   // directories the COPY-line limit copies whole
	remap     map[string]string // closed directory → its new place
	chmod     map[string]string // kept files copied with --chmod (0755, 0644)
	reachNote string
	linkNotes map[string][]string // by destination directory

	native      *nativeClosure // the loader and libraries a scratch stage copies
	nativeWhy   string         // why a dynamic binary keeps the original base
	onCopies    bool           // the base --base named replaces scratch: nothing is installed
	extraCopies []copyLine     // CA certificates, passwd and group on scratch

	graphsRead bool
	graphList  []*pkggraph.Graph
	ownFiles   map[int]int // files (not docs) each classified package owns

	binaries  []string
	allStatic bool
	base      string
	baseWhy   string
	baseHint  string // Suggestion.RuntimeBaseHint

	ranScripts   map[string][]byte // runScripts, once read
	lnLinks      [][2]string       // symlinks the final stage makes with ln: target, path
	installSteps map[int]bool      // installedBy, once read
	questions    []string
	copies       []copyLine
}

type copyLine struct {
	from  string
	srcs  []string
	dst   string
	bytes int64
	note  string
	chmod string // --chmod's mode, "" for none
}

func (s *state) ask(q string) { s.questions = append(s.questions, q) }

func (s *state) classifySteps() {
	s.appStep, s.baseStep = map[int]bool{}, map[int]bool{}
	var unmapped []string
	for _, e := range s.in.Mapping.Entries {
		switch e.Kind {
		case dockerfile.KindInstruction:
			s.appStep[e.Index] = true
		case dockerfile.KindBase:
			s.baseStep[e.Index] = true
		default:
			// Not the base's, as far as anyone knows: what it wrote is
			// treated as the build's (copied unless flagged), and asked.
			s.appStep[e.Index] = true
			if e.Index < len(s.img.Steps) && s.img.Steps[e.Index].Layer >= 0 && s.img.Steps[e.Index].Size > 0 {
				unmapped = append(unmapped, fmt.Sprintf("%d", e.Index))
			}
		}
	}
	if len(unmapped) > 0 {
		s.ask(fmt.Sprintf("history entries %s match no line of %s: their unflagged files are copied as the build's; is the Dockerfile the one that built the image?", strings.Join(unmapped, ", "), s.df.Path))
	}
}

// stepOfFile is the history step that wrote file i.
func (s *state) stepOfFile(i int) int { return s.img.StepOf(s.img.FS.At(i).Layer) }

func under(p string, dirs ...string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

func (s *state) pkgManaged(i int) (model.Package, bool) {
	o := int(s.cl.Owners[i])
	if o < 0 || o >= len(s.cl.Packages) {
		return model.Package{}, false
	}
	p := s.cl.Packages[o]
	return p, s.systemManager(p.Manager)
}

// systemManager reports whether a package database is the distribution's
// (dpkg, apk, rpm): its packages are installed again by the final stage's
// package manager, never copied file by file. rpm's is only when the
// image has no dpkg or apk packages: on a Debian or Alpine image an rpm
// database holds what rpm -i or alien put there, which apt and apk cannot
// install again, so those files are copied as the build's.
func (s *state) systemManager(m string) bool {
	if m != "rpm" {
		return m == "dpkg" || m == "apk"
	}
	if s.rpmFamily == nil {
		fam := !slices.ContainsFunc(s.cl.Packages, func(p model.Package) bool { return p.Manager == "dpkg" || p.Manager == "apk" })
		s.rpmFamily = &fam
	}
	return *s.rpmFamily
}

// selectFiles decides, file by file, what the final stage copies.
func (s *state) selectFiles() {
	fs := s.img.FS
	s.keep = make([]bool, fs.Len())
	s.dropped = map[model.Category]int64{}
	s.devDrop = map[int]model.Category{}
	// Node: a project whose lockfile marks devDependencies gets a pruned
	// node_modules from a stage of its own.
	// The project is the directory above the outermost node_modules, and
	// must be the build's own: its package.json written by the
	// Dockerfile's steps and owned by no system package (Debian's node-*
	// packages ship node_modules trees with lockfiles of their own).
	nodeDev := map[string]bool{}
	for _, p := range s.cl.Packages {
		if p.Manager == "npm" && p.Dev {
			if i := strings.Index(p.Location, "node_modules/"); i >= 0 {
				nodeDev[strings.TrimSuffix(p.Location[:i], "/")] = true
			}
		}
	}
	for d := range nodeDev {
		if !s.ownProject(d) {
			continue
		}
		if req := s.devRequired(d); len(req) > 0 {
			s.nodeKeepAll = append(s.nodeKeepAll, d)
			s.ask(fmt.Sprintf("%s: the npm lockfile marks them dev-only, yet the app requires them: npm prune --omit=dev would remove them, so /%s is copied whole, devDependencies included; move them to dependencies", listNames(req, 4), path.Join(d, "node_modules")))
			continue
		}
		s.nodeDirs = append(s.nodeDirs, d)
	}
	sort.Strings(s.nodeDirs)
	var unsafe []string
	defer func() {
		if len(unsafe) > 0 {
			s.ask(fmt.Sprintf("%s cannot be written safely in a COPY line (spaces, quotes, $ or control characters): not copied; copy by hand if the app needs it", strings.Join(unsafe, ", ")))
		}
	}()
	for i, f := range fs.All() {
		if !copyable(f) || !s.appStep[s.stepOfFile(i)] {
			continue
		}
		if _, ok := s.pkgManaged(i); ok {
			continue // installed again by the final stage, or left behind: counted with the packages
		}
		if s.inNodeModules(f.Path) {
			if c := s.cl.Flags.Category(i); c != "" {
				s.dropped[c] += f.Bytes
			}
			continue
		}
		if c := s.cl.Flags.Category(i); c != "" && !(c == model.DevDependency && s.inKeptNodeModules(f.Path)) {
			s.dropped[c] += f.Bytes
			continue
		}
		if c := s.devOnly(i); c != "" {
			s.devDrop[i] = c
			s.dropped[c] += f.Bytes
			continue
		}
		if under(f.Path, stateDirs...) {
			s.stateB += f.Bytes
			continue
		}
		if owner := s.bytecodeOf(i); owner != "" || s.byProduct(i) {
			s.genB += f.Bytes
			if owner == "" && under(f.Path, "etc") && f.Kind == index.File {
				s.genEtc = append(s.genEtc, "/"+f.Path)
			}
			continue
		}
		if !safe(f.Path) {
			unsafe = append(unsafe, show("/"+f.Path))
			continue
		}
		s.keep[i] = true
	}
	s.dropTwins()
	if len(s.testBins) > 0 {
		s.ask(fmt.Sprintf("%s are named as go test -c names its test binaries (PKG.test): left in the build stage; does the container run them?", listNames(s.testBins, 4)))
	}
	if len(s.venvPkgs) > 0 {
		sort.Strings(s.venvPkgs)
		s.ask(fmt.Sprintf("the venv's installers (%s) stay in the build stage: does the app import them at run time (pkg_resources is setuptools')?", strings.Join(s.venvPkgs, ", ")))
	}
	if len(s.genEtc) > 0 {
		names := s.genEtc
		more := ""
		if len(names) > 5 {
			more = fmt.Sprintf(" and %d more", len(names)-5)
			names = names[:5]
		}
		s.ask(fmt.Sprintf("%s%s were written by a package install and no package lists them: taken for its scripts' output, not copied; copy any the build configured by hand", strings.Join(names, ", "), more))
	}
}

// dropTwins leaves in the build stage the build's output that a later
// step installed elsewhere: kept ELF files of the same name, size and
// ELF needs (litestream's dist/litestream-vfs.so and
// /usr/local/lib/litestream-vfs.so, 85 MB each; go-httpbin's
// dist/go-httpbin and /usr/bin/go-httpbin). The one the latest step
// wrote is the installed copy and is kept; an earlier one that ENTRYPOINT
// or CMD names is kept too. Asked: the app might load the other by its
// path.
func (s *state) dropTwins() {
	type key struct {
		name  string
		bytes int64
		elf   string
	}
	groups := map[key][]int{}
	for i, f := range s.img.FS.All() {
		e, ok := s.in.ELF[f.Path]
		if !s.keep[i] || f.Kind != index.File || f.Bytes == 0 || !ok {
			continue
		}
		k := key{path.Base(f.Path), f.Bytes, e.Interp + "\x00" + strings.Join(e.Needed, "\x00")}
		groups[k] = append(groups[k], i)
	}
	named := map[int]bool{}
	for _, w := range append(append([]string{}, s.img.Config.Entrypoint...), s.img.Config.Cmd...) {
		if i := s.lookPath(w); i >= 0 {
			named[i] = true
		}
	}
	var asked []string
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		last := g[0]
		for _, i := range g[1:] {
			if s.stepOfFile(i) > s.stepOfFile(last) {
				last = i
			}
		}
		for _, i := range g {
			if i == last || named[i] || s.stepOfFile(i) == s.stepOfFile(last) {
				continue
			}
			s.keep[i] = false
			asked = append(asked, fmt.Sprintf("/%s (as /%s)", s.img.FS.At(i).Path, s.img.FS.At(last).Path))
		}
	}
	if len(asked) > 0 {
		sort.Strings(asked)
		s.ask(fmt.Sprintf("%s: the same name, size and ELF needs as a file a later step installed, taken for the build's output that step copied: left in the build stage, the installed copy kept; does the app load it by its build path?", listNames(asked, 4)))
	}
}

// testDirs are directories only tests, linters and coverage write: their
// contents never run in production.
var testDirs = map[string]bool{".pytest_cache": true, ".tox": true, ".nox": true, ".mypy_cache": true, ".ruff_cache": true,
	".hypothesis": true, "htmlcov": true, ".nyc_output": true}

// venvTools are the installers a venv gets by default: the app imports
// none of them at run time, as a rule (asked).
var venvTools = map[string]bool{"pip": true, "setuptools": true, "wheel": true, "distribute": true}

// devOnly is the category of a file the build wrote that no rule flags
// but no production run reads: caches of test runs, linters and coverage
// (.pytest_cache, .tox, .coverage, the bytecode of tests), and the
// installers of a venv (pip, setuptools, wheel: their RECORD owns them).
// "" for any other file.
func (s *state) devOnly(i int) model.Category {
	f := s.img.FS.At(i)
	parts := strings.Split(f.Path, "/")
	base := parts[len(parts)-1]
	if base == ".coverage" || strings.HasPrefix(base, ".coverage.") {
		return model.Cache
	}
	// `go test -c` names its binaries PKG.test: tests, not the app.
	if strings.HasSuffix(base, ".test") && f.Kind == index.File && f.Mode&0o111 != 0 {
		if _, ok := s.in.ELF[f.Path]; ok {
			s.testBins = append(s.testBins, "/"+f.Path)
			return model.DevDependency
		}
	}
	// The go command's own state (telemetry, go env -w) and build cache:
	// written by the toolchain, read by nothing at run time. (Not the
	// whole ~/.cache: an app may fetch its models or data there.)
	if home := homeDir(f.Path); home != "" && (under(f.Path, home+"/.cache/go-build") || under(f.Path, home+"/.config/go")) {
		return model.Cache
	}
	pkgTree := strings.Contains(f.Path, "-packages/") || strings.Contains(f.Path, "node_modules/")
	for k, d := range parts[:len(parts)-1] {
		if testDirs[d] && !pkgTree {
			return model.Cache
		}
		if d == "__pycache__" && k > 0 {
			for _, up := range parts[:k] {
				if up == "tests" || up == "test" {
					return model.Cache
				}
			}
		}
	}
	if o := int(s.cl.Owners[i]); o >= 0 && o < len(s.cl.Packages) {
		p := s.cl.Packages[o]
		if p.Manager == "python" && venvTools[strings.ToLower(p.Name)] && s.inVenv(p.Location) && !s.pyImported[p.Name] {
			if !slices.Contains(s.venvPkgs, p.Name) {
				s.venvPkgs = append(s.venvPkgs, p.Name)
			}
			return model.BuildTool
		}
	}
	return ""
}

// homeDir is the home directory p is under ("root", "home/app"), "" for
// none.
func homeDir(p string) string {
	if under(p, "root") {
		return "root"
	}
	if rest, ok := strings.CutPrefix(p, "home/"); ok {
		if user, _, ok := strings.Cut(rest, "/"); ok {
			return "home/" + user
		}
	}
	return ""
}

// inVenv reports whether the directory p (a dist-info) is inside a
// virtual environment: a pyvenv.cfg in a directory above it.
func (s *state) inVenv(p string) bool {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := s.img.FS.Lookup(d + "/pyvenv.cfg"); ok {
			return true
		}
	}
	return false
}

// installRun matches a RUN that installs system packages.
var installRun = regexp.MustCompile(`\bapt(-get)?\s+(-\S+\s+)*install\b|\bapk\s+(-\S+\s+)*add\b|\bdpkg\s+(-\S+\s+)*(-i|--install)\b`)

// ownDirs are where a build puts its own files; anything else an install
// step writes that no package lists is the install's by-product.
var ownDirs = []string{"usr/local", "opt", "home", "root", "srv"}

// byProduct reports whether file i, which no package owns, was made by the
// maintainer scripts of a package install (update-alternatives links,
// update-ca-certificates' links, configuration a postinst generates):
// written by a RUN that installs packages, outside the build's own
// directories and the working directory. The final stage's install makes
// them again for the packages it installs.
func (s *state) byProduct(i int) bool {
	st := s.stepOfFile(i)
	if st < 0 || st >= len(s.img.Steps) || !installRun.MatchString(s.img.Steps[st].CreatedBy) && !s.installedBy(st) {
		return false
	}
	p := s.img.FS.At(i).Path
	if wd := strings.Trim(path.Clean("/"+s.img.Config.WorkingDir), "/"); wd != "" && under(p, wd) {
		return false
	}
	return !under(p, ownDirs...)
}

// installedBy reports whether history step st installed system packages,
// as the package database records it (a dpkg or apk package whose files
// that step wrote): an install through a script or a list file shows no
// apt-get in the step's text.
func (s *state) installedBy(st int) bool {
	if s.installSteps == nil {
		s.installSteps = map[int]bool{}
		for _, p := range s.cl.Packages {
			if s.systemManager(p.Manager) {
				s.installSteps[p.Step] = true
			}
		}
	}
	return s.installSteps[st]
}

// bytecodeOf is the package owning the Python source that file i, a
// compiled .pyc in a __pycache__ directory, was compiled from ("" when
// none does): py3compile and any later import write them for the
// package's modules, and they follow the package (the final stage's
// install compiles its own).
func (s *state) bytecodeOf(i int) string {
	p := s.img.FS.At(i).Path
	dir, file := path.Split(p)
	if path.Base(dir) != "__pycache__" || !strings.HasSuffix(file, ".pyc") {
		return ""
	}
	mod, _, _ := strings.Cut(file, ".") // name.cpython-311.pyc
	j, ok := s.img.FS.IndexOf(path.Join(path.Dir(path.Clean(dir)), mod+".py"))
	if !ok {
		return ""
	}
	if pk, managed := s.pkgManaged(j); managed {
		return pk.Name
	}
	return ""
}

// keepSources copies the source files the build wrote when the final
// stage keeps a build tool the container runs (or may run): a compiler
// run at start-up reads sources, and which ones cannot be told.
func (s *state) keepSources() {
	if len(s.keptTools) == 0 {
		return
	}
	var n int64
	var files int
	for i, f := range s.img.FS.All() {
		if s.keep[i] || !copyable(f) || !s.appStep[s.stepOfFile(i)] || s.cl.Flags.Category(i) != model.Source || !safe(f.Path) {
			continue
		}
		if _, ok := s.pkgManaged(i); ok || s.inNodeModules(f.Path) {
			continue
		}
		s.keep[i] = true
		s.dropped[model.Source] -= f.Bytes
		n += f.Bytes
		files++
	}
	if files > 0 {
		s.ask(fmt.Sprintf("%d source file(s) the build wrote (%s) are copied, as the container runs %s, which may read them: does it?", files, mb(n), listNames(s.keptTools, 3)))
	}
}

// copyable reports whether COPY can carry the entry: a regular file, a
// symlink or a hard link (directories come with their contents).
func copyable(f model.File) bool {
	return f.Kind == index.File || f.Kind == index.Symlink || f.Kind == index.Hardlink
}

// ownProject reports whether dir holds a package.json the Dockerfile's
// steps wrote and no system package owns.
func (s *state) ownProject(dir string) bool {
	i, ok := s.img.FS.IndexOf(path.Join(dir, "package.json"))
	if !ok || !s.appStep[s.stepOfFile(i)] {
		return false
	}
	_, managed := s.pkgManaged(i)
	return !managed
}

// inKeptNodeModules reports whether p is in the node_modules of a
// project whose devDependencies the app requires (kept whole).
func (s *state) inKeptNodeModules(p string) bool {
	for _, d := range s.nodeKeepAll {
		if under(p, path.Join(d, "node_modules")) {
			return true
		}
	}
	return false
}

func (s *state) inNodeModules(p string) bool {
	for _, d := range s.nodeDirs {
		if under(p, path.Join(d, "node_modules")) {
			return true
		}
	}
	return false
}

// selectPackages finds the runtime packages: those the Dockerfile's RUN
// steps named that are not flagged, and the owners of the libraries the
// kept binaries need.
func (s *state) selectPackages() {
	byName := map[string]int{}
	s.managers = map[string]bool{}
	for i, p := range s.cl.Packages {
		if s.systemManager(p.Manager) {
			byName[p.Name] = i
			s.managers[p.Manager] = true
		}
	}
	added := map[string]bool{}
	add := func(name, why string) {
		if added[name] {
			return
		}
		added[name] = true
		if !packageName(name) {
			// The database is the image publisher's text, and this
			// name would be a word of a RUN line (--verify builds it).
			s.ask(fmt.Sprintf("the package database names a runtime package %s, which is not a package name (letters, digits and + . _ - :, a letter or digit first): not installed; which package is it?", show(name)))
			return
		}
		s.runtimePkgs = append(s.runtimePkgs, name)
		s.pkgReasons = append(s.pkgReasons, name+": "+why)
		if i, ok := byName[name]; ok {
			s.pkgBytes += s.cl.Packages[i].Bytes
		}
	}
	// Commands the flagged packages install, to see whether the
	// container runs one of them.
	cmds := map[string][]string{}
	for i, f := range s.img.FS.All() {
		if p, ok := s.pkgManaged(i); ok && p.Category != "" {
			cmds[p.Name] = append(cmds[p.Name], f.Path)
		}
	}
	cfg := pkggraph.RunConfig{Entrypoint: s.img.Config.Entrypoint, Cmd: s.img.Config.Cmd, Scripts: s.in.Scripts}
	// The packages the build asked for, as the package database records
	// them (never the install command's text: lists fed through xargs,
	// scripts and build arguments name packages no RUN line shows).
	metaTools := map[string]bool{}
	for _, r := range s.requested() {
		p := s.cl.Packages[r.cls]
		switch {
		case p.Rule == classify.RuleRunTimeTool:
			add(p.Name, p.Evidence)
		case p.Category == "" || p.Category == model.Docs:
			if deps := s.buildToolMeta(r); len(deps) > 0 {
				// A package of no files of its own whose dependencies
				// are build tools (default-jdk-headless): one of them.
				metaTools[p.Name] = true
				s.ask(fmt.Sprintf("%s was asked for, but has no files of its own and depends on the build tools %s: left in the build stage with them", p.Name, strings.Join(deps, ", ")))
				for _, d := range deps {
					if jre := s.jreFor(r.g, d); jre != "" {
						s.javaJRE = jre
						add(jre, fmt.Sprintf("the JRE of %s, which %s depends on (%s)", d, p.Name, r.g.Manager))
					}
				}
				continue
			}
			add(p.Name, fmt.Sprintf("%s, installed by %s, not flagged", r.why, s.stepLocation(p.Step)))
		default:
			if jre := s.jreFor(r.g, p.Name); jre != "" {
				s.javaJRE = jre
				add(jre, fmt.Sprintf("the JRE matching %s (%s)", p.Name, p.Evidence))
			}
		}
	}
	s.runNeeds(add)
	s.pythonNeeds(add)
	s.dataNeeds(add)
	// Flagged packages the build installed (named or pulled in): they
	// stay behind unless the container runs one of their commands.
	type flagged struct {
		name  string
		bytes int64
	}
	var tools []flagged
	var unsure []string // kept because a script the container runs was not read
	for _, p := range s.cl.Packages {
		if !s.systemManager(p.Manager) || !s.appStep[p.Step] {
			continue
		}
		if p.Rule == classify.RuleRunTimeTool {
			// The classification saw the container run it (and so
			// did not flag it): kept, with its recommendations and
			// the question, as a flagged tool the container runs.
			add(p.Name, p.Evidence)
			s.keptTools = append(s.keptTools, p.Name)
			s.ask(fmt.Sprintf("%s is a %s: kept in the final stage; can the container run without it?", p.Name, p.Evidence))
			continue
		}
		if (p.Category == "" || p.Category == model.Docs) && !metaTools[p.Name] {
			continue
		}
		tools = append(tools, flagged{p.Name, p.Bytes})
		s.buildBytes += p.Bytes
		u := pkggraph.Runs(cfg, append(pkggraph.Commands(cmds[p.Name]), p.Name))
		switch {
		case u.Used:
			add(p.Name, fmt.Sprintf("%s (%s), but %s", p.Category, p.Evidence, u.Evidence))
			s.keptTools = append(s.keptTools, p.Name)
			s.ask(fmt.Sprintf("%s is a %s, yet %s: kept in the final stage; can the container run without it?", p.Name, p.Category, u.Evidence))
		case !u.Certain:
			add(p.Name, fmt.Sprintf("%s (%s), but a script the container runs was not read", p.Category, p.Evidence))
			s.keptTools = append(s.keptTools, p.Name)
			unsure = append(unsure, p.Name)
		}
	}
	if len(unsure) > 0 {
		s.ask(fmt.Sprintf("a script ENTRYPOINT, CMD or HEALTHCHECK runs could not be read, so the build's tools (%s) are kept in the final stage: which of them does it run?", listNames(unsure, 8)))
	}
	s.keepRecommended(add)
	sort.SliceStable(tools, func(a, b int) bool { return tools[a].bytes > tools[b].bytes })
	for _, t := range tools {
		s.buildTools = append(s.buildTools, t.name)
	}
	// Libraries the kept binaries need, through the package file lists.
	s.allStatic = true
	for i, f := range s.img.FS.All() {
		if !s.keep[i] {
			continue
		}
		e, ok := s.in.ELF[f.Path]
		if !ok {
			continue
		}
		s.binaries = append(s.binaries, f.Path)
		if !e.Static() {
			s.allStatic = false
		}
		for _, lib := range e.Needed {
			lp := s.findLib(lib, f.Path)
			if lp != "" {
				if j := s.resolve(lp); j >= 0 && s.keep[j] {
					continue // the app's own library, beside it: copied with it
				}
			}
			owner := s.libOwner(lib)
			switch {
			case owner == "":
				s.ask(fmt.Sprintf("/%s needs %s, which no package of the image owns: is it in the base image or copied?", f.Path, show(lib)))
			case added[owner]:
			default:
				if i, ok := byName[owner]; ok && s.present(i, lp) {
					continue // the base image already has it
				}
				add(owner, fmt.Sprintf("owns %s, which /%s needs (DT_NEEDED)", lib, f.Path))
			}
		}
	}
	if len(s.binaries) == 0 {
		s.allStatic = false
	}
}

// keepRecommended adds, for the build tools kept because the container
// runs them, the packages the original installed as their
// recommendations (gcc-12 recommends libc6-dev: without it gcc cannot
// build a program): the final stage's install has no recommends, and a
// tool that worked in the original must work there too. Depends need no
// naming: apt installs them.
func (s *state) keepRecommended(add func(name, why string)) {
	if len(s.keptTools) == 0 {
		return
	}
	graphs, err := pkgdb.Graphs(s.img.Contents)
	if err != nil {
		return // the prediction's closure asks about an unreadable database
	}
	for _, g := range graphs {
		seen := map[int]bool{}
		type item struct {
			i   int
			why string // the Recommends edge that reached it, "" for none
		}
		var queue []item
		for _, n := range s.keptTools {
			if i := g.Index(n); i >= 0 {
				queue = append(queue, item{i, ""})
			}
		}
		for len(queue) > 0 {
			it := queue[0]
			queue = queue[1:]
			if seen[it.i] {
				continue
			}
			seen[it.i] = true
			name := g.Packages[it.i].Name
			if it.why != "" {
				if j, ok := s.pkgIndex(name); ok && !s.present(j, "") {
					add(name, it.why)
				}
			}
			for _, e := range g.Out[it.i] {
				switch e.Kind {
				case pkggraph.Depends, pkggraph.PreDepends:
					queue = append(queue, item{e.To, ""})
				case pkggraph.Recommends:
					queue = append(queue, item{e.To, fmt.Sprintf("recommended by %s, which the container runs, and installed with it in the original", name)})
				}
			}
		}
	}
}

// dataNeeds adds, on a runtime base that was read, the data packages the
// original's base had and that base lacks (the CA certificates, the zone
// database): the app ran with them, and nothing the image records says it
// never reads them (a TLS client or a time zone lookup fails only when it
// happens, which --verify's network-off run does not reach).
func (s *state) dataNeeds(add func(name, why string)) {
	rb := s.in.RuntimeBase
	if rb == nil || rb.FS == nil {
		return
	}
	for _, name := range sortedKeys(dataPackages) {
		dir := dataPackages[name]
		i, ok := s.pkgIndex(name)
		if !ok || s.present(i, dir) {
			continue
		}
		add(name, fmt.Sprintf("the original had /%s (%s), %s has none; the app may read it", dir, name, show(rb.Ref)))
	}
}

// pkgIndex is the index in the classification of the dpkg or apk package
// named name.
func (s *state) pkgIndex(name string) (int, bool) {
	for i, p := range s.cl.Packages {
		if p.Name == name && s.systemManager(p.Manager) {
			return i, true
		}
	}
	return 0, false
}

func listNames(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// baseOwned reports whether package i was installed by the base image.
func (s *state) baseOwned(i int) bool {
	st := s.cl.Packages[i].Step
	return st >= 0 && s.baseStep[st]
}

// present reports whether package i is in the final stage without being
// installed there: on the original base, one the base installed; on a
// runtime base that was read (--base, or the one chosen for a toolchain
// base), one whose file p (or, for p "", any of its files) that base has:
// what the original base brought is not there by itself.
func (s *state) present(i int, p string) bool {
	rb := s.in.RuntimeBase
	if rb == nil || rb.FS == nil {
		return s.baseOwned(i)
	}
	if p != "" {
		return s.baseHas(p)
	}
	for j, o := range s.cl.Owners {
		if int(o) == i && s.img.FS.At(j).Kind == index.File && s.cl.Flags.Category(j) != model.Docs && s.baseHas(s.img.FS.At(j).Path) {
			return true
		}
	}
	return false
}

// libOwner is the package owning a library named soname in a library
// directory, "" when none.
func (s *state) libOwner(soname string) string {
	for i, f := range s.img.FS.All() {
		if path.Base(f.Path) != soname || !strings.Contains("/"+path.Dir(f.Path)+"/", "/lib") {
			continue
		}
		if p, ok := s.pkgManaged(i); ok {
			return p.Name
		}
	}
	return ""
}

// request is a package the build asked for by name, as its database
// records it.
type request struct {
	cls int // index in the classification's packages
	g   *pkggraph.Graph
	gi  int // index in g.Packages
	why string
}

// graphs are the image's package dependency graphs (nil when none can be
// read: the prediction's closure asks about it).
func (s *state) graphs() []*pkggraph.Graph {
	if !s.graphsRead {
		s.graphsRead = true
		s.graphList, _ = pkgdb.Graphs(s.img.Contents)
	}
	return s.graphList
}

// requested are the dpkg and apk packages one of the Dockerfile's steps
// installed and the database records as asked for by name: not
// Auto-Installed in apt's extended_states, in apk's world. Essential and
// required packages come with every base and are left out. A database
// that does not tell (no extended_states: dpkg -i, or nothing was pulled
// in) makes the graph's roots among the build's packages count as asked
// for (those no other package the build installed depends on or
// recommends): what the others need comes with them, and a library only
// a build tool needed comes back through DT_NEEDED if a binary needs it.
// It is said in a question.
func (s *state) requested() []request {
	var out []request
	var unknown []string
	for _, g := range s.graphs() {
		if g.Manager != "dpkg" && g.Manager != "apk" {
			continue
		}
		built := map[int]bool{}
		for gi, gp := range g.Packages {
			if ci, ok := s.pkgIndex(gp.Name); ok && s.appStep[s.cl.Packages[ci].Step] {
				built[gi] = true
			}
		}
		for gi, gp := range g.Packages {
			if gp.Auto || gp.Essential || gp.Priority == "required" || !built[gi] {
				continue
			}
			if !g.AutoKnown && slices.ContainsFunc(g.In[gi], func(e pkggraph.Edge) bool { return built[e.From] && e.Kind != pkggraph.Suggests }) {
				continue // pulled in, as far as the graph tells
			}
			ci, _ := s.pkgIndex(gp.Name)
			why := "asked for by name (apt extended_states: not auto-installed)"
			if g.Manager == "apk" {
				why = "asked for by name (apk world)"
			}
			if !g.AutoKnown {
				why = "installed by the build, and no other package it installed needs it"
				if c := s.cl.Packages[ci].Category; c == "" || c == model.Docs {
					unknown = append(unknown, gp.Name)
				}
			}
			out = append(out, request{cls: ci, g: g, gi: gi, why: why})
		}
	}
	if len(unknown) > 0 {
		s.ask(fmt.Sprintf("the package database does not say which packages were asked for by name (no apt extended_states or apk world), so the unflagged packages the build installed that none of its others needs are kept (%s): which does the app need?", listNames(unknown, 8)))
	}
	return out
}

// buildToolMeta are the flagged packages r's package depends on when it
// has no files of its own but docs (a metapackage: default-jdk-headless
// names openjdk-17-jdk-headless); nil for any other package.
func (s *state) buildToolMeta(r request) []string {
	if s.ownFiles == nil {
		s.ownFiles = map[int]int{}
		for i, o := range s.cl.Owners {
			if o >= 0 && s.cl.Flags.Category(i) != model.Docs && s.img.FS.At(i).Kind != index.Dir {
				s.ownFiles[int(o)]++
			}
		}
	}
	if s.ownFiles[r.cls] > 0 {
		return nil
	}
	var out []string
	for _, e := range r.g.Out[r.gi] {
		if e.Kind != pkggraph.Depends && e.Kind != pkggraph.PreDepends {
			continue
		}
		name := r.g.Packages[e.To].Name
		if j, ok := s.pkgIndex(name); ok {
			if c := s.cl.Packages[j].Category; c != "" && c != model.Docs && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// jreFor is the JRE for a JDK package: the JRE package the JDK depends on
// in the image's own graph (openjdk-17-jdk-headless depends on
// openjdk-17-jre-headless), else Debian's naming; "" for a package that
// is no JDK.
func (s *state) jreFor(g *pkggraph.Graph, name string) string {
	if !strings.Contains(name, "jdk") || strings.Contains(name, "jre") {
		return ""
	}
	if g != nil {
		if i := g.Index(name); i >= 0 {
			best := ""
			for _, e := range g.Out[i] {
				n := g.Packages[e.To].Name
				if (e.Kind == pkggraph.Depends || e.Kind == pkggraph.PreDepends) && strings.Contains(n, "jre") && (best == "" || strings.HasSuffix(n, "-headless")) {
					best = n
				}
			}
			if best != "" {
				return best
			}
		}
	}
	for _, suf := range []string{"-jdk-headless", "-jdk"} {
		if strings.HasPrefix(name, "openjdk-") && strings.HasSuffix(name, suf) {
			return strings.TrimSuffix(name, suf) + "-jre-headless"
		}
	}
	return ""
}

// stepLocation is the Dockerfile lines of history step i ("Dockerfile:7-8").
func (s *state) stepLocation(i int) string {
	for _, e := range s.in.Mapping.Entries {
		if e.Index == i && e.Mapped() {
			return e.File + ":" + e.Lines.String()
		}
	}
	return fmt.Sprintf("history entry %d", i)
}

// chooseBase picks the final stage's base.
func (s *state) chooseBase() {
	root := s.chain[0]
	orig := root.BaseName
	s.base, s.baseWhy = orig, fmt.Sprintf("the original base (%s:%d)", s.df.Path, root.From.Start)
	shell := len(s.img.Config.Entrypoint) > 1 && isShell(s.img.Config.Entrypoint) || len(s.img.Config.Entrypoint) == 0 && len(s.img.Config.Cmd) > 1 && isShell(s.img.Config.Cmd)
	if s.allStatic && len(s.runtimeNonData()) == 0 && !shell && !s.scriptsRun() {
		s.base = "scratch"
		s.baseWhy = fmt.Sprintf("every binary copied is static (no PT_INTERP, no DT_NEEDED: %s)", "/"+strings.Join(s.binaries, ", /"))
	}
	if s.base != "scratch" && !s.allStatic && len(s.binaries) > 0 {
		s.tryNative(shell)
	}
	if s.javaJRE != "" && strings.Contains(orig, "-jdk") {
		s.base = strings.Replace(orig, "-jdk", "-jre", 1)
		s.baseWhy = fmt.Sprintf("the JRE variant of the original base %s", orig)
	}
	s.userBase()
	s.pickRpmTool()
	if s.base == orig && s.in.RuntimeBase == nil {
		s.askToolchainBase(orig)
	}
	if sc := s.unrunScripts(); len(sc) > 0 && s.copyOnly() {
		s.ask(fmt.Sprintf("%s are executable but no ELF file (scripts, or no ELF facts were given): copied; nothing the configuration runs names them, and %s has no interpreter: does the app run them?", listNames(sc, 5), s.base))
	}
}

// copyOnly reports whether the final stage installs no package: scratch,
// or a base --base named under binaries that need only copies.
func (s *state) copyOnly() bool {
	return s.base == "scratch" || s.onCopies
}

// userBase puts the final stage on the base --base named, saying what it
// changes.
func (s *state) userBase() {
	rb := s.in.RuntimeBase
	if rb == nil {
		return
	}
	var why string
	switch {
	case s.native != nil:
		why = "the binaries' loader and libraries are copied, but for those it has"
	case s.base == "scratch":
		why = "every binary copied is static"
	default:
		why = "the runtime packages are installed on it"
		if rb.FS != nil && len(s.installable()) > 0 && !hasAny(rb.FS, "usr/bin/apt-get", "sbin/apk", "usr/bin/apk") {
			s.ask(fmt.Sprintf("%s has no apt-get or apk to install %s with: does it have them another way?", show(rb.Ref), strings.Join(s.installable(), ", ")))
		}
	}
	if rb.FS == nil {
		why += fmt.Sprintf("; it could not be read (%s), so nothing is skipped for it and the prediction leaves its size out", rb.Err)
		s.ask(fmt.Sprintf("the base %s could not be read (%s): everything the app needs is copied or installed as on the original base; is it all needed there?", show(rb.Ref), rb.Err))
	}
	s.onCopies = s.base == "scratch"
	by := "named by --base"
	if rb.Chosen != "" {
		by = rb.Chosen
	}
	s.base, s.baseWhy = rb.Ref, by+": "+why
}

func hasAny(fs *model.FS, paths ...string) bool {
	for _, p := range paths {
		if resolveIn(fs, p) >= 0 {
			return true
		}
	}
	return false
}

func isLib(p string) bool { return strings.Contains(path.Base(p), ".so") }

func isShell(argv []string) bool {
	b := path.Base(argv[0])
	return (b == "sh" || b == "bash" || b == "dash" || b == "ash") && len(argv) > 1 && argv[1] == "-c"
}

// runtimeNonData are the runtime packages a scratch base could not
// replace with copied files.
func (s *state) runtimeNonData() []string {
	var out []string
	for _, p := range s.runtimePkgs {
		if _, ok := dataPackages[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

// dataPackages are packages of data files only: on scratch their files are
// copied instead of installed.
var dataPackages = map[string]string{
	"ca-certificates": "etc/ssl/certs",
	"tzdata":          "usr/share/zoneinfo",
}

func (s *state) copyPaths() []string {
	var out []string
	for _, c := range s.copies {
		out = append(out, c.srcs...)
	}
	return out
}

// askContext asks about the files copied from the build context (COPY and
// ADD steps) that no rule placed: they are copied, as the app may read
// them, but a reader knows better.
func (s *state) askContext() {
	run := map[string]bool{}
	for _, p := range pkggraph.ScriptPaths(s.img.Config.WorkingDir, s.img.Config.Entrypoint, s.img.Config.Cmd) {
		run[p] = true
	}
	var paths []string
	for i, f := range s.img.FS.All() {
		if !s.keep[i] || run[f.Path] || s.cl.Flags.Category(i) != "" {
			continue // a flagged file kept (sources for a compiler the container runs) is asked about where it is kept
		}
		st := s.stepOfFile(i)
		if st < 0 || st >= len(s.img.Steps) {
			continue
		}
		cb := s.img.Steps[st].CreatedBy
		if strings.HasPrefix(cb, "COPY ") || strings.HasPrefix(cb, "ADD ") || strings.Contains(cb, "#(nop) COPY") || strings.Contains(cb, "#(nop) ADD") {
			paths = append(paths, "/"+f.Path)
		}
	}
	if len(paths) == 0 {
		return
	}
	more := ""
	if len(paths) > 5 {
		more = fmt.Sprintf(" and %d more", len(paths)-5)
		paths = paths[:5]
	}
	s.ask(fmt.Sprintf("%s%s came from the build context and no rule placed them: copied; does the app read them at run time?", strings.Join(paths, ", "), more))
}

// safe reports whether s can stand in a Dockerfile line as it is: no
// whitespace, quotes, backslashes, $ (COPY expands variables), or control
// characters. A hostile image's paths must never forge a line.
func safe(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("\"'$`", r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return s != ""
}

// packageName reports whether name can be a dpkg or apk package name
// (with an optional :arch): letters, digits, + . _ - and :, a letter or a
// digit first. Nothing else may reach the install line: a shell word made
// of them is only itself, and it is no option of apt-get or apk.
func packageName(name string) bool {
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("+._-:", r)) {
			return false
		}
	}
	return name != "" && len(name) <= 256
}

// show is s, quoted Go-style when it is not safe.
func show(s string) string {
	if safe(s) {
		return s
	}
	return strconv.Quote(s)
}

// debianReleases names Debian's releases by base-files' major version.
var debianReleases = map[string]string{"10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie", "14": "forky"}

// askToolchainBase asks about keeping an original base that is a
// toolchain image (golang, rust, a JDK on buildpack-deps): when most of
// the base's own bytes are flagged build tools, the final stage carries
// them all. It names Debian's slim image of the same release (base-files'
// version in the package database) for --base; it does not switch by
// itself: the slim image's packages and size are not known here.
func (s *state) askToolchainBase(orig string) {
	var all, tools int64
	for i, f := range s.img.FS.All() {
		st := s.stepOfFile(i)
		if f.Kind == index.Dir || st < 0 || !s.baseStep[st] {
			continue
		}
		all += f.Bytes
		if s.cl.Flags.Category(i) == model.BuildTool {
			tools += f.Bytes
		}
	}
	if all == 0 || tools*2 < all {
		return
	}
	hint := "a runtime base of the same distribution"
	graphs, _ := pkgdb.Graphs(s.img.Contents)
	for _, g := range graphs {
		for _, p := range g.Packages {
			if g.Manager == "dpkg" && p.Name == "base-files" {
				major, _, _ := strings.Cut(p.Version, ".")
				if rel, ok := debianReleases[major]; ok && !strings.Contains(p.Version, "ubuntu") {
					hint = "debian:" + rel + "-slim (base-files " + p.Version + ": Debian " + major + ")"
					s.baseHint = "debian:" + rel + "-slim"
				}
			}
		}
	}
	if f := s.runsUnpackaged(); f != "" {
		// The go command of golang's /usr/local/go: no package brings
		// it back on another base.
		s.baseHint = ""
		hint += fmt.Sprintf(", though the container runs %s, which no package owns and that base would not have", f)
	}
	s.ask(fmt.Sprintf("the original base %s is mostly build tools (%s of its %s): the final stage keeps them; --base with %s installs the runtime packages there instead (what the original base brought is not installed: check the app's libraries there)", orig, mb(tools), mb(all), hint))
}

// runsUnpackaged is a file of the original base that no package owns and
// that the container runs (ENTRYPOINT's or CMD's program, a captured
// script's interpreter), "" for none.
func (s *state) runsUnpackaged() string {
	var words []string
	if e := s.img.Config.Entrypoint; len(e) > 0 {
		words = append(words, e[0])
	}
	if c := s.img.Config.Cmd; len(c) > 0 {
		words = append(words, c[0])
	}
	run := s.runScripts()
	for _, p := range sortedKeys(run) {
		if w := shebang(run[p]); w != "" {
			words = append(words, w)
		}
	}
	for _, w := range words {
		i := s.lookPath(w)
		if i < 0 || s.appStep[s.stepOfFile(i)] {
			continue
		}
		if _, ok := s.pkgManaged(i); !ok {
			return "/" + s.img.FS.At(i).Path
		}
	}
	return ""
}
