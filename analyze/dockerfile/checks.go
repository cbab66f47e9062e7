package dockerfile

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// Severity orders findings; the values are analyze.Severity's.
type Severity string

// The severities, least severe first.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// The stable ids of the Dockerfile checks.
const (
	CheckBuildTools       = "dockerfile-build-tools-in-final-stage"
	CheckPackageCache     = "dockerfile-package-cache-left"
	CheckContextFirst     = "dockerfile-context-copied-before-deps"
	CheckContextJunk      = "dockerfile-context-junk-shipped"
	CheckBaseNotPinned    = "dockerfile-base-not-pinned"
	CheckBaseLatest       = "dockerfile-base-latest"
	CheckAddURL           = "dockerfile-add-url"
	CheckAddArchive       = "dockerfile-add-local-archive"
	CheckSecret           = "dockerfile-secret-in-arg-env"
	CheckRootUser         = "dockerfile-root-user"
	CheckShellEntrypoint  = "dockerfile-shell-form-entrypoint"
	CheckShellCmd         = "dockerfile-shell-form-cmd"
	CheckCopyFromUnknown  = "dockerfile-copy-from-unknown-stage"
	CheckUnusedStage      = "dockerfile-unused-stage"
	buildToolsErrorAbove  = 100_000_000
	packageCacheWarnAbove = 1_000_000
)

// Finding is one result of a Dockerfile check.
type Finding struct {
	// ID is one of the Check* constants.
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	File     string   `json:"file"`
	Lines    Lines    `json:"lines"`
	Stage    string   `json:"stage,omitempty"`
	// Bytes is what is at stake in the final image (0 when the check is
	// about the Dockerfile alone).
	Bytes int64 `json:"bytes,omitempty"`
	// Hadolint lists hadolint rule ids that mean the same.
	Hadolint []string `json:"hadolint,omitempty"`
}

// Evidence is what the image says about the Dockerfile's instructions;
// the pipeline fills it from the mapping and the analysis.
type Evidence struct {
	// Target is the stage that was built ("" = the last).
	Target string
	// Lines holds the evidence of each instruction of the final image,
	// keyed by the instruction's first line.
	Lines map[int]LineEvidence
	// Dockerignore says whether a .dockerignore sits next to the Dockerfile.
	Dockerignore bool
	// User is the final image config's User ("" means root).
	User string
}

// LineEvidence is what one instruction put in the final image.
type LineEvidence struct {
	// Bytes is the content the instruction's layers ship.
	Bytes int64
	// BuildTools are the build-tool packages the instruction installed.
	BuildTools []Package
	// CacheBytes and CachePaths are the package-manager caches and lists
	// it left (apt lists, apk cache, pip/npm/yarn caches).
	CacheBytes int64
	CachePaths []string
	// ContextJunk are the paths a context copy shipped that a
	// .dockerignore would keep out: .git, .env, node_modules, tests.
	ContextJunk []PathBytes
}

// Package is an installed package and its bytes.
type Package struct {
	Name  string
	Bytes int64
}

// PathBytes is a path and the bytes under it.
type PathBytes struct {
	Path  string
	Bytes int64
}

// Rule describes a check for rule lists (SARIF's tool.driver.rules).
type Rule struct {
	ID, Title, Description, Help string
	Hadolint                     []string
}

