package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/layers"
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
}

// AddSourceFlags registers the source flags on fs.
func AddSourceFlags(fs *pflag.FlagSet, o *SourceOptions) {
	fs.StringVar(&o.Platform, "platform", "", "platform of a multi-arch image, os/arch[/variant] (default: this host's)")
	fs.BoolVar(&o.Insecure, "insecure", false, "allow plain-HTTP registries (always allowed for localhost)")
	fs.IntVarP(&o.Jobs, "jobs", "j", runtime.NumCPU(), "layers read in parallel")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "print a timing line to stderr")
	fs.BoolVar(&o.NoCache, "no-cache", false, "neither read nor write the layer-index cache ($XDG_CACHE_HOME/imgdiff)")
	fs.IntVar(&o.MaxEntries, "max-entries", layers.DefaultMaxEntries, "refuse an image whose layers hold more tar entries than this (about 100 bytes of memory each)")
}

// Loaded is one image, analysed and classified.
type Loaded struct {
	Image *analyze.Image
	Class *analyze.Classification
	// Notes are facts from the source worth telling (which source a bare
	// reference resolved to).
	Notes []string
}

// Load opens the images named by refs (in parallel), walks their layers
// (shared layers once), and analyses and classifies each.
func Load(ctx context.Context, ios *IOStreams, o SourceOptions, rules *analyze.Rules, refs ...string) ([]Loaded, error) {
	if o.Jobs <= 0 {
		return nil, FlagErrorf("--jobs must be at least 1, got %d", o.Jobs)
	}
	if o.MaxEntries < 0 {
		return nil, FlagErrorf("--max-entries must be at least 0 (0: the default, %d), got %d", layers.DefaultMaxEntries, o.MaxEntries)
	}
	var platform *v1.Platform
	if o.Platform != "" {
		p, err := layers.ParsePlatform(o.Platform)
		if err != nil {
			return nil, FlagErrorf("--platform: %w", err)
		}
		platform = p
	}
	start := time.Now()

	saving, stopSaving := NewSaveProgress(ctx, ios)
	imgs, err := layers.OpenAll(ctx, refs, layers.Options{
		Platform:     platform,
		Insecure:     o.Insecure,
		Jobs:         o.Jobs,
		DockerHost:   ios.Getenv("DOCKER_HOST"),
		SaveProgress: saving,
	})
	stopSaving(err == nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, img := range imgs {
			img.Close()
		}
	}()
	opened := time.Now()

	for _, img := range imgs {
		for _, n := range img.Notes {
			fmt.Fprintf(ios.ErrOut, "imgdiff: %s: %s\n", img.Ref, n)
		}
	}
	wo := layers.WalkOptions{
		Jobs:       o.Jobs,
		Capture:    analyze.WantContent,
		CaptureKey: analyze.CaptureKey(),
		MaxEntries: o.MaxEntries,
	}
	if c := OpenCache(ios, o.NoCache); c != nil {
		wo.Cache = c
	}
	observer, stopProgress := NewProgress(ctx, ios, imgs)
	wo.Observer = observer
	walked, err := layers.Walk(ctx, wo, imgs...)
	stopProgress()
	if err != nil {
		return nil, err
	}
	read := time.Now()

	// Images are analysed in parallel: with two images (compare) this
	// step is otherwise a serial tail after the parallel walk.
	out := make([]Loaded, len(walked))
	building := make([]time.Duration, len(walked))
	classifying := make([]time.Duration, len(walked))
	var g errgroup.Group
	g.SetLimit(o.Jobs)
	for i, w := range walked {
		g.Go(func() error {
			t0 := time.Now()
			img, err := analyze.Build(w)
			if err != nil {
				return fmt.Errorf("%s: %w", refs[i], err)
			}
			t1 := time.Now()
			class := analyze.Classify(img, rules)
			building[i], classifying[i] = t1.Sub(t0), time.Since(t1)
			out[i] = Loaded{Image: img, Class: class, Notes: imgs[i].Notes}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if o.Verbose {
		// Attribution and classification are summed over the images;
		// "analysed" is the wall time of both.
		fmt.Fprintf(ios.ErrOut, "imgdiff: opened %d image(s) in %s, read layers in %s, attributed in %s, classified in %s (analysed in %s)\n",
			len(refs), round(opened.Sub(start)), round(read.Sub(opened)), round(sum(building)), round(sum(classifying)), round(time.Since(read)))
	}
	return out, nil
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// Setup reads what a run applies besides the images: the classification
// rules (the defaults with the config file's merged in) and the budgets
// (the config file's, then the flags'). Budgets is nil-safe: Empty when
// none are set.
func Setup(ios *IOStreams, flags *config.BudgetFlags, compare bool) (*analyze.Rules, *analyze.Budgets, error) {
	file, budgets, err := config.Resolve(flags, ios.WorkDir, nil, compare)
	if err != nil {
		var ue *config.UsageError
		if errors.As(err, &ue) {
			return nil, nil, &FlagError{Err: err}
		}
		return nil, nil, err
	}
	rules, err := file.RuleSet()
	if err != nil {
		return nil, nil, err
	}
	return rules, budgets, nil
}
