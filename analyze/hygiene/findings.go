// Package hygiene owns the findings about an image as a whole (root user,
// shell-form ENTRYPOINT, apt lists, a build context copied before the
// dependency install, wasted bytes, VCS data, secrets), with their stable
// ids, the shapes that make a config value or history line a credential,
// and the redaction step that takes those values out of an image before
// anything reports it.
package hygiene

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Finding ids. They are stable: budgets (`fail-on`) and CI scripts name them.
const (
	FindingRootUser          = "root-user"
	FindingShellEntrypoint   = "shell-form-entrypoint"
	FindingShellCmd          = "shell-form-cmd"
	FindingAptUpdateAlone    = "apt-update-without-install"
	FindingAptListsLeft      = "apt-lists-left"
	FindingContextBeforeDeps = "context-copied-before-install"
	FindingWasted            = "wasted-bytes"
	FindingSecretFile        = "secret"
	FindingSecretEnv         = "secret-in-config"
	FindingSecretArg         = "secret-in-build-arg"
	FindingSecretHistory     = "secret-in-history"
	FindingVCS               = "vcs-data"
	FindingManyLayers        = "many-layers"
	FindingNoHealthcheck     = "no-healthcheck"
)

// findingIDs is the one table of finding ids: every id Findings reports,
// in the order IDs lists them, and whether the id is one of the secret
// findings that `fail-on: secret` takes as well as its own. IDs, Covers and
// budgets' fail-on validation all derive from it; a new finding is a row
// here (TestEveryFindingIDIsInTheTable checks the constants against it).
var findingIDs = []struct {
	id     string
	secret bool
}{
	{FindingRootUser, false},
	{FindingShellEntrypoint, false},
	{FindingShellCmd, false},
	{FindingAptUpdateAlone, false},
	{FindingAptListsLeft, false},
	{FindingContextBeforeDeps, false},
	{FindingWasted, false},
	{FindingSecretFile, true},
	{FindingSecretEnv, true},
	{FindingSecretArg, true},
	{FindingSecretHistory, true},
	{FindingVCS, false},
	{FindingManyLayers, false},
	{FindingNoHealthcheck, false},
}

// IDs returns the finding ids, in a fixed order: the ones budgets'
// fail-on accepts besides the categories. It returns a new slice.
func IDs() []string {
	out := make([]string, len(findingIDs))
	for i, f := range findingIDs {
		out[i] = f.id
	}
	return out
}

// Covers reports whether a fail-on entry named name takes a finding with
// the given id: its own id, and for "secret" (FindingSecretFile, which is
// also the category) every secret finding: a credential in a file, in the
// config, in a build argument or pasted into a RUN.
func Covers(name, id string) bool {
	if name == id {
		return true
	}
	if name != FindingSecretFile {
		return false
	}
	for _, f := range findingIDs {
		if f.id == id {
			return f.secret
		}
	}
	return false
}

// manyLayers is the layer count above which an image is worth squashing
// into fewer steps: each layer costs a blob request, a decompression and
// an overlay mount.
const manyLayers = 25

// Findings runs the hygiene checks of the multi-stage checklist on img and
// its classification c, most severe first. It changes neither. On an image
// Redact returned, the credential findings of the config and history are
// the ones Redact recorded (the values they rest on are gone).
func Findings(img *model.Image, c *model.Classification) []model.Finding {
	var out []model.Finding
	out = append(out, secretFiles(img, c)...)
	out = append(out, configSecrets(img)...)
	out = append(out, rootUser(img)...)
	out = append(out, shellForm(img)...)
	out = append(out, aptChecks(img)...)
	out = append(out, contextBeforeInstall(img)...)
	out = append(out, wasted(img)...)
	out = append(out, vcsDirs(img, c)...)
	if n := len(img.Layers); n > manyLayers {
		out = append(out, model.Finding{ID: FindingManyLayers, Severity: model.Info, Step: -1,
			Title:  fmt.Sprintf("%d layers", n),
			Detail: fmt.Sprintf("more than %d layers: chain RUN commands or copy build output in one step", manyLayers)})
	}
	if !img.Config.Healthcheck {
		out = append(out, model.Finding{ID: FindingNoHealthcheck, Severity: model.Info, Step: -1, Field: "config.Healthcheck",
			Title: "no HEALTHCHECK", Detail: "orchestrators other than Kubernetes rely on it to restart a stuck container"})
	}
	sort.SliceStable(out, func(a, b int) bool { return severityRank(out[a].Severity) > severityRank(out[b].Severity) })
	return out
}