// Rules lists the checks, in id order.
func Rules() []Rule {
	rules := []Rule{
		{CheckBuildTools, "Build tools in the final image", "An instruction of the final image installs compilers or build tools (bytes and packages measured in the image).", "Build in a stage and COPY --from it only the artefacts the program needs at run time.", nil},
		{CheckPackageCache, "Package manager cache left in the image", "A package install leaves its download cache or package lists in the layer, and no BuildKit cache mount is used.", "Clean the cache in the same RUN (rm -rf /var/lib/apt/lists/*, apk add --no-cache, pip --no-cache-dir) or use RUN --mount=type=cache.", []string{"DL3009", "DL3019", "DL3042", "DL3060"}},
		{CheckContextFirst, "Whole build context copied before the dependency install", "The build context is copied before the dependency manifests are installed: any source change reruns the install.", "COPY the manifests (package.json, go.mod, requirements.txt, ...) first, install, then COPY the rest.", nil},
		{CheckContextJunk, "Build context copy shipped files a .dockerignore would keep out", "A context copy put .git, .env, node_modules or tests into the image.", "Add them to .dockerignore next to the Dockerfile.", nil},
		{CheckBaseNotPinned, "Base image not pinned by digest", "FROM names a tag, which can move: builds are not reproducible.", "Pin the base with @sha256:… (and let a bot update it).", nil},
		{CheckBaseLatest, "Base image :latest or untagged", "FROM uses :latest or no tag.", "Name a version tag, better a digest.", []string{"DL3006", "DL3007"}},
		{CheckAddURL, "ADD of a URL", "ADD downloads at build time without checksum verification by default.", "Use curl/wget in a RUN with a checksum, or ADD --checksum.", []string{"DL3020"}},
		{CheckAddArchive, "ADD of a local archive", "ADD extracts local archives silently, which surprises readers.", "Use COPY and extract explicitly in a RUN, or keep ADD and say so in a comment.", []string{"DL3020"}},
		{CheckSecret, "Secret in ARG or ENV", "An ARG or ENV whose name says it holds a secret: its value stays in the image history or config.", "Use RUN --mount=type=secret instead.", nil},
		{CheckRootUser, "Final USER is root", "The image runs as root.", "Add a USER with a non-root uid before CMD/ENTRYPOINT.", []string{"DL3002"}},
		{CheckShellEntrypoint, "Shell-form ENTRYPOINT", "ENTRYPOINT in shell form: the shell is PID 1 and does not forward signals.", "Use the exec form [\"prog\", \"arg\"].", []string{"DL3025"}},
		{CheckShellCmd, "Shell-form CMD", "CMD in shell form: the shell is PID 1 and does not forward signals.", "Use the exec form [\"prog\", \"arg\"].", []string{"DL3025"}},
		{CheckCopyFromUnknown, "COPY --from a stage that does not exist", "COPY --from names no earlier stage (nor an image reference).", "Name an earlier stage, or an image with its tag.", []string{"DL3022", "DL3023"}},
		{CheckUnusedStage, "Stage never used", "A stage is neither the target, nor a base of it, nor copied from.", "Remove it, or build it as its own target.", nil},
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	return rules
}

func ruleOf(id string) Rule {
	for _, r := range Rules() {
		if r.ID == id {
			return r
		}
	}
	return Rule{ID: id}
}

// Check runs every Dockerfile check on f with the image's evidence. The
// findings are ordered by bytes at stake, then file line.
func Check(f *File, ev Evidence) ([]Finding, error) {
	target, err := f.Stage(ev.Target)
	if err != nil {
		return nil, err
	}
	chain := f.Chain(target)
	c := &checker{f: f, ev: ev}
	for _, s := range chain {
		c.buildTools(s)
		c.packageCache(s)
		c.contextCopies(s)
		c.secrets(s)
	}
	for i := range f.Stages {
		c.base(&f.Stages[i])
		c.adds(&f.Stages[i])
		c.copyFrom(&f.Stages[i])
	}
	c.config(chain)
	c.unusedStages(target)
	sort.SliceStable(c.out, func(i, j int) bool {
		if c.out[i].Bytes != c.out[j].Bytes {
			return c.out[i].Bytes > c.out[j].Bytes
		}
		return c.out[i].Lines.Start < c.out[j].Lines.Start
	})
	return c.out, nil
}

type checker struct {
	f   *File
	ev  Evidence
	out []Finding
}

func (c *checker) add(id string, sev Severity, s *Stage, l Lines, bytes int64, msg string) {
	r := ruleOf(id)
	c.out = append(c.out, Finding{ID: id, Severity: sev, Title: r.Title, Message: msg, File: c.f.Path, Lines: l,
		Stage: s.Label(), Bytes: bytes, Hadolint: r.Hadolint})
}

func mb(n int64) string { return humanize.Bytes(uint64(n)) }

func (c *checker) buildTools(s *Stage) {
	for _, in := range s.Instructions {
		e := c.ev.Lines[in.Lines.Start]
		if len(e.BuildTools) == 0 {
			continue
		}
		pkgs := append([]Package(nil), e.BuildTools...)
		sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].Bytes > pkgs[j].Bytes })
		var names []string
		var total int64
		for _, p := range pkgs {
			names = append(names, p.Name)
			total += p.Bytes
		}
		if len(names) > 5 {
			names = append(names[:5], fmt.Sprintf("%d more", len(pkgs)-5))
		}
		sev := SeverityWarning
		if total >= buildToolsErrorAbove {
			sev = SeverityError
		}
		c.add(CheckBuildTools, sev, s, in.Lines, total, fmt.Sprintf("%s:%d puts %s of build tools into the final image (%s): build in a stage and COPY --from it the artefacts only",
			c.f.Path, in.Lines.Start, mb(total), strings.Join(names, ", ")))
	}
}

