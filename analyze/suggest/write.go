package suggest

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/pkgdb"
	"github.com/imgdiff/imgdiff/layers/index"
)

// mount is a BuildKit cache mount for one tool's cache.
type mount struct {
	tool   string
	re     *regexp.Regexp
	target func(s *state) []string
	extra  string
}

var mounts = []mount{
	{"apt", regexp.MustCompile(`\bapt(-get)?\s+(-\S+\s+)*(install|update|upgrade|dist-upgrade)\b`),
		func(*state) []string { return []string{"/var/cache/apt", "/var/lib/apt"} }, ",sharing=locked"},
	{"apk", regexp.MustCompile(`\bapk\s+(-\S+\s+)*(add|update|upgrade)\b`),
		func(*state) []string { return []string{"/var/cache/apk"} }, ",sharing=locked"},
	{"npm", regexp.MustCompile(`\bnpm\s+(ci|install|i)\b`), func(*state) []string { return []string{"/root/.npm"} }, ""},
	{"pip", regexp.MustCompile(`\bpip3?\s+install\b|\bpython3?\s+-m\s+pip\s+install\b`),
		func(*state) []string { return []string{"/root/.cache/pip"} }, ""},
	{"go", regexp.MustCompile(`\bgo\s+(build|install|test|mod\s+download|generate|vet|run)\b`),
		func(s *state) []string { return []string{"/root/.cache/go-build", s.goModCache()} }, ""},
	{"cargo", regexp.MustCompile(`\bcargo\s+(build|install|fetch|test)\b`),
		func(s *state) []string { return []string{s.cargoHome() + "/registry", s.cargoHome() + "/git"} }, ""},
	{"maven", regexp.MustCompile(`\bmvnw?\b|\./mvnw\b`), func(*state) []string { return []string{"/root/.m2/repository"} }, ""},
	{"gradle", regexp.MustCompile(`\bgradlew?\b`), func(*state) []string { return []string{"/root/.gradle/caches"} }, ""},
}

func (s *state) env(key string) (string, bool) {
	for _, kv := range s.img.Config.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func (s *state) goModCache() string {
	if v, ok := s.env("GOMODCACHE"); ok && v != "" {
		return v
	}
	if v, ok := s.env("GOPATH"); ok && v != "" {
		return strings.Split(v, ":")[0] + "/pkg/mod"
	}
	return "/root/go/pkg/mod"
}

func (s *state) cargoHome() string {
	if v, ok := s.env("CARGO_HOME"); ok && v != "" {
		return v
	}
	return "/root/.cargo"
}

var runPrefix = regexp.MustCompile(`(?i)^(\s*RUN)\b`)

// withMounts returns the RUN's source text with cache mounts added for the
// tools it runs, and a comment saying which; unchanged when it has a
// cache mount already or none applies. written are the paths earlier
// COPY/ADD instructions of the stage wrote: a cache mount there would hide
// what they put in the image, so it is left out.
func (s *state) withMounts(ins dockerfile.Instruction, text string, written []string) (string, string) {
	run, ok := ins.Command.(*instructions.RunCommand)
	if !ok {
		return text, ""
	}
	for _, m := range instructions.GetMounts(run) {
		if m.Type == instructions.MountTypeCache {
			return text, ""
		}
	}
	var flags, tools, skipped []string
	for _, m := range mounts {
		if !m.re.MatchString(ins.Text) {
			continue
		}
		added := false
		for _, t := range m.target(s) {
			if hidesWritten(t, written) {
				skipped = append(skipped, t)
				continue
			}
			flags = append(flags, "--mount=type=cache,target="+t+m.extra)
			added = true
		}
		if added {
			tools = append(tools, m.tool)
		}
	}
	var note string
	if len(tools) > 0 {
		note = "# cache mounts added for " + strings.Join(tools, ", ") + ": the caches stay out of the layers and are reused by the next build"
	}
	if len(skipped) > 0 {
		if note != "" {
			note += "\n"
		}
		note += "# no cache mount on " + strings.Join(skipped, ", ") + ": an earlier COPY/ADD of this stage writes there"
	}
	if len(flags) == 0 {
		return text, note
	}
	return runPrefix.ReplaceAllString(text, "$1 "+strings.Join(flags, " ")), note
}

func hidesWritten(target string, written []string) bool {
	for _, w := range written {
		if under(strings.TrimPrefix(w, "/"), strings.TrimPrefix(target, "/")) || under(strings.TrimPrefix(target, "/"), strings.TrimPrefix(w, "/")) {
			return true
		}
	}
	return false
}

// prodStage is the name of the stage that prunes the k-th Node project:
// "prod-deps", then "prod-deps-2", ... (stage names must be unique).
func (s *state) prodStage(k int) string {
	if k == 0 {
		return "prod-deps"
	}
	return fmt.Sprintf("prod-deps-%d", k+1)
}

// buildName is the name the build stage of the target gets.
func (s *state) buildName() string {
	if s.target.Name != "" {
		return s.target.Name
	}
	name := "build"
	for taken := true; taken; {
		taken = false
		for _, st := range s.df.Stages {
			if strings.EqualFold(st.Name, name) {
				taken, name = true, "imgdiff-"+name
			}
		}
	}
	return name
}

func mb(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%d MB", (n+500_000)/1_000_000)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%d kB", (n+500)/1000)
	}
	return fmt.Sprintf("%d B", n)
}