func severityRank(s model.Severity) int {
	switch s {
	case model.Error:
		return 2
	case model.Warning:
		return 1
	}
	return 0
}

// lastStep returns the last step whose instruction is name, or -1.
func lastStep(img *model.Image, name string) int {
	for i := len(img.Steps) - 1; i >= 0; i-- {
		if img.Steps[i].Instruction.Name == name {
			return i
		}
	}
	return -1
}

func rootUser(img *model.Image) []model.Finding {
	u := img.Config.User
	name, _, _ := strings.Cut(u, ":")
	if name != "" && name != "root" && name != "0" {
		return nil
	}
	return []model.Finding{{ID: FindingRootUser, Severity: model.Warning, Step: lastStep(img, "USER"), Field: "config.User",
		Title:  "runs as root",
		Detail: "no USER (or USER root): a process that escapes the container is root on the host's user namespace; add USER with a numeric uid"}}
}

// isShellForm reports whether an ENTRYPOINT/CMD array is Docker's shell
// form: ["/bin/sh", "-c", "..."].
func isShellForm(args []string) bool {
	return len(args) >= 3 && (args[0] == "/bin/sh" || args[0] == "/bin/bash" || args[0] == "sh") && args[1] == "-c"
}

func shellForm(img *model.Image) []model.Finding {
	cfg := img.Config
	if isShellForm(cfg.Entrypoint) {
		return []model.Finding{{ID: FindingShellEntrypoint, Severity: model.Warning, Step: lastStep(img, "ENTRYPOINT"), Field: "config.Entrypoint",
			Title:  "shell-form ENTRYPOINT",
			Detail: "the shell is PID 1 and does not forward SIGTERM: `docker stop` waits 10 s and kills; use the exec form [\"prog\", \"arg\"]"}}
	}
	if len(cfg.Entrypoint) == 0 && isShellForm(cfg.Cmd) {
		return []model.Finding{{ID: FindingShellCmd, Severity: model.Warning, Step: lastStep(img, "CMD"), Field: "config.Cmd",
			Title:  "shell-form CMD",
			Detail: "the shell is PID 1 and does not forward SIGTERM: `docker stop` waits 10 s and kills; use the exec form [\"prog\", \"arg\"]"}}
	}
	return nil
}

var (
	aptUpdate  = regexp.MustCompile(`\bapt(-get)?\s+(-\S+\s+)*update\b`)
	aptInstall = regexp.MustCompile(`\bapt(-get)?\s+(-\S+\s+)*(install|upgrade|dist-upgrade|full-upgrade)\b`)
)

const aptListsDir = "var/lib/apt/lists"

func aptChecks(img *model.Image) []model.Finding {
	var out []model.Finding
	for i, s := range img.Steps {
		if s.Instruction.Name != "RUN" {
			continue
		}
		if aptUpdate.MatchString(s.Instruction.Args) && !aptInstall.MatchString(s.Instruction.Args) {
			out = append(out, model.Finding{ID: FindingAptUpdateAlone, Severity: model.Warning, Step: i,
				Title:  "apt-get update in a RUN that installs nothing",
				Detail: "the cached update layer goes stale while later installs reuse it; run update and install in one RUN, then rm -rf /var/lib/apt/lists/*"})
		}
	}
	var bytes int64
	steps := map[int]int64{}
	if i, ok := img.FS.IndexOf(aptListsDir); ok {
		for j, end := i, img.FS.TreeEnd(i); j < end; j++ {
			if f := img.FS.At(j); f.Kind != index.Dir && f.Bytes > 0 {
				bytes += f.Bytes
				steps[img.StepOf(f.Layer)] += f.Bytes
			}
		}
	}
	if bytes > 0 {
		out = append(out, model.Finding{ID: FindingAptListsLeft, Severity: model.Warning, Step: model.MainStep(steps), Path: aptListsDir, Bytes: bytes,
			Title:  "apt package lists left in the image",
			Detail: "add `&& rm -rf /var/lib/apt/lists/*` to the RUN that installs"})
	}
	return out
}

// installCommand matches dependency installs that a COPY of the whole
// build context, placed before them, invalidates on every source change.
var installCommand = regexp.MustCompile(`\b(npm\s+(ci|install|i)|yarn(\s+install)?\b|pnpm\s+(install|i)|pip3?\s+install|poetry\s+install|go\s+mod\s+download|bundle\s+install|composer\s+install|mvn\b.*dependency:|cargo\s+fetch|dotnet\s+restore)`)