var installRe = regexp.MustCompile(`\b(apt-get|apt|apk|pip3?|npm|yarn|pnpm|dnf|yum|microdnf|gem|bundle)\b[^;&|]*\b(install|add|ci)\b`)

func (c *checker) packageCache(s *Stage) {
	for _, in := range s.Instructions {
		run, ok := in.Command.(*instructions.RunCommand)
		if !ok {
			continue
		}
		e := c.ev.Lines[in.Lines.Start]
		if e.CacheBytes == 0 || !installRe.MatchString(runCommand(run)) {
			continue
		}
		if hasCacheMount(run) {
			continue
		}
		sev := SeverityInfo
		if e.CacheBytes >= packageCacheWarnAbove {
			sev = SeverityWarning
		}
		where := ""
		if len(e.CachePaths) > 0 {
			where = " (" + strings.Join(e.CachePaths, ", ") + ")"
		}
		c.add(CheckPackageCache, sev, s, in.Lines, e.CacheBytes, fmt.Sprintf("%s:%d installs packages and ships %s of caches and lists%s: clean them in the same RUN or use RUN --mount=type=cache",
			c.f.Path, in.Lines.Start, mb(e.CacheBytes), where))
	}
}

// manifests are the dependency manifests whose install a context copy
// should follow.
var manifests = []string{"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "requirements.txt", "pyproject.toml",
	"setup.py", "Pipfile", "poetry.lock", "go.mod", "go.sum", "Gemfile", "Gemfile.lock", "pom.xml", "build.gradle", "Cargo.toml", "Cargo.lock", "composer.json"}

var depInstallRe = regexp.MustCompile(`\b(npm (ci|install|i)\b|yarn( install)?\b|pnpm (install|i)\b|pip3? install\b|poetry install|go mod download|go build|bundle install|mvn\b|gradle\b|cargo (build|fetch)|composer install)`)

func hasCacheMount(run *instructions.RunCommand) bool {
	for _, m := range instructions.GetMounts(run) {
		if m.Type == instructions.MountTypeCache {
			return true
		}
	}
	return false
}

// isWholeContext reports whether a COPY/ADD source is the whole context.
func isWholeContext(src string) bool {
	return src == "." || src == "./" || src == "/" || src == "*"
}

func (c *checker) contextCopies(s *Stage) {
	manifestCopied := false
	for i, in := range s.Instructions {
		cp, ok := in.Command.(*instructions.CopyCommand)
		var srcs []string
		if ok && cp.From == "" {
			srcs = cp.SourcePaths
		} else if add, isAdd := in.Command.(*instructions.AddCommand); isAdd {
			srcs = add.SourcePaths
		} else {
			continue
		}
		whole := false
		for _, src := range srcs {
			if isWholeContext(src) {
				whole = true
			}
			for _, m := range manifests {
				if strings.HasSuffix(src, m) {
					manifestCopied = true
				}
			}
		}
		if !whole {
			continue
		}
		if e := c.ev.Lines[in.Lines.Start]; len(e.ContextJunk) > 0 {
			var total int64
			var paths []string
			for _, j := range e.ContextJunk {
				total += j.Bytes
				paths = append(paths, j.Path)
			}
			ign := "there is no .dockerignore next to the Dockerfile"
			if c.ev.Dockerignore {
				ign = "the .dockerignore next to the Dockerfile does not exclude them"
			}
			c.add(CheckContextJunk, SeverityWarning, s, in.Lines, total, fmt.Sprintf("%s:%d copies the build context with %s (%s): %s",
				c.f.Path, in.Lines.Start, strings.Join(paths, ", "), mb(total), ign))
		}
		if manifestCopied {
			continue
		}
		for _, later := range s.Instructions[i+1:] {
			run, ok := later.Command.(*instructions.RunCommand)
			if !ok || !depInstallRe.MatchString(runCommand(run)) {
				continue
			}
			c.add(CheckContextFirst, SeverityWarning, s, in.Lines, c.ev.Lines[later.Lines.Start].Bytes,
				fmt.Sprintf("%s:%d copies the whole build context before the dependency install at line %d: any source change reruns it; COPY the manifests first",
					c.f.Path, in.Lines.Start, later.Lines.Start))
			break
		}
	}
}

