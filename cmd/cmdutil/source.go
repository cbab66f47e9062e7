package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/source"
)

// SourceOptions are the flags that say how to read images.
type SourceOptions struct {
	Platform string
	Insecure bool
	Jobs     int
	Verbose  bool
	NoCache  bool
	// MaxEntries caps the tar entries of a layer and of an image's
	// layers together (layers.WalkOptions.MaxEntries).
	MaxEntries int
	// RangedThreshold is the compressed blob size from which registry
	// blobs are fetched in parallel ranges: a size ("32MiB") or "off".
	RangedThreshold string
	// RangedConns bounds the range requests in flight over all blobs.
	RangedConns int
	// Context is the docker CLI context whose engine serves
	// docker-daemon: references and bare names ("": the docker CLI's
	// order).
	Context string
}

// AddSourceFlags registers the source flags on fs.
func AddSourceFlags(fs *pflag.FlagSet, o *SourceOptions) {
	fs.StringVar(&o.Platform, "platform", "", "platform of a multi-arch image, os/arch[/variant] (default: this host's)")
	fs.BoolVar(&o.Insecure, "insecure", false, "allow plain-HTTP registries (always allowed for localhost)")
	fs.IntVarP(&o.Jobs, "jobs", "j", runtime.NumCPU(), "layers read in parallel")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "print a timing line to stderr")
	fs.BoolVar(&o.NoCache, "no-cache", false, "neither read nor write the layer-index cache ($XDG_CACHE_HOME/imgdiff)")
	fs.IntVar(&o.MaxEntries, "max-entries", layers.DefaultMaxEntries, "refuse an image whose layers hold more tar entries than this (about 100 bytes of memory each)")
	fs.StringVar(&o.RangedThreshold, "ranged-threshold", fmt.Sprintf("%dMiB", layers.DefaultRangeThreshold>>20), "fetch registry blobs at least this big (compressed) with parallel range requests; \"off\": one stream per blob")
	fs.StringVar(&o.Context, "context", "", "docker context whose engine serves docker-daemon: and NAME:TAG (default: DOCKER_HOST, DOCKER_CONTEXT, the current context, the default socket)")
	fs.IntVar(&o.RangedConns, "ranged-conns", layers.DefaultRangeTotal, "range requests in flight at once over all blobs (at most 4 per blob)")
}

// rangedOptions turns --ranged-threshold and --ranged-conns into the
// layers' RangedOptions. The zero SourceOptions (a caller that registered
// no flags) gets the defaults.
func rangedOptions(o SourceOptions) (layers.RangedOptions, error) {
	var r layers.RangedOptions
	switch t := strings.TrimSpace(o.RangedThreshold); {
	case t == "":
	case strings.EqualFold(t, "off"):
		r.Threshold = -1
	default:
		n, err := budget.ParseSize(t)
		if err != nil {
			return r, FlagErrorf("--ranged-threshold: %w (or \"off\")", err)
		}
		if n <= 0 {
			return r, FlagErrorf("--ranged-threshold must be more than 0 bytes (or \"off\"), got %q", o.RangedThreshold)
		}
		r.Threshold = n
	}
	if o.RangedConns < 0 {
		return r, FlagErrorf("--ranged-conns must be at least 0 (0: the default, %d), got %d", layers.DefaultRangeTotal, o.RangedConns)
	}
	r.Total = o.RangedConns
	return r, nil
}