func contextBeforeInstall(img *model.Image) []model.Finding {
	for i, s := range img.Steps {
		if s.Instruction.Name != "COPY" && s.Instruction.Name != "ADD" {
			continue
		}
		args := strings.Fields(s.Instruction.Args)
		for len(args) > 0 && strings.HasPrefix(args[0], "--") {
			args = args[1:]
		}
		if len(args) < 2 || (args[0] != "." && args[0] != "./") {
			continue
		}
		for j := i + 1; j < len(img.Steps); j++ {
			t := img.Steps[j]
			if t.Instruction.Name == "RUN" && installCommand.MatchString(t.Instruction.Args) {
				return []model.Finding{{ID: FindingContextBeforeDeps, Severity: model.Warning, Step: i, Related: []int{j},
					Title:  "whole build context copied before the dependency install",
					Detail: fmt.Sprintf("any source change re-runs step %d (%s); copy the dependency manifests first, install, then COPY . .", j, model.Shorten(t.Instruction.String(), 60))}}
			}
		}
	}
	return nil
}

// wasted reports, per step that hid them, the bytes of lower layers that
// a later layer deleted or overwrote: they ship in every pull but no
// container sees them.
func wasted(img *model.Image) []model.Finding {
	type acc struct {
		bytes   int64
		writers map[int]bool
		biggest model.HiddenFile
	}
	byStep := map[int]*acc{}
	for _, h := range img.Hidden {
		if h.Size == 0 {
			continue
		}
		s := img.StepOf(h.By)
		a := byStep[s]
		if a == nil {
			a = &acc{writers: map[int]bool{}}
			byStep[s] = a
		}
		a.bytes += h.Size
		a.writers[img.StepOf(h.Layer)] = true
		if h.Size > a.biggest.Size {
			a.biggest = h
		}
	}
	var steps []int
	for s := range byStep {
		steps = append(steps, s)
	}
	sort.Ints(steps)
	var out []model.Finding
	for _, s := range steps {
		a := byStep[s]
		var related []int
		for w := range a.writers {
			related = append(related, w)
		}
		sort.Ints(related)
		sev := model.Info
		if a.bytes >= 1_000_000 {
			sev = model.Warning
		}
		out = append(out, model.Finding{ID: FindingWasted, Severity: sev, Step: s, Related: related, Bytes: a.bytes, Path: a.biggest.Path,
			Title:  fmt.Sprintf("%s deleted or overwritten here still ship in lower layers", humanize.Bytes(uint64(a.bytes))),
			Detail: "delete files in the RUN that creates them, or copy only the result into a fresh stage"})
	}
	return out
}

func secretFiles(img *model.Image, c *model.Classification) []model.Finding {
	var out []model.Finding
	for i := range c.Flags.Len() {
		fl := c.Flags.At(i)
		if fl.Category != model.Secret {
			continue
		}
		f := img.FS.At(i)
		out = append(out, model.Finding{ID: FindingSecretFile, Severity: model.Error, Step: img.StepOf(f.Layer), Path: f.Path, Bytes: f.Bytes,
			Title:  "secret in the image",
			Detail: fmt.Sprintf("rule %s (%s); content not shown. Use a BuildKit secret mount, and rotate it", fl.Rule, fl.Evidence)})
	}
	return out
}

// vcsDirs reports each VCS directory once, at its top, with the step that
// wrote most of its bytes.
func vcsDirs(img *model.Image, c *model.Classification) []model.Finding {
	var out []model.Finding
	var cur *model.Finding
	var steps map[int]int64
	done := func() {
		if cur != nil && len(steps) > 0 {
			cur.Step = model.MainStep(steps)
		}
	}
	defer done()
	for i := range img.FS.Len() {
		f := img.FS.At(i)
		if c.Flags.Category(i) != model.VCS && !(f.Kind == index.Dir && isVCSDir(f.Path)) {
			continue
		}
		if f.Kind == index.Dir && isVCSDir(f.Path) && (cur == nil || !index.Under(f.Path, cur.Path)) {
			done()
			steps = map[int]int64{}
			out = append(out, model.Finding{ID: FindingVCS, Severity: model.Warning, Step: img.StepOf(f.Layer), Path: f.Path,
				Title:  "version control data in the image",
				Detail: "history is not program, and may hold secrets; add it to .dockerignore"})
			cur = &out[len(out)-1]
			continue
		}
		if cur != nil && index.Under(f.Path, cur.Path) {
			cur.Bytes += f.Bytes
			steps[img.StepOf(f.Layer)] += f.Bytes + 1
		}
	}
	return out
}

func isVCSDir(p string) bool {
	switch index.Base(p) {
	case ".git", ".svn", ".hg", ".bzr":
		return true
	}
	return false
}