var (
	secretRe      = regexp.MustCompile(`(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)`)
	secretAllowRe = regexp.MustCompile(`(?i)(?:_|^)public(?:_|$)`)
)

func (c *checker) secrets(s *Stage) {
	for _, in := range s.Instructions {
		var keys []string
		switch cmd := in.Command.(type) {
		case *instructions.ArgCommand:
			for _, kv := range cmd.Args {
				keys = append(keys, kv.Key)
			}
		case *instructions.EnvCommand:
			for _, kv := range cmd.Env {
				keys = append(keys, kv.Key)
			}
		}
		for _, k := range keys {
			if secretRe.MatchString(k) && !secretAllowRe.MatchString(k) {
				c.add(CheckSecret, SeverityError, s, in.Lines, 0, fmt.Sprintf("%s:%d %s %s looks like a secret: its value is recorded in the image (value not shown); use RUN --mount=type=secret",
					c.f.Path, in.Lines.Start, in.Keyword, k))
			}
		}
	}
}

func (c *checker) base(s *Stage) {
	if s.Parent >= 0 || s.BaseName == "" || strings.EqualFold(s.BaseName, "scratch") || strings.Contains(s.BaseName, "$") {
		return
	}
	ref := s.BaseName
	if strings.Contains(ref, "@") {
		return
	}
	name := ref
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		name = ref[i+1:]
	}
	_, tag, hasTag := strings.Cut(name, ":")
	if !hasTag || tag == "latest" {
		c.add(CheckBaseLatest, SeverityWarning, s, s.From, 0, fmt.Sprintf("%s:%d FROM %s: %s moves with every release; name a version and pin its digest",
			c.f.Path, s.From.Start, ref, map[bool]string{true: ":latest", false: "no tag (latest)"}[hasTag]))
		return
	}
	c.add(CheckBaseNotPinned, SeverityInfo, s, s.From, 0, fmt.Sprintf("%s:%d FROM %s is not pinned by digest: the build is not reproducible", c.f.Path, s.From.Start, ref))
}

var archiveRe = regexp.MustCompile(`\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tar\.lz4)$`)

func (c *checker) adds(s *Stage) {
	for _, in := range s.Instructions {
		add, ok := in.Command.(*instructions.AddCommand)
		if !ok {
			continue
		}
		for _, src := range add.SourcePaths {
			switch {
			case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
				if add.Checksum == "" {
					c.add(CheckAddURL, SeverityWarning, s, in.Lines, c.ev.Lines[in.Lines.Start].Bytes, fmt.Sprintf("%s:%d ADD %s downloads without a checksum: use ADD --checksum or RUN curl with a verified checksum", c.f.Path, in.Lines.Start, src))
				}
			case archiveRe.MatchString(src):
				c.add(CheckAddArchive, SeverityInfo, s, in.Lines, c.ev.Lines[in.Lines.Start].Bytes, fmt.Sprintf("%s:%d ADD %s extracts the archive implicitly: say so with COPY + RUN tar, or keep ADD on purpose", c.f.Path, in.Lines.Start, src))
			}
		}
	}
}

