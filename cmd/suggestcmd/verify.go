package suggestcmd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/suggest"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	reportjson "github.com/imgdiff/imgdiff/report/json"
	"github.com/imgdiff/imgdiff/report/view"
)

// VerifyOptions are the flags of `suggest --verify`: build the
// suggestion, run it and the original the same way, and compare.
type VerifyOptions struct {
	// On is --verify.
	On bool
	// Smoke is --smoke: a command run in both images.
	Smoke string
	// Context is --context-dir: the build context (default: the
	// Dockerfile's directory).
	Context string
	// Timeout bounds each run (--timeout).
	Timeout time.Duration
	// Tag is --tag: keep the built image under this name (default: a
	// temporary name, removed).
	Tag string
	// BuildArgs are --build-arg KEY=VALUE, for the build.
	BuildArgs []string
	// BuildNetwork is --build-network, the build's RUN network mode.
	BuildNetwork string
	// Docker is --docker, the docker CLI to run.
	Docker string

	// engine replaces the docker CLI (tests).
	engine Engine
}

// DefaultVerifyTimeout is how long each run lasts at most by default.
const DefaultVerifyTimeout = 10 * time.Second

// cleanupTimeout bounds the cleanup after an interrupt or a failure: the
// run's context may be gone, the containers must still go.
const cleanupTimeout = 60 * time.Second

func addVerifyFlags(fs *pflag.FlagSet, v *VerifyOptions) {
	fs.BoolVar(&v.On, "verify", false, "build the suggestion with BuildKit (docker CLI), run it and the original the same way, and compare their behaviour and the built size with the prediction")
	fs.StringVar(&v.Smoke, "smoke", "", "with --verify: also run `CMD` in both images and compare its exit status and output")
	fs.StringVar(&v.Context, "context-dir", "", "with --verify: the build context `DIR` (default: the Dockerfile's directory)")
	fs.DurationVar(&v.Timeout, "timeout", DefaultVerifyTimeout, "with --verify: how long each run may last before it is stopped and counted as still running")
	fs.StringVar(&v.Tag, "tag", "", "with --verify: tag the built suggestion `NAME` and keep it (default: a temporary tag, removed)")
	fs.StringArrayVar(&v.BuildArgs, "build-arg", nil, "with --verify: a build argument for the build, KEY=VALUE (repeatable)")
	fs.StringVar(&v.BuildNetwork, "build-network", "", "with --verify: the network mode of the build's RUN steps (default: the builder's)")
	fs.StringVar(&v.Docker, "docker", "docker", "with --verify: the docker CLI to build and run with (`PATH`)")
}

// validate checks the --verify flags against the others.
func (v *VerifyOptions) validate(o *Options) error {
	if !v.On {
		for _, f := range []struct {
			name string
			set  bool
		}{{"--smoke", v.Smoke != ""}, {"--context-dir", v.Context != ""}, {"--tag", v.Tag != ""}, {"--build-arg", len(v.BuildArgs) > 0}, {"--build-network", v.BuildNetwork != ""}, {"--timeout", v.Timeout != DefaultVerifyTimeout}, {"--docker", v.Docker != "docker"}} {
			if f.set {
				return cmdutil.FlagErrorf("%s needs --verify", f.name)
			}
		}
		return nil
	}
	if o.Check != "" {
		return cmdutil.FlagErrorf("--verify builds the suggestion and checks it; --check checks one built already: give one of them")
	}
	if v.Timeout <= 0 {
		return cmdutil.FlagErrorf("--timeout %s: want a positive duration", v.Timeout)
	}
	if strings.TrimSpace(v.Smoke) == "" && v.Smoke != "" {
		return cmdutil.FlagErrorf("--smoke %q: an empty command", v.Smoke)
	}
	for _, kv := range v.BuildArgs {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return cmdutil.FlagErrorf("--build-arg %q: want KEY=VALUE", kv)
		}
	}
	return nil
}

