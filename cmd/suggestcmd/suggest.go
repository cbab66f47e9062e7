// Package suggestcmd implements `imgdiff suggest IMAGE --dockerfile PATH`:
// the multi-stage Dockerfile for a single-stage image (analyze/suggest),
// written to stdout or a file, and its predicted size on stderr.
package suggestcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/suggest"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/report"
)

// Options are the parsed flags and arguments of `imgdiff suggest`.
type Options struct {
	IO     *cmdutil.IOStreams
	Source cmdutil.SourceOptions
	Ref    string
	// Dockerfile is --dockerfile: the file that built the image.
	Dockerfile string
	// Target is --target: the stage that was built ("" is the last).
	Target string
	// OutputFile is --output-file: where the Dockerfile goes instead of
	// stdout.
	OutputFile string
	// Format is -o: how the prediction is printed on stderr (or the
	// check report on stdout), "table" or "json".
	Format string
	// Check is --check: the image built from the suggestion, compared
	// with the original and the prediction instead of writing the
	// Dockerfile.
	Check string
	// Base is --base: the final stage's base the user chose (distroless,
	// a company base) instead of the one the evidence picks.
	Base string
	// Verify are the --verify flags (verify.go).
	Verify VerifyOptions
	Config config.BudgetFlags
}

// NewCmdSuggest returns the suggest command. runF replaces the run
// function in tests that only check flag parsing.
func NewCmdSuggest(ios *cmdutil.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "suggest IMAGE --dockerfile PATH",
		Short: "Write the multi-stage Dockerfile for a single-stage image, from its own evidence",
		Long: `suggest reads a single-stage image and the Dockerfile that built it, and writes
a multi-stage Dockerfile: the original build kept as the build stage (with
BuildKit cache mounts), and a final stage with only what the app needs at run
time, every decision commented with its evidence. What it could not decide is
asked in comments, and copied rather than dropped. The predicted size and ΔS
go to stderr.

The walk reads what the app runs: the ELF headers of executables and shared
libraries (PT_INTERP, DT_NEEDED: a static binary with no runtime package gets
FROM scratch; a dynamic one needing a few libraries gets FROM scratch with the
loader and its library closure copied, else the packages owning its
libraries) and the scripts ENTRYPOINT, CMD and HEALTHCHECK name (a tool a
script runs keeps its package, and a question is asked). The runtime
packages are those the package database records as asked for by name (apt's
extended_states, apk's world), never read from the install commands; rpm
records none, so on rpm-family images (dnf, microdnf, yum) they are the
owners of what the kept files and the container's programs need.

--base IMAGE starts the final stage from an image you choose (distroless, a
company base): the copied libraries skip what it has. One that cannot be read
is said, and everything is copied.

Check the prediction after building the suggestion: with --check BUILT,
suggest computes the prediction again and compares it with the built image:
original, predicted and built sizes, predicted and actual ΔS, the error, and
the ΔS decomposition of 'imgdiff compare ORIGINAL BUILT' (to stdout; -o json).
  docker build -f Dockerfile.suggested -t app:suggested .
  imgdiff suggest app:single --dockerfile Dockerfile --check app:suggested

Prove it on this machine with --verify: suggest builds the suggestion with
BuildKit through your docker CLI (docker buildx build, or DOCKER_BUILDKIT=1
docker build on a client older than 23; --context-dir DIR, --build-arg), runs
the original and the built image the same way (their own ENTRYPOINT/CMD,
--network none, at most --timeout each) and compares how each run ended
(exit status, or still running), the ports listened on at the deadline and
the first lines of stdout and stderr (timestamps, ids, pids normalised);
with --smoke 'CMD' it runs CMD in both (as argv when it has no shell
syntax, so a scratch image can run it) and compares its exit status and
output. Then the --check comparison of the built image. Every container
and image it made is removed, also on Ctrl-C (--tag NAME keeps the image).
  imgdiff suggest app:single --dockerfile Dockerfile --verify --smoke 'app --version'

Exit codes: 0 done (with --check or --verify: the built image is within 5%
of the predicted size, and with --verify behaves as the original), 1 the
built image misses the prediction by more than 5% or (--verify) behaves
differently, 2 bad input or (--verify) the suggestion does not build,
130 interrupted.`,
		Example: `  imgdiff suggest app:single --dockerfile Dockerfile > Dockerfile.suggested
  imgdiff suggest oci:build/app --dockerfile Dockerfile --output-file Dockerfile.multi -o json
  imgdiff suggest app:single --dockerfile Dockerfile --check app:suggested
  imgdiff suggest app:single --dockerfile Dockerfile --verify --smoke '/usr/local/bin/app --version'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Dockerfile == "" {
				return cmdutil.FlagErrorf("--dockerfile is required: the Dockerfile that built %s", args[0])
			}
			if opts.Format != "table" && opts.Format != "json" {
				return cmdutil.FlagErrorf("-o %q: want table or json", opts.Format)
			}
			if opts.Check != "" && opts.OutputFile != "" {
				return cmdutil.FlagErrorf("--check compares a built image; --output-file writes a Dockerfile: give one of them")
			}
			if err := opts.Verify.validate(opts); err != nil {
				return err
			}
			opts.Ref = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return suggestRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddSourceFlags(cmd.Flags(), &opts.Source)
	cmd.Flags().StringVar(&opts.Dockerfile, "dockerfile", "", "the Dockerfile that built the image (`PATH`)")
	cmd.Flags().StringVar(&opts.Target, "target", "", "the stage that was built (default: the last)")
	cmd.Flags().StringVar(&opts.OutputFile, "output-file", "", "write the Dockerfile to `FILE` instead of stdout")
	cmd.Flags().StringVarP(&opts.Format, "output", "o", "table", "the prediction on stderr (the check on stdout): table or json")
	cmd.Flags().StringVar(&opts.Base, "base", "", "start the final stage FROM `IMAGE` (distroless, a company base); the copied libraries skip what it has")
	cmd.Flags().StringVar(&opts.Check, "check", "", "compare `BUILT`, the image built from the suggestion, with the original and the prediction")
	addVerifyFlags(cmd.Flags(), &opts.Verify)
	config.AddConfigFlags(cmd.Flags(), &opts.Config)
	return cmd
}

func suggestRun(ctx context.Context, opts *Options) error {
	// Read as analyze and compare read theirs: a regular file (never a
	// FIFO that blocks), bounded, relative to the working directory.
	loadedDF, err := cmdutil.LoadDockerfile(opts.IO, cmdutil.DockerfileOptions{Path: opts.Dockerfile, Target: opts.Target}, "")
	if err != nil {
		return err
	}
	df := loadedDF.File
	po, _, err := cmdutil.Prepare(opts.IO, opts.Source, &opts.Config, false)
	if err != nil {
		return err
	}
	// What the app runs: ELF facts of the binaries, bodies of the
	// entrypoint scripts (analyze and compare never read them).
	po.RunFacts = true
	refs := []string{opts.Ref}
	if opts.Check != "" {
		refs = append(refs, opts.Check)
	}
	loaded, err := pipeline.Load(ctx, po, refs...)
	if err != nil {
		return err
	}
	var rb *suggest.RuntimeBase
	if opts.Base != "" {
		if rb, err = loadBase(ctx, opts, po); err != nil {
			return err
		}
	}
	s, err := suggestFor(opts, df, loaded[0], rb)
	if err != nil {
		return err
	}
	s, err = hintedBase(ctx, opts, po, s, func(rb *suggest.RuntimeBase) (*suggest.Suggestion, error) {
		return suggestFor(opts, df, loaded[0], rb)
	})
	if err != nil {
		return err
	}
	if opts.Check != "" {
		po.Budgets = nil // the check's gate is the prediction
		return checkRun(opts, po, s, loaded[0], loaded[1])
	}
	if opts.Verify.On {
		return verifyRun(ctx, opts, po, s, loaded[0])
	}
	if opts.OutputFile != "" {
		if err := os.WriteFile(opts.OutputFile, []byte(s.Dockerfile), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", opts.OutputFile, err)
		}
	} else if _, err := io.WriteString(opts.IO.Out, s.Dockerfile); err != nil {
		return err
	}
	return report.WriteSuggestion(opts.IO.ErrOut, report.Format(opts.Format), s)
}

// suggestFor maps the loaded image's history onto the Dockerfile and
// writes the suggestion.
func suggestFor(opts *Options, df *dockerfile.File, l pipeline.Loaded, rb *suggest.RuntimeBase) (*suggest.Suggestion, error) {
	img, cl := l.Image, l.Class
	hist := make([]dockerfile.Entry, len(img.Steps))
	for i, s := range img.Steps {
		hist[i] = dockerfile.Entry{CreatedBy: s.CreatedBy, Comment: s.Comment, EmptyLayer: s.EmptyLayer}
	}
	m, err := df.Map(hist, dockerfile.Options{Target: opts.Target})
	if err != nil {
		return nil, cmdutil.FlagErrorf("--target: %v", err)
	}
	for _, w := range m.Warnings {
		opts.IO.Errorf("warning: %s", w.Message)
	}
	// With no instruction of the Dockerfile found in the history, nothing
	// tells the app's files from the base's: a suggestion would be a
	// guess that looks like an answer.
	if !slices.ContainsFunc(m.Entries, func(e dockerfile.EntryMapping) bool { return e.Kind == dockerfile.KindInstruction }) {
		return nil, fmt.Errorf("%s does not match %s: none of its instructions is in the image's history (the Dockerfile that built the image, or its --target, is needed)", opts.Dockerfile, opts.Ref)
	}
	elfs := make(map[string]suggest.ELF, len(l.ELF))
	for p, e := range l.ELF {
		elfs[p] = suggest.ELF{Interp: e.Interp, Needed: e.Needed}
	}
	return suggest.Suggest(suggest.Input{Image: img, Class: cl, Dockerfile: df, Mapping: m, ELF: elfs, Scripts: img.Contents, RuntimeBase: rb})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
