// Package fleetcmd implements `imgdiff fleet scan` and `imgdiff fleet
// report`: every image of an organisation, each distinct layer read once
// by one of N workers into a shared store (package layers/fleet), and the
// fleet view assembled from the store without reading a layer again.
package fleetcmd

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/layers/fleet"
)

// NewCmdFleet returns the fleet command and its subcommands.
func NewCmdFleet(ios *cmdutil.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Scan and report on every image of a registry, each distinct layer read once",
		Long: `A fleet scan is a layer scan: the distinct layers of the selected images are
split between N workers by digest, each reads its share once into a store
(an OCI registry repository or a shared directory), and the report assembles
every image's analysis from the store without downloading a layer.

Selectors:
  docker://HOST/REPO-GLOB[:TAG-GLOB]   repositories from the registry's catalog,
                                      tags from its tag list (** crosses /)
  docker://HOST/REPO@sha256:…          one image
  --from-file FILE                     selectors, one a line (# comments)

See docs/fleet.md for a GitHub Actions matrix and a Kubernetes Indexed Job.`,
	}
	cmd.AddCommand(NewCmdScan(ios, nil))
	cmd.AddCommand(NewCmdReport(ios, nil))
	return cmd
}

// SelectFlags are the flags that choose the images and the store.
type SelectFlags struct {
	Selectors []string
	FromFile  string
	Last      int
	Store     string
}

func addSelectFlags(fs *pflag.FlagSet, f *SelectFlags) {
	fs.StringVar(&f.FromFile, "from-file", "", "read selectors or references from `FILE`, one a line")
	fs.IntVar(&f.Last, "last", 0, "only the `N` most recently created tags of each repository (0: all)")
	fs.StringVar(&f.Store, "store", "", "where layer indexes are kept: docker://HOST/REPO or a shared directory (required)")
}

// selectTargets resolves the selectors and opens the store.
func selectTargets(ctx context.Context, ios *cmdutil.IOStreams, f SelectFlags, po pipeline.Options, insecure bool) ([]fleet.Target, fleet.Store, error) {
	if f.Store == "" {
		return nil, nil, cmdutil.FlagErrorf("--store is required: docker://HOST/REPO or a directory every worker shares")
	}
	if f.Last < 0 {
		return nil, nil, cmdutil.FlagErrorf("--last must be at least 0, got %d", f.Last)
	}
	sels := append([]string(nil), f.Selectors...)
	if f.FromFile != "" {
		fh, err := os.Open(f.FromFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--from-file: %w", err)
		}
		more, err := fleet.ReadSelectors(fh, f.FromFile)
		fh.Close()
		if err != nil {
			return nil, nil, err
		}
		sels = append(sels, more...)
	}
	if len(sels) == 0 {
		return nil, nil, cmdutil.FlagErrorf("no image selected: give docker://HOST/REPO-GLOB[:TAG-GLOB] selectors or --from-file")
	}
	ro := fleet.RegistryOptions{Insecure: insecure}
	store, err := fleet.Open(f.Store, ro)
	if err != nil {
		return nil, nil, err
	}
	sel, err := fleet.Select(ctx, sels, fleet.SelectOptions{RegistryOptions: ro, Platform: po.Open.Platform, Last: f.Last, Exclude: fleet.Repository(store)})
	if err != nil {
		return nil, nil, err
	}
	for _, n := range sel.Notes {
		ios.Errorf("note: %s", n)
	}
	if len(sel.Targets) == 0 {
		return nil, nil, fmt.Errorf("the selectors matched no image")
	}
	return sel.Targets, store, nil
}

// targetRefs are the targets' resolved references, in their order.
func targetRefs(targets []fleet.Target) []string {
	refs := make([]string, len(targets))
	for i, t := range targets {
		refs[i] = t.Ref
	}
	return refs
}

// parseShard reads --shard I/N, --shards N, $JOB_COMPLETION_INDEX (the
// index Kubernetes gives each pod of an Indexed Job) and
// $IMGDIFF_FLEET_SHARDS. Without any, the one worker takes every layer.
func parseShard(shard string, shards int, getenv func(string) string) (int, int, error) {
	i, n := -1, shards
	if shard != "" {
		a, b, ok := strings.Cut(shard, "/")
		ii, err1 := strconv.Atoi(a)
		nn, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || ii < 0 || nn < 1 {
			return 0, 0, cmdutil.FlagErrorf("--shard %q: want I/N, e.g. 0/3", shard)
		}
		if n != 0 && n != nn {
			return 0, 0, cmdutil.FlagErrorf("--shard %s and --shards %d disagree", shard, n)
		}
		i, n = ii, nn
	}
	if n == 0 {
		if v := getenv("IMGDIFF_FLEET_SHARDS"); v != "" {
			nn, err := strconv.Atoi(v)
			if err != nil {
				return 0, 0, cmdutil.FlagErrorf("IMGDIFF_FLEET_SHARDS=%q is not a number", v)
			}
			n = nn
		}
	}
	if i < 0 {
		if v := getenv("JOB_COMPLETION_INDEX"); v != "" {
			ii, err := strconv.Atoi(v)
			if err != nil {
				return 0, 0, cmdutil.FlagErrorf("JOB_COMPLETION_INDEX=%q is not a number", v)
			}
			i = ii
			if n == 0 {
				return 0, 0, cmdutil.FlagErrorf("JOB_COMPLETION_INDEX is set but not the number of shards: pass --shards N or set IMGDIFF_FLEET_SHARDS (the Job's completions)")
			}
		}
	}
	if n == 0 {
		n = 1
	}
	if i < 0 {
		if n != 1 {
			return 0, 0, cmdutil.FlagErrorf("--shards %d without this worker's index: pass --shard I/%d or set JOB_COMPLETION_INDEX", n, n)
		}
		i = 0
	}
	if n < 1 || i >= n {
		return 0, 0, cmdutil.FlagErrorf("shard %d of %d: want 0 <= I < N", i, n)
	}
	return i, n, nil
}