// Verification is what `suggest --verify` reports (-o json).
type Verification struct {
	Original string `json:"original"`
	// Suggested is the tag the suggestion was built as; Kept says whether
	// it is still there (--tag).
	Suggested  string  `json:"suggested"`
	Kept       bool    `json:"kept"`
	Builder    string  `json:"builder"`
	Dockerfile string  `json:"dockerfile"`
	Context    string  `json:"context"`
	Timeout    float64 `json:"timeoutSeconds"`
	// Runs are the two images run as configured, network off.
	Runs  RunPair    `json:"runs"`
	Smoke *SmokePair `json:"smoke,omitempty"`
	// Differences are how the suggestion behaved differently; Notes what
	// could not be compared.
	Differences   []string `json:"differences"`
	Notes         []string `json:"notes"`
	SameBehaviour bool     `json:"sameBehaviour"`
	// DockerSize is the built image's .Size as docker image inspect says,
	// DockerSizeError its distance from the prediction in % of it; Check
	// is the --check comparison of the built image (imgdiff's count,
	// the ΔS decomposition).
	DockerSize      int64   `json:"dockerSize"`
	DockerSizeError float64 `json:"dockerSizeErrorPercent"`
	Check           *Check  `json:"check"`
	Pass            bool    `json:"pass"`
	// Seconds are how long each part took.
	Seconds Timings `json:"seconds"`
}

// Timings are the wall-clock seconds of --verify's parts.
type Timings struct {
	Build float64 `json:"build"`
	Runs  float64 `json:"runs"`
	// Size is the size check: docker image inspect, docker save, and
	// the built image read and compared with the original.
	Size float64 `json:"size"`
}

// since is the seconds from start to now, to a tenth.
func since(start time.Time) float64 {
	return math.Round(10*time.Since(start).Seconds()) / 10
}

// RunPair is one way of running, in both images.
type RunPair struct {
	Original  *Run `json:"original"`
	Suggested *Run `json:"suggested"`
}

// SmokePair is the --smoke command's runs.
type SmokePair struct {
	Command []string `json:"command"`
	RunPair
}