// Pipeline turns the parsed flags into the pipeline's options: the source
// flags, the rules and budgets Prepare read, the layer cache (OpenCache) and
// an observer that draws progress on a terminal, prints what the sources
// note, and with -v the timing line, all on stderr. A bad --jobs or
// --platform is a FlagError.
func Pipeline(ios *IOStreams, o SourceOptions, r *rules.Rules, b *budget.Budgets) (pipeline.Options, error) {
	if o.Jobs <= 0 {
		return pipeline.Options{}, FlagErrorf("--jobs must be at least 1, got %d", o.Jobs)
	}
	if o.MaxEntries < 0 {
		return pipeline.Options{}, FlagErrorf("--max-entries must be at least 0 (0: the default, %d), got %d", layers.DefaultMaxEntries, o.MaxEntries)
	}
	ranged, err := rangedOptions(o)
	if err != nil {
		return pipeline.Options{}, err
	}
	var platform *v1.Platform
	if o.Platform != "" {
		p, err := source.ParsePlatform(o.Platform)
		if err != nil {
			return pipeline.Options{}, FlagErrorf("--platform: %w", err)
		}
		platform = p
	}
	po := pipeline.Options{
		Open: layers.Options{
			Platform:      platform,
			Insecure:      o.Insecure,
			Jobs:          o.Jobs,
			DockerContext: o.Context,
			Getenv:        ios.Getenv,
			Ranged:        ranged,
		},
		Rules:      r,
		Budgets:    b,
		Observer:   &observer{ios: ios, verbose: o.Verbose},
		MaxEntries: o.MaxEntries,
		Now:        ios.Now,
	}
	po.Cache = func() layers.Cache {
		if c := OpenCache(ios, o.NoCache); c != nil {
			return c
		}
		return nil // not a nil *cache.Cache in the interface
	}
	return po, nil
}

// observer is the commands' pipeline.Observer.
type observer struct {
	ios        *IOStreams
	verbose    bool
	stopSaving func(ok bool)
	stopWalk   func()
}

func (ob *observer) Opening(ctx context.Context) func(int64) {
	saving, stop := NewSaveProgress(ctx, ob.ios)
	ob.stopSaving = stop
	return saving
}

func (ob *observer) Opened(imgs []*layers.Image, err error) {
	ob.stopSaving(err == nil)
	if err != nil {
		return
	}
	for _, img := range imgs {
		for _, n := range img.Notes {
			ob.ios.Errorf("%s: %s", img.Ref, n)
		}
	}
}

func (ob *observer) Walking(ctx context.Context, imgs []*layers.Image) layers.Observer {
	progress, stop := NewProgress(ctx, ob.ios, imgs)
	ob.stopWalk = stop
	return progress
}

func (ob *observer) Walked(error) { ob.stopWalk() }

// Done prints the -v timing line. Attribution and classification are
// summed over the images; "analysed" is the wall time of both.
func (ob *observer) Done(t pipeline.Timings) {
	if !ob.verbose {
		return
	}
	ob.ios.Errorf("opened %d image(s) in %s, read layers in %s, attributed in %s, classified in %s (analysed in %s)",
		t.Images, round(t.Open), round(t.Walk), round(t.Build), round(t.Redact+t.Classify), round(t.Analyse))
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// Prepare is what every command's run does before it reads an image: the
// classification rules (the defaults with the config file's merged in)
// and the budgets (the config file's, then the flags'; Empty when none are
// set), then the pipeline's options with them (Pipeline). It also returns
// the config file it read (nil when there is none), for the settings
// besides rules and budgets (dockerfiles:).
func Prepare(ios *IOStreams, src SourceOptions, flags *config.BudgetFlags, compare bool) (pipeline.Options, *config.File, error) {
	rules, budgets, file, err := setup(ios, flags, compare)
	if err != nil {
		return pipeline.Options{}, nil, err
	}
	po, err := Pipeline(ios, src, rules, budgets)
	if err != nil {
		return pipeline.Options{}, nil, err
	}
	return po, file, nil
}

// setup reads the config file (a usage mistake in it is a FlagError),
// its rules and the budgets.
func setup(ios *IOStreams, flags *config.BudgetFlags, compare bool) (*rules.Rules, *budget.Budgets, *config.File, error) {
	file, budgets, err := config.Resolve(flags, ios.WorkDir, nil, compare)
	if err != nil {
		var ue *config.UsageError
		if errors.As(err, &ue) {
			return nil, nil, nil, &FlagError{Err: err}
		}
		return nil, nil, nil, err
	}
	rules, err := file.RuleSet()
	if err != nil {
		return nil, nil, nil, err
	}
	return rules, budgets, file, nil
}
