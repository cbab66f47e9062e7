// Package comparecmd implements `imgdiff compare A B`.
package comparecmd

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/report"
)

// Options are the parsed flags and arguments of `imgdiff compare`.
type Options struct {
	IO                    *cmdutil.IOStreams
	Source                cmdutil.SourceOptions
	RefA, RefB            string
	Output                cmdutil.OutputOptions
	Top                   int
	AllFiles              bool
	AllowPlatformMismatch bool
	Config                config.BudgetFlags
	// DockerfileA and DockerfileB name the Dockerfiles of each side.
	DockerfileA, DockerfileB cmdutil.DockerfileOptions
}

// NewCmdCompare returns the compare command. runF replaces the run function
// in tests that only check flag parsing.
func NewCmdCompare(ios *cmdutil.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Explain how much smaller (or larger) image B is than image A, and why",
		Long: `compare reads both images (layers they share are read once) and explains the
size difference ΔS = size(A) − size(B): positive when B is smaller. ΔS is
decomposed into the bytes of A that B does not carry, by category (build
tools, sources, dev dependencies, caches, ...), plus the bytes A's layers
hide, minus what B adds (ε). Typical uses: a single-stage image against its
multi-stage rewrite, or main's image against a pull request's.`,
		Example: `  imgdiff compare app:single app:multi
  imgdiff compare docker://reg/app:main docker://reg/app:pr-42 -o markdown
  imgdiff compare app:single app:multi --dockerfile-a Dockerfile.single --dockerfile-b Dockerfile`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.ParseFormat(report.ParseFormat); err != nil {
				return err
			}
			if opts.Output.Format == report.NCDU {
				return &cmdutil.FlagError{Err: report.ErrNCDUCompare}
			}
			opts.RefA, opts.RefB = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return compareRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddSourceFlags(cmd.Flags(), &opts.Source)
	cmdutil.AddOutputFlags(cmd.Flags(), &opts.Output, "table, markdown, json, html (one self-contained page), sarif or github (Dockerfile findings on their lines)")
	cmd.Flags().IntVar(&opts.Top, "top", 10, "entries in each top-N list")
	cmd.Flags().BoolVar(&opts.AllFiles, "all-files", false, "list every changed path, not only the largest")
	cmd.Flags().BoolVar(&opts.AllowPlatformMismatch, "allow-platform-mismatch", false, "compare images built for different platforms")
	cmdutil.AddDockerfileFlags(cmd.Flags(), &opts.DockerfileA, "-a", "A")
	cmdutil.AddDockerfileFlags(cmd.Flags(), &opts.DockerfileB, "-b", "B")
	config.AddCompareBudgetFlags(cmd.Flags(), &opts.Config)
	return cmd
}

func compareRun(ctx context.Context, opts *Options) error {
	po, file, err := cmdutil.Prepare(opts.IO, opts.Source, &opts.Config, true)
	if err != nil {
		return err
	}
	dfA, err := cmdutil.LoadDockerfile(opts.IO, opts.DockerfileA.WithConfig(file, opts.RefA), "-a")
	if err != nil {
		return err
	}
	dfB, err := cmdutil.LoadDockerfile(opts.IO, opts.DockerfileB.WithConfig(file, opts.RefB), "-b")
	if err != nil {
		return err
	}
	po.Dockerfiles = []*pipeline.Dockerfile{dfA, dfB}
	loaded, err := pipeline.Load(ctx, po, opts.RefA, opts.RefB)
	if err != nil {
		return err
	}
	a, b := loaded[0], loaded[1]
	c, err := pipeline.CompareLoaded(po, a, b, analyze.CompareOptions{
		Top:                   opts.Top,
		AllFiles:              opts.AllFiles,
		AllowPlatformMismatch: opts.AllowPlatformMismatch,
	})
	if err != nil {
		return err
	}
	cmdutil.PrintDockerfileMapping(opts.IO, opts.RefA, c.DockerfileA)
	cmdutil.PrintDockerfileMapping(opts.IO, opts.RefB, c.DockerfileB)
	ro := cmdutil.ReportOptions(opts.IO)
	ro.ClassA, ro.ClassB = a.Class, b.Class
	return opts.Output.Render(opts.IO, func(w io.Writer, f report.Format) error {
		return ro.WriteComparison(w, f, c)
	}, c.Budgets)
}