// randomSuffix is a short random hex string for names no other run uses.
func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// verifyRun builds the suggestion s of the original (loaded as orig),
// runs both, compares, prints the verdict and returns ErrBudgetFailed
// when the suggestion behaves differently or misses the prediction.
// Every container and image it made is removed before it returns, also
// when ctx is cancelled (with a fresh, bounded context).
func verifyRun(ctx context.Context, opts *Options, po pipeline.Options, s *suggest.Suggestion, orig pipeline.Loaded) (err error) {
	v := &opts.Verify
	eng := v.engine
	if eng == nil {
		eng = newDockerCLI(v.Docker, dockerEnv(os.Environ(), opts.Source.Context))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if cerr := eng.Cleanup(cctx); cerr != nil {
			opts.IO.Errorf("warning: --verify could not remove everything it made: %v", cerr)
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
	}()
	abs := func(p string) string {
		if !filepath.IsAbs(p) && opts.IO.WorkDir != "" {
			p = filepath.Join(opts.IO.WorkDir, p)
		}
		return filepath.Clean(p)
	}
	r := &Verification{Original: opts.Ref, Timeout: v.Timeout.Seconds(), Differences: []string{}, Notes: []string{}}
	r.Context = abs(filepath.Dir(opts.Dockerfile))
	if v.Context != "" {
		r.Context = abs(v.Context)
	}
	if st, err := os.Stat(r.Context); err != nil || !st.IsDir() {
		return fmt.Errorf("--context-dir %s: not a directory", r.Context)
	}
	tmp, err := os.MkdirTemp("", "imgdiff-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r.Dockerfile = filepath.Join(tmp, "Dockerfile.suggested")
	if opts.OutputFile != "" {
		r.Dockerfile = abs(opts.OutputFile)
	}
	if err := os.WriteFile(r.Dockerfile, []byte(s.Dockerfile), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", r.Dockerfile, err)
	}

	if r.Builder, err = eng.Builder(ctx); err != nil {
		return fmt.Errorf("--verify: %w", err)
	}
	suffix := randomSuffix()
	r.Suggested, r.Kept = v.Tag, v.Tag != ""
	if r.Suggested == "" {
		r.Suggested = "imgdiff-verify-" + suffix + ":suggested"
	}
	original, err := eng.Image(ctx, opts.Ref)
	if err != nil {
		return fmt.Errorf("--verify: %w", err)
	}
	opts.IO.Errorf("--verify: building the suggestion as %s with %s", r.Suggested, r.Builder)
	start := time.Now()
	log, err := eng.Build(ctx, BuildSpec{Dockerfile: r.Dockerfile, Context: r.Context, Tag: r.Suggested, BuildArgs: v.BuildArgs, Network: v.BuildNetwork, Keep: r.Kept})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		writeLogTail(opts.IO.ErrOut, log, 30)
		where := r.Dockerfile
		if opts.OutputFile == "" {
			where = "--output-file keeps it"
		}
		return fmt.Errorf("--verify: the suggestion for %s does not build (%s; context %s): %w", opts.Ref, where, r.Context, err)
	}

	r.Seconds.Build = since(start)
	var smoke []string
	if v.Smoke != "" {
		smoke = smokeArgv(v.Smoke)
		r.Smoke = &SmokePair{Command: smoke}
	}
	names := v.Tag
	if names == "" {
		names = "imgdiff-verify"
	}
	prefix := containerName(names) + "-" + suffix
	opts.IO.Errorf("--verify: running %s and the suggestion, network off, for at most %s each", opts.Ref, v.Timeout)
	start = time.Now()
	g, gctx := errgroup.WithContext(ctx)
	helpers := []string{original, r.Suggested}
	// A library or base image runs nothing by itself: its suggestion
	// keeps its configuration, and only --smoke can tell them apart.
	cfg := orig.Image.Config
	noCmd := len(cfg.Entrypoint) == 0 && len(cfg.Cmd) == 0
	if noCmd {
		msg := "the original has no ENTRYPOINT or CMD: neither image is run by itself"
		if v.Smoke == "" {
			msg += "; without --smoke nothing of their behaviour is compared"
		}
		r.Notes = append(r.Notes, msg)
		opts.IO.Errorf("--verify: %s", msg)
	}
	for _, x := range []struct {
		image, name    string
		main, smokeRun **Run
	}{{original, prefix + "-original", &r.Runs.Original, smokeSlot(r.Smoke, true)}, {r.Suggested, prefix + "-suggested", &r.Runs.Suggested, smokeSlot(r.Smoke, false)}} {
		g.Go(func() error {
			m, sm, err := eng.Run(gctx, RunSpec{Image: x.image, Name: x.name, Timeout: v.Timeout, Smoke: smoke, PortsHelpers: helpers, NoCommand: noCmd})
			if err != nil {
				return fmt.Errorf("--verify: run %s: %w", x.image, err)
			}
			*x.main = m
			if x.smokeRun != nil {
				*x.smokeRun = sm
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.Seconds.Runs = since(start)
	start = time.Now()
	notes := r.Notes
	r.Differences, r.Notes = compareRuns("run", r.Runs.Original, r.Runs.Suggested)
	r.Notes = append(notes, r.Notes...)
	if r.Smoke != nil {
		d, n := compareRuns("--smoke", r.Smoke.Original, r.Smoke.Suggested)
		r.Differences, r.Notes = append(r.Differences, d...), append(r.Notes, n...)
	}
	r.Differences, r.Notes = nonNil(r.Differences), nonNil(r.Notes)
	r.SameBehaviour = len(r.Differences) == 0

	// The size: docker's own count, and --check's comparison of the
	// built image (saved through the same CLI, so the engine is the one
	// that built it).
	if r.DockerSize, err = eng.Size(ctx, r.Suggested); err != nil {
		return fmt.Errorf("--verify: %w", err)
	}
	saved, err := eng.Save(ctx, r.Suggested, tmp)
	if err != nil {
		return fmt.Errorf("--verify: save %s: %w", r.Suggested, err)
	}
	po.Budgets = nil
	po.RunFacts = false
	built, err := pipeline.Load(ctx, po, saved)
	if err != nil {
		return fmt.Errorf("--verify: read the built image: %w", err)
	}
	c, err := pipeline.CompareLoaded(po, orig, built[0], analyze.CompareOptions{})
	if err != nil {
		return err
	}
	r.Check = newCheck(opts.Ref, r.Suggested, s, c)
	r.Seconds.Size = since(start)
	r.DockerSizeError = percent(r.DockerSize-s.Prediction.Predicted, r.DockerSize)
	r.Pass = r.SameBehaviour && r.Check.Pass && math.Abs(r.DockerSizeError) <= CheckTolerance

	if err := writeVerification(opts.IO.Out, opts.Format, r); err != nil {
		return err
	}
	if !r.Pass {
		var why []string
		if !r.SameBehaviour {
			why = append(why, fmt.Sprintf("it behaves differently (%d difference(s))", len(r.Differences)))
		}
		if !r.Check.Pass || math.Abs(r.DockerSizeError) > CheckTolerance {
			why = append(why, fmt.Sprintf("the built image is %+.1f%% (docker) / %+.1f%% (imgdiff) from the predicted size (tolerance %.0f%%)", r.DockerSizeError, r.Check.SizeError, CheckTolerance))
		}
		opts.IO.Errorf("--verify: the suggestion fails: %s", strings.Join(why, "; "))
		return cmdutil.ErrBudgetFailed
	}
	return nil
}

func smokeSlot(p *SmokePair, original bool) **Run {
	switch {
	case p == nil:
		return nil
	case original:
		return &p.Original
	}
	return &p.Suggested
}

// containerName makes a container-name prefix of an image name: docker
// allows [a-zA-Z0-9][a-zA-Z0-9_.-]*.
func containerName(image string) string {
	var b strings.Builder
	for _, c := range image {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "_.-")
	if s == "" {
		s = "imgdiff-verify"
	}
	return s
}

// writeLogTail writes the last n lines of a build log to w, each made
// visible (a build log echoes the Dockerfile and the image's output).
func writeLogTail(w io.Writer, log []byte, n int) {
	lines := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  | %s\n", model.Visible(l))
	}
}

func writeVerification(w io.Writer, format string, r *Verification) error {
	if format == "json" {
		return reportjson.Write(w, r)
	}
	var b strings.Builder
	kept := "removed"
	if r.Kept {
		kept = "kept"
	}
	fmt.Fprintf(&b, "built      %s (%s) with %s\n", view.OneLine(r.Suggested), kept, r.Builder)
	fmt.Fprintf(&b, "context    %s\n", view.OneLine(r.Context))
	fmt.Fprintf(&b, "took       %.1fs to build, %.1fs to run both, %.1fs to measure\n", r.Seconds.Build, r.Seconds.Runs, r.Seconds.Size)
	fmt.Fprintf(&b, "\nrun, network off, at most %gs:\n", r.Timeout)
	runRows(&b, "original", r.Runs.Original)
	runRows(&b, "suggested", r.Runs.Suggested)
	if r.Smoke != nil {
		fmt.Fprintf(&b, "\n--smoke %s:\n", view.OneLine(strings.Join(r.Smoke.Command, " ")))
		runRows(&b, "original", r.Smoke.Original)
		runRows(&b, "suggested", r.Smoke.Suggested)
	}
	if r.SameBehaviour {
		b.WriteString("\nbehaviour: the same\n")
	} else {
		b.WriteString("\nbehaviour: DIFFERENT\n")
		for _, d := range r.Differences {
			fmt.Fprintf(&b, "  - %s\n", model.Visible(d))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  not compared: %s\n", model.Visible(n))
	}
	fmt.Fprintf(&b, "\nbuilt size (docker image inspect) %s (%d bytes): %+.1f%% of the built size from the predicted %s\n\n",
		view.Human(r.DockerSize), r.DockerSize, r.DockerSizeError, view.Human(r.Check.Sizes.Predicted))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := writeCheck(w, "table", r.Check); err != nil {
		return err
	}
	verdict := "pass"
	if !r.Pass {
		verdict = "FAIL"
	}
	_, err := fmt.Fprintf(w, "\nverdict: %s\n", verdict)
	return err
}

// runRows prints one run: how it ended, its ports and first lines.
func runRows(b *strings.Builder, who string, r *Run) {
	if r == nil {
		return
	}
	ports := ""
	switch {
	case !r.Running:
	case r.Ports != nil:
		ports = "; listens on " + portList(r.Ports)
	default:
		ports = "; ports not read: " + r.PortsUnknown
	}
	fmt.Fprintf(b, "  %-9s %s%s\n", who, model.Visible(r.outcome()), model.Visible(ports))
	if len(r.Command) > 0 {
		fmt.Fprintf(b, "  %-9s ran %s\n", "", model.Visible(strings.Join(r.Command, " ")))
	}
	for _, s := range []struct {
		name  string
		lines []string
	}{{"stdout", r.Stdout}, {"stderr", r.Stderr}} {
		for i, l := range s.lines {
			if i == 3 {
				fmt.Fprintf(b, "  %-9s %s …(%d lines compared)\n", "", s.name, len(s.lines))
				break
			}
			fmt.Fprintf(b, "  %-9s %s| %s\n", "", s.name, model.Visible(l))
		}
	}
}

// dockerEnv is the environment of the docker CLI --verify runs: the
// user's, and with --context NAME that context, so that the images are
// built and run on the engine the original was read from. As in the
// docker CLI, a context named on the command line wins over DOCKER_HOST,
// which would otherwise win over DOCKER_CONTEXT: it is left out.
func dockerEnv(env []string, dockerContext string) []string {
	if dockerContext == "" {
		return env
	}
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if strings.HasPrefix(kv, "DOCKER_HOST=") || strings.HasPrefix(kv, "DOCKER_CONTEXT=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "DOCKER_CONTEXT="+dockerContext)
}
