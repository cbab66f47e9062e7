package fleetcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/analyze"
	afleet "github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/report"
)

// ReportOptions are the parsed flags and arguments of `imgdiff fleet
// report`.
type ReportOptions struct {
	IO     *cmdutil.IOStreams
	Source cmdutil.SourceOptions
	Select SelectFlags
	Output cmdutil.OutputOptions
	Config config.BudgetFlags
}

// NewCmdReport returns the report command; runF replaces its run
// function in tests.
func NewCmdReport(ios *cmdutil.IOStreams, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "report SELECTOR...",
		Short: "The fleet view, assembled from the store without downloading a layer",
		Example: `  imgdiff fleet report 'docker://registry.example.com/**' --store docker://registry.example.com/imgdiff/store
  imgdiff fleet report --from-file images.txt --store /mnt/fleet -o csv > fleet.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.ParseFormat(report.ParseFleetFormat); err != nil {
				return err
			}
			opts.Select.Selectors = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return reportRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddSourceFlags(cmd.Flags(), &opts.Source)
	addSelectFlags(cmd.Flags(), &opts.Select)
	cmdutil.AddOutputFlags(cmd.Flags(), &opts.Output, "table, markdown, json, csv or html (one self-contained page: a sortable table and treemaps of flagged bytes by repository and by category)")
	config.AddBudgetFlags(cmd.Flags(), &opts.Config)
	return cmd
}

func reportRun(ctx context.Context, opts *ReportOptions) error {
	po, _, err := cmdutil.Prepare(opts.IO, opts.Source, &opts.Config, false)
	if err != nil {
		return err
	}
	po.Observer = nil // one progress bar per image would flood a fleet's stderr
	if s := opts.Select.Store; s != "" && !strings.HasPrefix(s, "docker://") {
		// A scan makes its directory; a report of a directory that is
		// not there (a typo) would call every image incomplete.
		if fi, err := os.Stat(s); err != nil || !fi.IsDir() {
			return fmt.Errorf("--store %s: no such store directory (run `imgdiff fleet scan` with it first)", s)
		}
	}
	targets, store, err := selectTargets(ctx, opts.IO, opts.Select, po, opts.Source.Insecure)
	if err != nil {
		return err
	}
	var in []afleet.Input
	err = pipeline.FleetAnalyze(ctx, po, store, targetRefs(targets), 10, func(fi pipeline.FleetImage) error {
		t := targets[len(in)]
		x := afleet.Input{Ref: t.Ref, Repo: t.Repo, Tag: t.Tag, Platform: t.Platform, Missing: fi.Missing}
		if fi.Analysis != nil {
			// Only the figures the fleet view reads are kept: a
			// fleet's full analyses would not fit in memory.
			x.Analysis = &analyze.Analysis{Image: &model.Image{Size: fi.Analysis.Image.Size, CompressedSize: fi.Analysis.Image.CompressedSize},
				Classification: fi.Analysis.Classification, Budgets: fi.Analysis.Budgets}
			if c := x.Analysis.Classification; c != nil {
				c.Flags, c.Owners, c.ByStep, c.TopDirs, c.Findings = model.Flags{}, nil, nil, nil, nil
			}
		} else {
			opts.IO.Errorf("%s: incomplete: the store lacks %s", t.Ref, strings.Join(fi.Missing, ", "))
		}
		in = append(in, x)
		return nil
	})
	if err != nil {
		return err
	}
	r := afleet.Build(in)
	if r.Total.Incomplete > 0 {
		opts.IO.Errorf("warning: %d of %d images are incomplete: run `imgdiff fleet scan` on them first (with --verify if their layers were scanned: an entry stored damaged is rewritten)", r.Total.Incomplete, r.Total.Images)
	}
	var gate *model.BudgetReport
	if r.Total.BudgetFailed > 0 {
		gate = &model.BudgetReport{Pass: false}
	}
	ro := cmdutil.ReportOptions(opts.IO)
	return opts.Output.Render(opts.IO, func(w io.Writer, f report.Format) error {
		return ro.WriteFleet(w, f, r)
	}, gate)
}