func (c *checker) copyFrom(s *Stage) {
	for _, in := range s.Instructions {
		cp, ok := in.Command.(*instructions.CopyCommand)
		if !ok || cp.From == "" {
			continue
		}
		if strings.ContainsAny(cp.From, ":/@$") {
			continue // an image reference, or an ARG
		}
		idx := c.f.stageIndex(cp.From)
		switch {
		case idx == s.Index:
			c.add(CheckCopyFromUnknown, SeverityError, s, in.Lines, 0, fmt.Sprintf("%s:%d COPY --from=%s copies from its own stage", c.f.Path, in.Lines.Start, cp.From))
		case idx < 0 || idx > s.Index:
			c.add(CheckCopyFromUnknown, SeverityError, s, in.Lines, 0, fmt.Sprintf("%s:%d COPY --from=%s names no earlier stage: BuildKit would pull an image named %q", c.f.Path, in.Lines.Start, cp.From, cp.From))
		}
	}
}

// stageIndex returns the index of the stage named (or numbered) name, -1.
func (f *File) stageIndex(name string) int {
	for i := range f.Stages {
		if f.Stages[i].Name != "" && strings.EqualFold(f.Stages[i].Name, name) {
			return i
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < len(f.Stages) {
		return n
	}
	return -1
}

func (c *checker) config(chain []*Stage) {
	last := chain[len(chain)-1]
	var user, entry, cmd *Instruction
	var userStage, entryStage, cmdStage *Stage
	for _, s := range chain {
		for i := range s.Instructions {
			in := &s.Instructions[i]
			switch in.Keyword {
			case "USER":
				user, userStage = in, s
			case "ENTRYPOINT":
				entry, entryStage = in, s
			case "CMD":
				cmd, cmdStage = in, s
			}
		}
	}
	u := strings.TrimSpace(c.ev.User)
	name, _, _ := strings.Cut(u, ":")
	if name == "" || name == "root" || name == "0" {
		l, s := last.From, last
		what := "no USER: the base image's user"
		if user != nil {
			l, s, what = user.Lines, userStage, "the last USER"
		}
		c.add(CheckRootUser, SeverityWarning, s, l, 0, fmt.Sprintf("%s:%d the image runs as root (%s); add a USER with a non-root uid", c.f.Path, l.Start, what))
	}
	if entry != nil {
		if e, ok := entry.Command.(*instructions.EntrypointCommand); ok && e.PrependShell {
			c.add(CheckShellEntrypoint, SeverityWarning, entryStage, entry.Lines, 0, fmt.Sprintf("%s:%d ENTRYPOINT in shell form: the shell is PID 1 and does not forward SIGTERM; use [\"prog\", \"arg\"]", c.f.Path, entry.Lines.Start))
		}
	}
	if cmd != nil {
		if e, ok := cmd.Command.(*instructions.CmdCommand); ok && e.PrependShell && entry == nil {
			c.add(CheckShellCmd, SeverityWarning, cmdStage, cmd.Lines, 0, fmt.Sprintf("%s:%d CMD in shell form: the shell is PID 1 and does not forward SIGTERM; use [\"prog\", \"arg\"]", c.f.Path, cmd.Lines.Start))
		}
	}
}

// unusedStages flags stages the target does not reach through FROM,
// COPY --from or RUN --mount from=.
func (c *checker) unusedStages(target *Stage) {
	used := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if i < 0 || used[i] {
			return
		}
		used[i] = true
		s := &c.f.Stages[i]
		visit(s.Parent)
		for _, in := range s.Instructions {
			switch cmd := in.Command.(type) {
			case *instructions.CopyCommand:
				if cmd.From != "" {
					visit(c.f.stageIndex(cmd.From))
				}
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(cmd) {
					if m.From != "" {
						visit(c.f.stageIndex(m.From))
					}
				}
			}
		}
	}
	visit(target.Index)
	for i := range c.f.Stages {
		if s := &c.f.Stages[i]; !used[i] {
			c.add(CheckUnusedStage, SeverityInfo, s, s.From, 0, fmt.Sprintf("%s:%d stage %s is never used by the target %s", c.f.Path, s.From.Start, s.Label(), target.Label()))
		}
	}
}