// write renders the Dockerfile.
func (s *state) write() string {
	var b strings.Builder
	w := func(format string, a ...any) {
		line := fmt.Sprintf(format, a...)
		if strings.HasPrefix(format, "#") {
			line = commentText(line)
		}
		b.WriteString(line + "\n")
	}
	build := s.buildName()
	// No "# syntax=" directive: it makes BuildKit fetch its frontend
	// from Docker Hub, which fails offline and behind a mirror; the
	// built-in frontend of Docker 20.10 and later has RUN --mount.
	w("# Suggested by imgdiff from %s and %s.", s.img.Ref, s.df.Path)
	w("# Build it with BuildKit (Docker's default builder since 23.0; DOCKER_BUILDKIT=1")
	w("# before): its RUN --mount=type=cache lines need it.")
	w("# The original build is kept as the build stage; the final stage holds")
	w("# what the app needs at run time only. Decisions are commented with their")
	w("# evidence; what could not be decided is asked at the end.")
	for _, a := range s.df.MetaArgs {
		if a.HasValue {
			w("ARG %s=%s", a.Key, quoteIfNeeded(a.Value))
		} else {
			w("ARG %s", a.Key)
		}
	}
	static := s.allStatic && s.copyOnly()
	for i := range s.df.Stages {
		st := &s.df.Stages[i]
		w("")
		from := strings.TrimSpace(s.df.Snippet(st.From))
		if st == s.target && st.Name == "" {
			from += " AS " + build
			w("# the original build, as the build stage")
		}
		w("%s", from)
		var written []string
		cgoSet := false
		for _, ins := range st.Instructions {
			text := s.df.Snippet(ins.Lines)
			switch c := ins.Command.(type) {
			case *instructions.CopyCommand:
				written = append(written, c.DestPath)
			case *instructions.AddCommand:
				written = append(written, c.DestPath)
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if kv.Key == "CGO_ENABLED" {
						cgoSet = true
					}
				}
			case *instructions.RunCommand:
				if static && !cgoSet && regexp.MustCompile(`\bgo\s+build\b`).MatchString(ins.Text) && !strings.Contains(ins.Text, "CGO_ENABLED") {
					w("# the Go binary is already static: CGO_ENABLED=0 keeps it so for the scratch stage")
					w("ENV CGO_ENABLED=0")
					cgoSet = true
				}
				var note string
				text, note = s.withMounts(ins, text, written)
				if note != "" {
					w("%s", note)
				}
			}
			w("%s", text)
		}
	}
	for k, d := range s.nodeDirs {
		w("")
		w("# Node: npm prune --omit=dev keeps the production dependencies of /%s only;", d)
		w("# the devDependencies (%s, npm lockfile: dev) stay in %s.", mb(s.nodeDevBytes(d)), build)
		w("FROM %s AS %s", build, s.prodStage(k))
		w("WORKDIR /%s", d)
		w("RUN npm prune --omit=dev")
	}

	w("")
	w("# the final stage: base %s, %s", s.base, s.baseWhy)
	if s.nativeWhy != "" && s.base != "scratch" {
		w("# not scratch with the binaries' libraries copied: %s", s.nativeWhy)
	}
	w("FROM %s", s.fromWord())
	if left, bytes := s.toolsLeft(); len(left) > 0 {
		names := left
		if len(names) > 6 {
			names = append(names[:6:6], fmt.Sprintf("%d more", len(left)-6))
		}
		w("# %s: %s of %s packages stay in the build stage", strings.Join(names, ", "), mb(bytes), s.flaggedKinds())
	}
	if names, n := s.depsLeft(); n > 0 {
		why := "pulled in by the build's installs"
		if s.rpmOnly() {
			why = "rpm records no asked-for packages: no kept file, program the container runs or runtime package needs them"
		}
		w("# %s: %s of unflagged packages nothing at run time needs (%s) stay in the build stage", strings.Join(names, ", "), mb(n), why)
	}
	for _, n := range s.sortedDropped() {
		w("# %s", n)
	}
	if pk := s.installable(); len(pk) > 0 {
		w("# runtime packages:")
		for _, r := range s.pkgReasons {
			if name, _, _ := strings.Cut(r, ":"); slices.Contains(pk, name) {
				w("#   %s", r)
			}
		}
		for _, d := range s.repoDirs {
			w("# the build configured package repositories here: the install needs them")
			w("COPY --from=%s /%s /%s", s.buildName(), d, d)
		}
		w("%s", s.installLine(pk))
	}
	env := s.carriedEnv()
	if args := s.argsReferenced(env); len(args) > 0 {
		w("# the build arguments the lines below refer to: an ARG is declared per stage")
		for _, a := range args {
			w("%s", a)
		}
	}
	for _, e := range env {
		w("%s", e)
	}
	for _, ins := range s.chainInstructions("LABEL") {
		w("%s", s.df.Snippet(ins.Lines))
	}
	if wd := s.destValue(s.img.Config.WorkingDir); wd != "" && safe(wd) {
		w("WORKDIR %s", wd)
	} else if wd != "" {
		s.ask(fmt.Sprintf("the working directory %s cannot be written safely in a WORKDIR line: left out", show(wd)))
	}
	if d := s.pythonOutsideVenv(); d != "" {
		w("# Python: pip installed into /%s, copied with the rest of its tree; a venv", d)
		w("# (python3 -m venv /opt/venv in the build stage) would make it one COPY of /opt/venv")
	}
	// The original ran as root in its working directory: an app writes
	// there (logs/, a SQLite file) and nothing records what. The copies
	// into it belong to the non-root USER the final stage adds.
	wdOwner := ""
	if u, _, _ := s.finalUser(); u == "65532:65532" && s.ranAsRoot() && safe(s.destValue(s.img.Config.WorkingDir)) {
		wdOwner = strings.Trim(path.Clean("/"+s.destValue(s.img.Config.WorkingDir)), "/")
	}
	chowned := 0
	for _, c := range s.copies {
		w("# %s", c.note)
		opts := ""
		if c.chmod != "" {
			opts = " --chmod=" + c.chmod
		}
		if wdOwner != "" && under(strings.Trim(c.dst, "/"), wdOwner) {
			opts += " --chown=65532:65532"
			chowned++
		}
		w("COPY --from=%s%s %s %s", c.from, opts, strings.Join(c.srcs, " "), c.dst)
	}
	if len(s.lnLinks) > 0 {
		dirs := map[string]bool{}
		var ln []string
		for _, l := range s.lnLinks {
			dirs[path.Dir(l[1])] = true
			ln = append(ln, "ln -sfn "+l[0]+" "+l[1])
		}
		w("# %d symlink(s) among the copies, made as links: COPY would follow them and write their targets' files under their names", len(s.lnLinks))
		w("RUN mkdir -p %s \\\n    && %s", strings.Join(sortedKeys(dirs), " "), strings.Join(ln, " \\\n    && "))
	}
	if dirs := s.cachedLibDirs(); len(dirs) > 0 {
		w("# the copied libraries in %s are found through the loader's cache, which the image's ldconfig wrote; the one here was written before they came", strings.Join(dirs, ", "))
		w("RUN ldconfig")
	}
	if chowned > 0 {
		s.ask(fmt.Sprintf("the original ran as root; the files copied into the working directory /%s are given to USER 65532:65532 (--chown), as the app may write there (logs, a database); the directory itself stays root's: does the app create files directly in it?", wdOwner))
	}
	for _, ins := range s.chainInstructions("EXPOSE") {
		w("%s", s.df.Snippet(ins.Lines))
	}
	if hc := s.chainInstructions("HEALTHCHECK"); len(hc) > 0 {
		if s.base == "scratch" {
			s.ask("the HEALTHCHECK is left out: scratch has no shell or tools to run it; does the binary offer a health command?")
		} else {
			w("%s", s.df.Snippet(hc[len(hc)-1].Lines))
		}
	}
	user, note, question := s.finalUser()
	if question != "" {
		s.ask(question)
	}
	if chowned > 0 {
		note += fmt.Sprintf(", but those copied into the working directory /%s: its own (--chown)", wdOwner)
	}
	w("# %s", note)
	if s.reachNote != "" {
		w("# %s", s.reachNote)
	}
	w("USER %s", user)
	if ep := s.img.Config.Entrypoint; len(ep) > 0 {
		if isShell(ep) {
			w("# the original ENTRYPOINT is in shell form: the same shell, written in exec form")
		}
		w("ENTRYPOINT %s", execForm(s.destArgv(ep)))
	}
	if cmd := s.img.Config.Cmd; len(cmd) > 0 {
		if isShell(cmd) {
			w("# the original CMD is in shell form: the same shell, written in exec form")
		}
		w("CMD %s", execForm(s.destArgv(cmd)))
	}
	if len(s.questions) > 0 {
		w("")
		w("# Questions imgdiff could not decide:")
		for _, q := range s.questions {
			w("# ? %s", q)
		}
	}
	return b.String()
}

