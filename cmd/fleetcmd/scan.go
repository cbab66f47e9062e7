package fleetcmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
)

// ScanOptions are the parsed flags and arguments of `imgdiff fleet scan`.
type ScanOptions struct {
	IO     *cmdutil.IOStreams
	Source cmdutil.SourceOptions
	Select SelectFlags
	Shard  string
	Shards int
	Verify bool
}

// NewCmdScan returns the scan command; runF replaces its run function in
// tests.
func NewCmdScan(ios *cmdutil.IOStreams, runF func(context.Context, *ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "scan SELECTOR...",
		Short: "Read this worker's share of the fleet's distinct layers into the store",
		Example: `  imgdiff fleet scan 'docker://registry.example.com/team-*/**' --store docker://registry.example.com/imgdiff/store
  imgdiff fleet scan --from-file images.txt --store /mnt/fleet --shard 2/8
  JOB_COMPLETION_INDEX=2 imgdiff fleet scan docker://reg/app --store /mnt/fleet --shards 8`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Select.Selectors = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scanRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddSourceFlags(cmd.Flags(), &opts.Source)
	addSelectFlags(cmd.Flags(), &opts.Select)
	cmd.Flags().StringVar(&opts.Shard, "shard", "", "this worker's shard, `I/N` (default: $JOB_COMPLETION_INDEX of $IMGDIFF_FLEET_SHARDS or --shards; else 0/1)")
	cmd.Flags().IntVar(&opts.Shards, "shards", 0, "number of workers `N` (default: $IMGDIFF_FLEET_SHARDS)")
	cmd.Flags().BoolVar(&opts.Verify, "verify", false, "download and verify every stored entry of the shard, rewriting damaged ones (default: ask the store whether each exists, reading no entry)")
	return cmd
}

func scanRun(ctx context.Context, opts *ScanOptions) error {
	i, n, err := parseShard(opts.Shard, opts.Shards, opts.IO.Getenv)
	if err != nil {
		return err
	}
	// The same rules as analyze (the capture set depends on them only
	// through the defaults, which the config cannot change).
	po, _, err := cmdutil.Prepare(opts.IO, opts.Source, &config.BudgetFlags{NoConfig: true}, false)
	if err != nil {
		return err
	}
	targets, store, err := selectTargets(ctx, opts.IO, opts.Select, po, opts.Source.Insecure)
	if err != nil {
		return err
	}
	res, err := pipeline.Scan(ctx, pipeline.ScanOptions{Open: po.Open, Store: store, Shard: i, Shards: n, MaxEntries: opts.Source.MaxEntries, Verify: opts.Verify}, targetRefs(targets))
	opts.IO.Errorf("shard %d/%d: %d images, %d distinct layers, %d in this shard: %d already stored, %d read (%d entries written to %s)",
		i, n, res.Images, res.Layers, res.Shard, res.Stored, res.Walked, res.Entries, store)
	return err
}
