// Package analyzecmd implements `imgdiff analyze IMAGE`.
package analyzecmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/report"
)

// Options are the parsed flags and arguments of `imgdiff analyze`.
type Options struct {
	IO     *cmdutil.IOStreams
	Source cmdutil.SourceOptions
	Ref    string
	Output cmdutil.OutputOptions
	Top    int
	Config config.BudgetFlags
	// Dockerfile names the Dockerfile the image was built from.
	Dockerfile cmdutil.DockerfileOptions
	// Snapshot is --snapshot: where to write the image's snapshot, a
	// baseline `compare snapshot:FILE` reads without the image.
	Snapshot string
}

// NewCmdAnalyze returns the analyze command. runF replaces the run function
// in tests that only check flag parsing.
func NewCmdAnalyze(ios *cmdutil.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "analyze IMAGE",
		Short: "Attribute every byte of an image to the instruction that made it",
		Example: `  imgdiff analyze app:latest
  imgdiff analyze docker-archive:app.tar -o json
  imgdiff analyze docker://registry.example.com/app:1.2 --platform linux/arm64
  imgdiff analyze app:latest --dockerfile Dockerfile -o github
  imgdiff analyze app:main --snapshot main.snap   # later: imgdiff compare snapshot:main.snap app:pr`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.ParseFormat(report.ParseFormat); err != nil {
				return err
			}
			opts.Ref = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return analyzeRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddSourceFlags(cmd.Flags(), &opts.Source)
	cmdutil.AddOutputFlags(cmd.Flags(), &opts.Output, "table, markdown, json, html (one self-contained page), ncdu (the final filesystem, for ncdu -f), sarif or github (Dockerfile findings on their lines)")
	cmd.Flags().IntVar(&opts.Top, "top", 10, "entries in each top-N list")
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", "", "also write the image's snapshot to `FILE`: a baseline that compare reads as snapshot:FILE without the image")
	cmdutil.AddDockerfileFlags(cmd.Flags(), &opts.Dockerfile, "", "")
	config.AddBudgetFlags(cmd.Flags(), &opts.Config)
	return cmd
}

func analyzeRun(ctx context.Context, opts *Options) error {
	po, file, err := cmdutil.Prepare(opts.IO, opts.Source, &opts.Config, false)
	if err != nil {
		return err
	}
	df, err := cmdutil.LoadDockerfile(opts.IO, opts.Dockerfile.WithConfig(file, opts.Ref), "")
	if err != nil {
		return err
	}
	po.Dockerfiles = []*pipeline.Dockerfile{df}
	po.KeepIndex = opts.Snapshot != ""
	loaded, err := pipeline.Load(ctx, po, opts.Ref)
	if err != nil {
		return err
	}
	a, err := pipeline.AnalyzeLoaded(po, loaded[0], opts.Top)
	if err != nil {
		return err
	}
	if opts.Snapshot != "" {
		if err := loaded[0].WriteSnapshot(opts.Snapshot, opts.IO.Clock()(), cmdutil.Version()); err != nil {
			return fmt.Errorf("--snapshot %w", err)
		}
	}
	cmdutil.PrintDockerfileMapping(opts.IO, opts.Ref, a.Dockerfile)
	ro := cmdutil.ReportOptions(opts.IO)
	return opts.Output.Render(opts.IO, func(w io.Writer, f report.Format) error {
		return ro.WriteAnalysis(w, f, a)
	}, a.Budgets)
}