func quoteIfNeeded(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\"'\\$") {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

func execForm(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		b, _ := json.Marshal(a) // a string always marshals
		q[i] = string(b)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// pythonOutsideVenv is the site directory of the first Python package
// the build installed outside a venv (no pyvenv.cfg above it), "" when none.
func (s *state) pythonOutsideVenv() string {
	for _, p := range s.cl.Packages {
		if p.Manager != "python" || !s.appStep[p.Step] || p.Location == "" {
			continue
		}
		site := path.Dir(p.Location)
		venv := false
		for d := site; d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := s.img.FS.Lookup(d + "/pyvenv.cfg"); ok {
				venv = true
				break
			}
		}
		if !venv {
			return site
		}
	}
	return ""
}

// toolsLeft are the flagged packages the build installed that stay in
// the build stage, and their bytes: not those the final stage installs
// after all (a tool the container runs, and what it depends on).
func (s *state) toolsLeft() ([]string, int64) {
	bytes := map[string]int64{}
	for _, p := range s.cl.Packages {
		if s.systemManager(p.Manager) {
			bytes[p.Name] += p.Bytes
		}
	}
	var names []string
	var n int64
	for _, t := range s.buildTools {
		if !s.closure[t] {
			names = append(names, t)
			n += bytes[t]
		}
	}
	return names, n
}

// depsLeft are the unflagged packages the build installed that the final
// stage does not install, and their bytes.
func (s *state) depsLeft() ([]string, int64) {
	var names []string
	var n int64
	for _, p := range s.cl.Packages {
		if s.systemManager(p.Manager) && (p.Category == "" || p.Category == model.Docs) && s.appStep[p.Step] && !s.closure[p.Name] {
			names = append(names, p.Name)
			n += p.Bytes
		}
	}
	sort.Strings(names)
	return names, n
}

func (s *state) flaggedKinds() string {
	seen := map[model.Category]bool{}
	var out []string
	for _, n := range s.buildTools {
		for _, p := range s.cl.Packages {
			if p.Name == n && p.Category != "" && !seen[p.Category] {
				seen[p.Category] = true
				out = append(out, string(p.Category))
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// sortedDropped renders what the app's own steps wrote that stays behind.
func (s *state) sortedDropped() []string {
	var out []string
	for _, c := range model.Categories() {
		if n := s.dropped[c]; n > 0 {
			out = append(out, fmt.Sprintf("%s of %s files the build wrote stay in the build stage", mb(n), c))
		}
	}
	if s.genB > 0 {
		out = append(out, fmt.Sprintf("%s that the package installs' scripts wrote and no package lists (alternatives and certificate links, Python bytecode, generated configuration) stay in the build stage; the install here writes its own", mb(s.genB)))
	}
	if s.stateB > 0 {
		what := "dpkg, apt, apk databases, logs"
		if s.rpmOnly() {
			what = "the rpm database, dnf or yum history, logs"
		}
		out = append(out, fmt.Sprintf("%s of package-manager state the build wrote (%s) stays in the build stage; an install here writes its own", mb(s.stateB), what))
	}
	return out
}

func (s *state) nodeDevBytes(dir string) int64 {
	var n int64
	for i, f := range s.img.FS.All() {
		if under(f.Path, path.Join(dir, "node_modules")) && s.cl.Flags.Category(i) != "" {
			n += f.Bytes
		}
	}
	return n
}

// fromWord is the final FROM's argument: the original FROM's word as
// written (so a --build-arg BASE still applies) when the base is the
// original one.
func (s *state) fromWord() string {
	root := s.chain[0]
	if s.base != root.BaseName || root.Parent >= 0 {
		return s.base
	}
	for _, f := range strings.Fields(s.df.Snippet(root.From))[1:] {
		if !strings.HasPrefix(f, "--") {
			return f
		}
	}
	return s.base
}

// installable are the runtime packages the final stage installs (on
// scratch: none, the data packages are copied).
func (s *state) installable() []string {
	if s.copyOnly() {
		return nil
	}
	return s.runtimePkgs
}

func (s *state) installLine(pk []string) string {
	if s.managers["apk"] && !s.managers["dpkg"] {
		return "RUN apk add --no-cache " + strings.Join(pk, " ")
	}
	if s.managers["rpm"] && !s.managers["dpkg"] && !s.managers["apk"] {
		return s.rpmInstallLine(pk)
	}
	pre := ""
	for _, p := range pk {
		if strings.HasPrefix(p, "openjdk-") {
			// The JRE's postinst links man pages into a directory slim
			// images lack.
			pre = "mkdir -p /usr/share/man/man1 && "
		}
	}
	return "RUN " + pre + "apt-get update && apt-get install -y --no-install-recommends " + strings.Join(pk, " ") + " \\\n    && rm -rf /var/lib/apt/lists/*"
}

func (s *state) chainInstructions(kw string) []dockerfile.Instruction {
	var out []dockerfile.Instruction
	for _, st := range s.chain {
		for _, ins := range st.Instructions {
			if ins.Keyword == kw {
				out = append(out, ins)
			}
		}
	}
	return out
}

// carriedEnv are the ENV lines of the chain without build-only settings.
func (s *state) carriedEnv() []string {
	var out, dropped []string
	for _, ins := range s.chainInstructions("ENV") {
		c, ok := ins.Command.(*instructions.EnvCommand)
		if !ok {
			continue
		}
		for _, kv := range c.Env {
			if buildOnlyEnv[kv.Key] {
				dropped = append(dropped, kv.Key)
				continue
			}
			out = append(out, "ENV "+kv.Key+"="+quoteIfNeeded(s.destValue(kv.Value)))
		}
	}
	if len(dropped) > 0 {
		out = append([]string{"# build-only settings left in the build stage: " + strings.Join(dropped, ", ")}, out...)
	}
	return out
}

// planCopies groups the kept files into COPY lines: a directory whose
// every file is kept is copied whole; other files are copied by parent
// directory, several to a line.
func (s *state) planCopies(build string) {
	// Each merge copies a directory whole that held two lines or more:
	// the lines only go down, so the loop ends; it stops as soon as a
	// round saves nothing.
	limit, lines := s.copyLimit(), -1
	for {
		dirs, files, _, _ := s.copyGroups()
		n := len(dirs) + len(files)
		if n <= limit {
			break
		}
		if lines >= 0 && n >= lines || !s.mergeCopies(dirs, files, limit) {
			s.ask(fmt.Sprintf("%d COPY lines, more than a build can stack on the base's layers (limit %d), and no directory left to merge: copy whole directories by hand", n, limit))
			break
		}
		lines = n
	}
	dirs, files, fileBytes, flagged := s.copyGroups()
	how := func(k string) string {
		if flagged[k] {
			return "written by the build, sources included (see the questions)"
		}
		return "written by the build and not flagged"
	}
	for _, d := range sortedKeys(dirs) {
		note := fmt.Sprintf("/%s: %s, %s", d, mb(dirs[d]), how("/"+d))
		if to := s.dest(d); to != d {
			note += fmt.Sprintf(", moved to /%s (see USER)", to)
		}
		s.copies = append(s.copies, copyLine{from: build, srcs: []string{"/" + d}, dst: "/" + s.dest(d), bytes: dirs[d], note: note})
	}
	for _, p := range sortedKeys(files) {
		dst, hasMode := strings.CutPrefix(p, chmodKey)
		chmod := ""
		if hasMode {
			chmod, dst, _ = strings.Cut(dst, ":")
		}
		note := fmt.Sprintf("%s, %s", mb(fileBytes[p]), how(p))
		for _, n := range s.linkNotes[dst] {
			note += "; " + n
		}
		if chmod != "" {
			note += "; --chmod=" + chmod + ": others could not read or run them, and USER is not their owner"
		}
		to := "/" + dst + "/"
		if dst == "." {
			to = "/"
		}
		srcs := s.splitLinks(files[p], to)
		if len(srcs) == 0 {
			continue
		}
		s.copies = append(s.copies, copyLine{from: build, srcs: srcs, dst: to, bytes: fileBytes[p], note: note, chmod: chmod})
	}
	for k, d := range s.nodeDirs {
		nm := path.Join(d, "node_modules")
		var n int64
		for i, f := range s.img.FS.All() {
			if under(f.Path, nm) && s.cl.Flags.Category(i) == "" {
				n += f.Bytes
			}
		}
		s.copies = append(s.copies, copyLine{from: s.prodStage(k), srcs: []string{"/" + nm}, dst: "/" + nm, bytes: n,
			note: fmt.Sprintf("the production dependencies: %s", mb(n))})
	}
	if s.copyOnly() {
		for _, p := range s.runtimePkgs {
			if d, ok := dataPackages[p]; ok {
				s.copies = append(s.copies, copyLine{from: build, srcs: []string{"/" + d}, dst: "/" + d,
					note: fmt.Sprintf("%s's files, copied: scratch has no package manager", p)})
			}
		}
	}
	if s.native != nil {
		s.copies = append(s.copies, s.closureCopies(build)...)
	}
	s.copies = append(s.copies, s.extraCopies...)
	sort.SliceStable(s.copies, func(a, b int) bool { return s.copies[a].dst < s.copies[b].dst })
}

// splitLinks takes out of srcs, COPY sources bound for directory to, the
// symlinks the final stage can make itself with ln (it has a shell; the
// link lands in the directory it was in, its target as recorded): COPY
// would follow them and write their targets' files under their names
// (libgvm_base.so and .so.23 as three files: ldconfig then caches one
// name where the original had two, F12). They are kept in s.lnLinks.
func (s *state) splitLinks(srcs []string, to string) []string {
	if !s.finalShell() {
		return srcs
	}
	var out []string
	for _, src := range srcs {
		p := strings.Trim(src, "/")
		f, ok := s.img.FS.Lookup(p)
		if !ok || f.Kind != index.Symlink || !safe(f.Link) || strings.HasPrefix(f.Link, "-") || "/"+path.Dir(p)+"/" != to {
			out = append(out, src)
			continue
		}
		s.lnLinks = append(s.lnLinks, [2]string{f.Link, "/" + p})
	}
	return out
}

// finalShell reports whether the final stage has /bin/sh to RUN with: the
// original base's (kept), or a runtime base's that was read.
func (s *state) finalShell() bool {
	if s.copyOnly() {
		return false
	}
	if rb := s.in.RuntimeBase; rb != nil {
		return rb.FS != nil && hasAny(rb.FS, "bin/sh")
	}
	i := s.resolve("bin/sh")
	return i >= 0 && !s.appStep[s.stepOfFile(i)]
}

// chmodKey marks a group of files copied with --chmod in planCopies.
const chmodKey = "\x00chmod:"

// copyGroups groups the kept files into COPY lines: directories copied
// whole (by path, with their bytes) and files by destination directory.
func (s *state) copyGroups() (dirs map[string]int64, files map[string][]string, fileBytes map[string]int64, flagged map[string]bool) {
	fs := s.img.FS
	clean := map[string]bool{}
	for i, f := range fs.All() {
		if f.Kind != index.Dir {
			continue
		}
		end := fs.TreeEnd(i)
		some, all := false, true
		for j := i + 1; j < end; j++ {
			g := fs.At(j)
			if g.Kind == index.Dir {
				continue
			}
			if s.keep[j] && s.moved[g.Path] == "" && s.chmod[g.Path] == "" {
				some = true
			} else {
				all = false
				break
			}
		}
		clean[f.Path] = some && all || s.whole[f.Path]
	}
	dirs = map[string]int64{}
	files = map[string][]string{}
	fileBytes = map[string]int64{}
	flagged = map[string]bool{} // a group holding flagged files kept (keepSources)
	for i, f := range fs.All() {
		if !s.keep[i] {
			continue
		}
		fl := s.cl.Flags.Category(i) != ""
		top := ""
		parts := strings.Split(f.Path, "/")
		if s.moved[f.Path] != "" || s.chmod[f.Path] != "" {
			parts = nil // its own line, under a directory copied whole too
		}
		for k := 1; k < len(parts); k++ {
			if d := strings.Join(parts[:k], "/"); clean[d] {
				top = d
				break
			}
		}
		if top != "" {
			dirs[top] += f.Bytes
			flagged["/"+top] = flagged["/"+top] || fl
			continue
		}
		parent := path.Dir(s.dest(f.Path))
		if m := s.chmod[f.Path]; m != "" {
			parent = chmodKey + m + ":" + parent
		}
		files[parent] = append(files[parent], "/"+f.Path)
		fileBytes[parent] += f.Bytes
		flagged[parent] = flagged[parent] || fl
	}
	return dirs, files, fileBytes, flagged
}

// copyLimit is how many COPY lines the final stage may have: overlayfs
// stacks about 125 layers, the base's included; a few are left for the
// install and the configuration.
func (s *state) copyLimit() int {
	base := 0
	if !s.copyOnly() {
		for _, l := range s.img.Layers {
			if l.Step >= 0 && s.baseStep[l.Step] {
				base++
			}
		}
	}
	return max(16, 100-base-8)
}

// mergeCopies folds the COPY lines under one directory into a COPY of
// that directory whole: the directory that saves lines at the least cost
// in bytes the lines would not have copied (flagged files, the base's own
// files, which then exist twice). It reports whether it merged.
func (s *state) mergeCopies(dirs map[string]int64, files map[string][]string, limit int) bool {
	count := map[string]int{}
	for _, k := range append(sortedKeys(dirs), sortedKeys(files)...) {
		if strings.HasPrefix(k, chmodKey) || s.dest(k) != k {
			continue
		}
		for d := path.Dir(k); d != "." && d != "/" && strings.Contains(d, "/"); d = path.Dir(d) {
			count[d]++
		}
		if _, isDir := dirs[k]; !isDir {
			count[k]++ // a group of files is in its directory itself
		}
	}
	best, bestCost, bestSaved := "", int64(-1), 0
	for _, d := range sortedKeys(count) {
		saved := count[d] - 1
		if saved < 1 {
			continue
		}
		cost := s.wholeCost(d)
		better := cost*int64(bestSaved) < bestCost*int64(saved)
		tie := cost*int64(bestSaved) == bestCost*int64(saved)
		// On a tie, more lines saved, then the deepest directory: the
		// least the COPY reaches beyond what is kept.
		if best == "" || better || tie && (saved > bestSaved || saved == bestSaved && len(d) > len(best)) {
			best, bestCost, bestSaved = d, cost, saved
		}
	}
	if best == "" {
		return false
	}
	i, ok := s.img.FS.IndexOf(best)
	if !ok {
		return false
	}
	// The directory is copied whole from now on (copyGroups), whatever
	// it holds: a file no line could name comes along too, so the merge
	// removes the lines under it once and for all, and each round saves
	// at least one line.
	if s.whole == nil {
		s.whole = map[string]bool{}
	}
	s.whole[best] = true
	var extra int64
	unwritable := 0
	for j := i + 1; j < s.img.FS.TreeEnd(i); j++ {
		f := s.img.FS.At(j)
		if s.keep[j] || !copyable(f) {
			continue
		}
		if !safe(f.Path) {
			unwritable++
		}
		s.keep[j] = true
		extra += f.Bytes
		switch {
		case !s.appStep[s.stepOfFile(j)] && !s.copyOnly():
			s.dupBytes += f.Bytes // the base's, copied again over it
		case s.cl.Flags.Category(j) != "":
			s.dropped[s.cl.Flags.Category(j)] -= f.Bytes
		case s.devDrop[j] != "":
			s.dropped[s.devDrop[j]] -= f.Bytes
			delete(s.devDrop, j)
		}
	}
	along := ""
	if unwritable > 0 {
		along = fmt.Sprintf(", %d files whose names no COPY line can carry included", unwritable)
	}
	s.ask(fmt.Sprintf("more COPY lines than a build can stack on the base's layers (limit %d): /%s is copied whole, with %s the lines would have left out (flagged files, the base's own%s): copy less by hand if that matters", limit, best, mb(extra), along))
	return true
}

// wholeCost is what copying directory d whole adds to the kept files.
func (s *state) wholeCost(d string) int64 {
	i, ok := s.img.FS.IndexOf(d)
	if !ok {
		return 1 << 40
	}
	var n int64
	for j := i + 1; j < s.img.FS.TreeEnd(i); j++ {
		if !s.keep[j] && copyable(s.img.FS.At(j)) {
			n += s.img.FS.At(j).Bytes
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// closure is the set of package names the final stage's install brings:
// the runtime packages and what they depend on (Depends, Pre-Depends:
// --no-install-recommends), as the image's own package graph says.
func (s *state) runtimeClosure() map[string]bool {
	out := map[string]bool{}
	graphs, err := pkgdb.Graphs(s.img.Contents)
	for _, p := range s.installable() {
		out[p] = true
	}
	if s.copyOnly() {
		for _, p := range s.runtimePkgs {
			out[p] = true
		}
		return out
	}
	if err != nil || len(graphs) == 0 {
		if len(out) > 0 {
			s.ask("the package database's dependencies could not be read: the prediction counts the named runtime packages only")
		}
		return out
	}
	for _, g := range graphs {
		var start []int
		for p := range out {
			if i := g.Index(p); i >= 0 {
				start = append(start, i)
			}
		}
		for i, needed := range g.Needs(start) {
			if needed {
				out[g.Packages[i].Name] = true
			}
		}
	}
	return out
}

// predict sums what the final stage keeps of the original's final
// filesystem; what it leaves is ΔS, by category.
func (s *state) predict() Prediction {
	fs := s.img.FS
	closure := s.runtimeClosure()
	s.closure = closure
	if names, _ := s.depsLeft(); len(names) > 0 && s.rpmOnly() {
		s.ask(fmt.Sprintf("rpm does not record which packages the build asked for, so the unflagged ones it installed that no kept file, program the container runs or runtime package needs stay behind (%s): does the app need any of them?", listNames(names, 8)))
	}
	terms := map[string]int64{}
	var kept int64
	scratch := s.copyOnly()
	// On a base --base named, the original base's files are not there;
	// that base's own are (the "added" term).
	userBase := s.in.RuntimeBase != nil
	for i, f := range fs.All() {
		if f.Bytes == 0 {
			continue
		}
		step := s.stepOfFile(i)
		p, managed := s.pkgManaged(i)
		keep := false
		switch {
		case s.keep[i]:
			keep = true
		case s.nativeFileCopied(i):
			keep = true
		case scratch && s.extraCopied(f.Path):
			keep = true
		case s.inNodeModules(f.Path):
			keep = s.cl.Flags.Category(i) == ""
		case managed && closure[p.Name] && !scratch:
			// On a runtime base that was read, installed when that base
			// lacks the file (the original base's packages too).
			keep = !userBase || s.appStep[step]
			if rb := s.in.RuntimeBase; rb != nil && rb.FS != nil {
				keep = !s.baseHas(f.Path)
			}
		case scratch && managed && closure[p.Name]:
			keep = under(f.Path, dataPackages[p.Name])
		case !scratch && !s.appStep[step]:
			keep = !userBase // the base's, or written by a step nothing maps
		case !scratch && closure[s.bytecodeOf(i)]:
			keep = true // compiled again by the final stage's install
		case !scratch && under(f.Path, "var/lib/dpkg/info"):
			name, _, _ := strings.Cut(path.Base(f.Path), ".")
			name, _, _ = strings.Cut(name, ":")
			keep = closure[name]
		case !scratch && (f.Path == "var/lib/dpkg/status" || f.Path == "lib/apk/db/installed"):
			keep = len(closure) > 0
		case !scratch && len(s.installable()) > 0 && under(f.Path, stateDirs...) && s.cl.Flags.Category(i) == "":
			// Logs and debconf's cache: the final stage's install writes
			// its own, of about the same size.
			keep = true
		}
		if keep {
			kept += f.Bytes
			continue
		}
		name := string(s.cl.Flags.Category(i))
		if c, ok := s.devDrop[i]; ok {
			name = string(c)
		}
		if managed && p.Category != "" {
			name = string(p.Category)
		}
		switch {
		case (scratch || userBase) && !s.appStep[step]:
			name = "base"
		case name == "":
			name = string(model.Other)
		}
		terms[name] += f.Bytes
	}
	var hidden int64
	for _, l := range s.img.Layers {
		if !scratch && !userBase && l.Step >= 0 && s.baseStep[l.Step] {
			// The base's layers come whole: what the build overwrote
			// or deleted of them is there again (hidden, or visible).
			kept += l.Hidden
			continue
		}
		hidden += l.Hidden
	}
	if hidden > 0 {
		terms["hidden"] = hidden
	}
	if rb := s.in.RuntimeBase; rb != nil && rb.FS != nil {
		kept += rb.Size
		terms["added"] = -rb.Size
	}
	if s.dupBytes > 0 {
		kept += s.dupBytes
		terms["added"] -= s.dupBytes
	}
	if d := s.derefBytes(); d > 0 {
		kept += d
		terms["added"] -= d
	}
	pr := Prediction{Original: s.img.Size, Predicted: kept}
	pr.Delta = pr.Original - pr.Predicted
	var sum int64
	order := append([]string{}, catNames()...)
	order = append(order, "base", "hidden", "added")
	for _, n := range order {
		if v := terms[n]; v != 0 {
			pr.Terms = append(pr.Terms, Term{Name: n, Bytes: v})
			sum += v
		}
	}
	if d := pr.Delta - sum; d != 0 {
		// The image's size and its files disagree (a layer no history
		// step accounts for): said, not hidden.
		pr.Terms = append(pr.Terms, Term{Name: "unaccounted", Bytes: d})
	}
	return pr
}

// derefBytes are the bytes COPY adds by following the symlinks named as
// its sources: each lands as a copy of its target's file (libjq.so and
// libjq.so.1 beside libjq.so.1.0.4 are three files), where the original
// held a link. The loader's closure is counted as files already.
func (s *state) derefBytes() int64 {
	var n int64
	for _, c := range s.copies {
		for _, src := range c.srcs {
			p := strings.Trim(src, "/")
			f, ok := s.img.FS.Lookup(p)
			if !ok || f.Kind != index.Symlink {
				continue
			}
			j := s.resolve(p)
			if j < 0 || s.img.FS.At(j).Kind != index.File || (s.native != nil && s.native.files[j]) {
				continue
			}
			n += s.img.FS.At(j).Bytes - f.Bytes
		}
	}
	return n
}

func catNames() []string {
	var out []string
	for _, c := range model.Categories() {
		out = append(out, string(c))
	}
	return out
}

// numericUser reports whether a USER value is uid or uid:gid in digits,
// which needs no /etc/passwd.
func numericUser(u string) bool {
	uid, gid, hasGID := strings.Cut(u, ":")
	digits := func(x string) bool {
		for _, r := range x {
			if r < '0' || r > '9' {
				return false
			}
		}
		return x != ""
	}
	return digits(uid) && (!hasGID || digits(gid))
}

// commentText makes a comment line one line of visible text: evidence and
// questions carry names from the image (script paths, commands), and a
// control character in one (a line break, a terminal escape) is written
// escaped, so it can neither start an instruction nor act on the
// terminal the Dockerfile is printed on.
func commentText(line string) string {
	if !strings.ContainsFunc(line, isControl) {
		return line
	}
	var b strings.Builder
	for _, r := range line {
		switch {
		case !isControl(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// argsReferenced are the ARG lines the final stage must declare again:
// those of the build's chain (or, as "ARG NAME", the global ones before
// the first FROM) whose names the carried ENV, LABEL, EXPOSE and
// HEALTHCHECK lines refer to. An ARG is declared per stage: without it
// "$PORT" expands to nothing in the new stage.
func (s *state) argsReferenced(env []string) []string {
	texts := append([]string{}, env...)
	for _, kw := range []string{"LABEL", "EXPOSE", "HEALTHCHECK"} {
		for _, ins := range s.chainInstructions(kw) {
			texts = append(texts, s.df.Snippet(ins.Lines))
		}
	}
	used := map[string]bool{}
	for _, t := range texts {
		for _, m := range argRef.FindAllStringSubmatch(t, -1) {
			used[m[1]] = true
		}
	}
	if len(used) == 0 {
		return nil
	}
	var out []string
	declared := map[string]bool{}
	for _, ins := range s.chainInstructions("ARG") {
		c, ok := ins.Command.(*instructions.ArgCommand)
		if !ok {
			continue
		}
		need := false
		for _, a := range c.Args {
			if used[a.Key] && !declared[a.Key] {
				need = true
			}
		}
		if need {
			for _, a := range c.Args {
				declared[a.Key] = true
			}
			out = append(out, s.df.Snippet(ins.Lines))
		}
	}
	for _, a := range s.df.MetaArgs {
		if used[a.Key] && !declared[a.Key] {
			declared[a.Key] = true
			out = append(out, "ARG "+a.Key)
		}
	}
	return out
}

// rpmOnly reports whether the image's system packages are all rpm's.
func (s *state) rpmOnly() bool {
	return s.managers["rpm"] && !s.managers["dpkg"] && !s.managers["apk"]
}

// rpmTools are the rpm-family installers, in the order the final stage
// prefers them, with the line each gets: weak dependencies (Recommends)
// off, as --no-install-recommends for apt; no documentation; the caches
// and repository metadata removed in the same layer. yum (RHEL 7) knows
// no weak dependencies and takes nodocs as a transaction flag; zypper
// (SUSE) installs recommends unless told.
var rpmTools = []struct{ path, line string }{
	{"usr/bin/dnf", "dnf install -y --setopt=install_weak_deps=0 --nodocs %s \\\n    && dnf clean all && rm -rf /var/cache/dnf /var/cache/libdnf5"},
	{"usr/bin/dnf5", "dnf5 install -y --setopt=install_weak_deps=0 --nodocs %s \\\n    && dnf5 clean all && rm -rf /var/cache/libdnf5"},
	{"usr/bin/microdnf", "microdnf install -y --setopt=install_weak_deps=0 --nodocs %s \\\n    && microdnf clean all"},
	{"usr/bin/yum", "yum install -y --setopt=tsflags=nodocs %s \\\n    && yum clean all && rm -rf /var/cache/yum"},
	{"usr/bin/zypper", "zypper --non-interactive install --no-recommends %s \\\n    && zypper clean --all"},
}

// pickRpmTool chooses the installer of an rpm-family final stage: the
// first of rpmTools the final stage's base has (the base --base named
// when it was read, else the original base, as its steps left the
// image). A base with none (a root filled by rpm --root) gets dnf's line
// and a question.
func (s *state) pickRpmTool() {
	pk := s.installable()
	if !s.rpmOnly() || len(pk) == 0 {
		return
	}
	has := func(p string) bool {
		i := s.resolve(p)
		if i < 0 {
			return false
		}
		if s.baseStep[s.stepOfFile(i)] {
			return true
		}
		o := int(s.cl.Owners[i])
		return o >= 0 && s.baseOwned(o)
	}
	if rb := s.in.RuntimeBase; rb != nil && rb.FS != nil {
		has = func(p string) bool { return resolveIn(rb.FS, p) >= 0 }
	}
	s.repoCopies()
	for i, t := range rpmTools {
		if has(t.path) {
			s.rpmTool = i
			return
		}
	}
	s.ask(fmt.Sprintf("the final stage's base %s has no dnf, microdnf, yum or zypper to install %s with: the line uses dnf; install them as the original build did", s.base, listNames(pk, 8)))
}

// rpmRepoDirs hold what dnf, yum and zypper read to find packages: the
// repository definitions, their signing keys, dnf's variables.
var rpmRepoDirs = []string{"etc/yum.repos.d", "etc/pki/rpm-gpg", "etc/dnf/vars", "etc/zypp/repos.d"}

// repoCopies finds the repository directories the build's own steps
// wrote to (a vendor's .repo file, an epel-release install): the final
// stage's install may need a package from them, so each is copied from
// the build stage before it. The copy is a layer of its own over the
// base's: its bytes are added to the prediction in full.
func (s *state) repoCopies() {
	for _, d := range rpmRepoDirs {
		var bytes int64
		wrote := false
		for i, f := range s.img.FS.All() {
			if f.Kind != index.Dir && under(f.Path, d) {
				bytes += f.Bytes
				wrote = wrote || s.appStep[s.stepOfFile(i)]
			}
		}
		if wrote {
			s.repoDirs = append(s.repoDirs, d)
			s.dupBytes += bytes
		}
	}
}

// rpmInstallLine installs pk with the installer pickRpmTool chose.
func (s *state) rpmInstallLine(pk []string) string {
	return "RUN " + fmt.Sprintf(rpmTools[s.rpmTool].line, strings.Join(pk, " "))
}
