// Package pipeline is the application layer, beside the commands that
// call it: the one package that joins reading images (package layers and
// its sources) and analysing them (package analyze and its concern
// packages), which never import each other that way. It runs the stages of every command in one place, in
// order:
//
//	open → walk → build → redact → classify → check
//
// open resolves the references and opens the images (layers.OpenAll),
// walk reads their layers, shared ones once (layers.Walk), build
// attributes every byte to the step that wrote it (analyze.Build), redact
// takes credential-like values out of the config and history
// (hygiene.Redact), classify flags what the image should not carry
// (analyze.Classify), and check evaluates the budgets (package budget)
// over the summary or comparison. After classify, an image whose
// Dockerfile is given (Options.Dockerfiles), or whose index holds a
// BuildKit provenance attestation with its Dockerfile, has its steps
// mapped to Dockerfile lines and the Dockerfile checks run on its
// evidence (analyze.MapDockerfile, analyze.MapProvenance). An Observer is told as each stage
// starts and ends, for progress bars and timings; the pipeline itself
// prints nothing. The cobra commands parse flags, call Analyze or Compare
// and render what they return.
//
// Sources (the packages under layers/ that read an archive, a layout, a
// registry or the engine) never import analyze; this package alone does.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/snapshot"
)

// Options say how to run the pipeline.
type Options struct {
	// Open says how to open the images. Its Jobs (which must be > 0) also
	// bounds the layers read at once and the images analysed at once;
	// its SaveProgress is set from Observer.
	Open layers.Options
	// Cache, when set, is called once the images are open and returns
	// the cache that holds layer indexes across runs (nil: none). Opening
	// a cache that turns out unusable can warn; a run whose images do not
	// open never gets that far.
	Cache func() layers.Cache
	// Rules classify the files; nil means rules.Default().
	Rules *rules.Rules
	// Budgets are checked by Analyze and Compare; nil or empty checks
	// nothing.
	Budgets *budget.Budgets
	// Observer, when set, is told of each stage.
	Observer Observer
	// MaxEntries caps the tar entries of a layer and of an image's layers
	// together (layers.WalkOptions.MaxEntries; 0: layers.DefaultMaxEntries).
	MaxEntries int
	// Dockerfiles are the Dockerfiles the images were built from, in the
	// order of the references Load is given; a missing or nil element
	// means none for that image.
	Dockerfiles []*Dockerfile
	// RunFacts asks the walk for what `imgdiff suggest` needs to know of
	// what the app runs: the ELF facts (PT_INTERP, DT_NEEDED) of every
	// executable or shared-library file (Loaded.ELF). Off, the walk reads
	// no ELF header and keeps its cache keys: analyze and compare pay
	// nothing for it. (The bodies of the scripts the config's ENTRYPOINT,
	// CMD and HEALTHCHECK name, up to 256 KiB each, are captured on every
	// walk, into Image.Contents: the classification needs them too.)
	RunFacts bool
	// KeepIndex keeps each image's walked index in Loaded.Index, for
	// Loaded.WriteSnapshot.
	KeepIndex bool
	// Now is the clock a snapshot's age is measured with (nil: time.Now).
	Now func() time.Time
}

// Dockerfile is a parsed Dockerfile to map an image's steps onto, with
// how it was built.
type Dockerfile struct {
	File *dockerfile.File
	// Target is the stage that was built; "" is the last.
	Target string
	// BuildArgs are the --build-arg values of the build.
	BuildArgs map[string]string
	// Dockerignore says whether a .dockerignore sits next to the file.
	Dockerignore bool
}

func (o Options) dockerfile(i int) *Dockerfile {
	if i < len(o.Dockerfiles) {
		return o.Dockerfiles[i]
	}
	return nil
}

// Observer is told what the pipeline does, for progress and timings. The
// pipeline calls it from one goroutine, in stage order; methods must
// return quickly.
type Observer interface {
	// Opening is called before the images are opened, with the run's
	// context. It returns the function told how many bytes a `docker
	// save` from the engine has written so far (nil: none).
	Opening(ctx context.Context) (saveProgress func(written int64))
	// Opened is called when opening has ended: with the open images, or
	// with the error that ends the run.
	Opened(imgs []*layers.Image, err error)
	// Walking is called before the layers are read, with the run's
	// context. It returns the observer of the walk (nil: none).
	Walking(ctx context.Context, imgs []*layers.Image) layers.Observer
	// Walked is called when the walk has ended, err nil or not.
	Walked(err error)
	// Done is called once the images are loaded, with what each stage
	// took.
	Done(t Timings)
}

// Timings are what the stages of Load took. Build, Redact and Classify
// are summed over the images, which are analysed in parallel; Analyse is
// the wall time of those three stages together.
type Timings struct {
	Images                  int
	Open, Walk              time.Duration
	Build, Redact, Classify time.Duration
	Analyse                 time.Duration
}

// Loaded is one image after the pipeline's first five stages: built,
// redacted and classified.
type Loaded struct {
	Image *model.Image
	Class *model.Classification
	// Notes are facts from the source worth telling (which source a bare
	// reference resolved to).
	Notes []string
	// Dockerfile maps the steps to Dockerfile lines, when a Dockerfile
	// was given; nil otherwise.
	Dockerfile *analyze.DockerfileReport
	// ELF are, by canonical path, the ELF facts of the final
	// filesystem's files (a hard link has its target's), read from the
	// layer that wrote each file: a file a later layer overwrote or
	// deleted does not count. Nil unless Options.RunFacts.
	ELF map[string]index.ELF
	// Index is the image as the walk returned it, with the key of what
	// the walk captured for it and its provenance attestation: what a
	// snapshot holds. Nil unless Options.KeepIndex.
	Index      *index.Image
	captureKey string
	provenance []byte
	// secrets are the values the redaction took out of the config and
	// history, longest first (with Index).
	secrets []string
}

// WriteSnapshot writes l's walked image to path as a snapshot (package
// snapshot) taken at created by imgdiff version. It needs
// Options.KeepIndex.
func (l Loaded) WriteSnapshot(path string, created time.Time, version string) error {
	if l.Index == nil {
		return errors.New("pipeline: the image's index was not kept (Options.KeepIndex)")
	}
	var found []model.Finding
	if l.Image.Redacted != nil {
		found = l.Image.Redacted.Findings
	}
	redacted, err := json.Marshal(found)
	if err != nil {
		return err
	}
	return snapshot.WriteFile(path, redactIndex(l.Index, l.secrets), snapshot.Meta{
		Created: created, Imgdiff: version, CaptureKey: l.captureKey, Provenance: l.provenance, Redacted: redacted})
}

// redactIndex returns img with the credential-like values the redaction
// found taken out of its config and history, as the redaction takes them
// out of what reports show: a snapshot is a file teams keep as a CI
// artifact, and never holds them.
func redactIndex(img *index.Image, values []string) *index.Image {
	if len(values) == 0 {
		return img
	}
	r := hygiene.Replacer(values)
	all := func(ss []string) []string {
		out := slices.Clone(ss)
		for i := range out {
			out[i] = r.Replace(out[i])
		}
		return out
	}
	out := *img
	cfg := img.Config.DeepCopy()
	c := &cfg.Config
	c.Env, c.Entrypoint, c.Cmd = all(c.Env), all(c.Entrypoint), all(c.Cmd)
	if c.Healthcheck != nil {
		c.Healthcheck.Test = all(c.Healthcheck.Test)
	}
	for i := range cfg.History {
		cfg.History[i].CreatedBy = r.Replace(cfg.History[i].CreatedBy)
		cfg.History[i].Comment = r.Replace(cfg.History[i].Comment)
	}
	out.Config = cfg
	return &out
}

// snapshotRedaction is what the redaction found when the snapshot img
// was read from was taken (its values are no longer there to find).
func snapshotRedaction(sn *index.Snapshot) (*model.Redaction, error) {
	var found []model.Finding
	if len(sn.Redacted) > 0 {
		if err := json.Unmarshal(sn.Redacted, &found); err != nil {
			return nil, fmt.Errorf("corrupt snapshot: its redaction findings: %v", err)
		}
	}
	return &model.Redaction{Findings: found}, nil
}

// Load runs open → walk → build → redact → classify on the images refs
// name: the images are opened and analysed in parallel, and the layers
// they share are read once. The result is in refs' order.
func Load(ctx context.Context, o Options, refs ...string) ([]Loaded, error) {
	if o.Open.Jobs <= 0 {
		return nil, fmt.Errorf("pipeline: jobs must be at least 1, got %d", o.Open.Jobs)
	}
	if len(refs) == 0 {
		return nil, errors.New("pipeline: no image to load")
	}
	obs := o.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	var t Timings
	t.Images = len(refs)

	start := time.Now()
	opts := o.Open
	opts.SaveProgress = obs.Opening(ctx)
	imgs, err := layers.OpenAll(ctx, refs, opts)
	obs.Opened(imgs, err)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, img := range imgs {
			img.Close()
		}
	}()
	opened := time.Now()
	t.Open = opened.Sub(start)

	wo := layers.WalkOptions{
		Jobs:       o.Open.Jobs,
		MaxEntries: o.MaxEntries,
		Head:       rules.HeadLen, // named by rules.CaptureKey, part of every capture key
	}
	var scripts map[string]bool
	wo.Capture, wo.CaptureKey, scripts = captureSet(imgs, o.RunFacts)
	ownKeys := make([]string, len(imgs))
	for i, img := range imgs {
		_, ownKeys[i], _ = captureSet(imgs[i:i+1], o.RunFacts)
		if err := checkSnapshot(img, ownKeys[i], o.RunFacts); err != nil {
			return nil, &layers.RefError{Ref: refs[i], Err: err}
		}
	}
	if o.RunFacts {
		wo.ELF = wantELF
	}
	if o.Cache != nil {
		if c := o.Cache(); c != nil {
			wo.Cache = c
		}
	}
	wo.Observer = obs.Walking(ctx, imgs)
	walked, err := layers.Walk(ctx, wo, imgs...)
	obs.Walked(err)
	if err != nil {
		return nil, err
	}
	read := time.Now()
	t.Walk = read.Sub(opened)
	big := entries(walked) >= bigIndex
	if big {
		// The walk's scratch (records, the path sets) is garbage now;
		// collect it so Build's chunks reuse its pages rather than grow
		// the heap (see bigIndex).
		runtime.GC()
	}

	// Images are analysed in parallel: with two images (compare) this
	// stage is otherwise a serial tail after the parallel walk. Big ones
	// one at a time: Build's peak (the index, its stack and the listing)
	// is the whole command's, and two at once would double it.
	out := make([]Loaded, len(walked))
	stages := make([][3]time.Duration, len(walked))
	var g errgroup.Group
	g.SetLimit(o.Open.Jobs)
	if big {
		g.SetLimit(1)
	}
	for i := range walked {
		g.Go(func() error {
			// Nothing reads the index after Build but the final
			// filesystem, which points into its layers' entries: drop
			// the rest (whiteouts, captured bodies, ELF facts) before
			// Classify allocates its per-file lists.
			w := walked[i]
			walked[i] = nil
			t0 := time.Now()
			img, err := analyze.Build(w)
			if err != nil {
				return fmt.Errorf("%s: %w", refs[i], err)
			}
			configELF(img, scripts)
			dropBinaryScripts(img, scripts)
			if big {
				// Build's stack (32 bytes a node) is garbage: collect it
				// before Classify allocates its per-file lists.
				runtime.GC()
			}
			t1 := time.Now()
			var secrets []string
			if o.KeepIndex {
				secrets = hygiene.SecretValues(img)
			}
			if w.Snapshot != nil {
				if img.Redacted, err = snapshotRedaction(w.Snapshot); err != nil {
					return fmt.Errorf("%s: %w", refs[i], err)
				}
			}
			img = hygiene.Redact(img)
			t2 := time.Now()
			class := analyze.Classify(img, o.Rules)
			stages[i] = [3]time.Duration{t1.Sub(t0), t2.Sub(t1), time.Since(t2)}
			out[i] = Loaded{Image: img, Class: class, Notes: imgs[i].Notes}
			if o.RunFacts {
				out[i].ELF = img.ELF
			}
			if o.KeepIndex {
				out[i].Index, out[i].captureKey, out[i].provenance, out[i].secrets = w, ownKeys[i], imgs[i].Provenance, secrets
			}
			if img.Snapshot != nil {
				now := time.Now
				if o.Now != nil {
					now = o.Now
				}
				img.Snapshot.AgeSeconds = int64(now().Sub(img.Snapshot.Created) / time.Second)
			}
			if df := o.dockerfile(i); df != nil && df.File != nil {
				r, err := analyze.MapDockerfile(img, class, df.File, analyze.DockerfileOptions{
					Target: df.Target, BuildArgs: df.BuildArgs, Dockerignore: df.Dockerignore})
				if err != nil {
					return fmt.Errorf("%s: %w", df.File.Path, err)
				}
				out[i].Dockerfile = r
			} else if prov := imgs[i].Provenance; prov != nil {
				out[i].Dockerfile = fromProvenance(img, class, prov)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, s := range stages {
		t.Build += s[0]
		t.Redact += s[1]
		t.Classify += s[2]
	}
	t.Analyse = time.Since(read)
	obs.Done(t)
	return out, nil
}

// bigIndex is the number of index entries from which Load collects
// garbage between its stages. The Go runtime lets the heap grow to twice
// what was live at the last collection before it collects again; on an
// image of millions of files each stage's leftovers (the walk's scratch,
// the index, Build's stack: hundreds of MB) would otherwise still be
// counted when the next stage allocates, and the process's peak RSS would
// be near the sum of the stages rather than the largest one (1.26 GB
// against 0.8 GB for 4M files). Below it a collection is not worth its
// time.
const bigIndex = 1 << 20

// entries counts the index entries of imgs, layers shared by two images
// once.
func entries(imgs []*index.Image) int {
	seen := map[*index.Layer]bool{}
	n := 0
	for _, img := range imgs {
		for _, l := range img.Layers {
			if !seen[l] {
				seen[l] = true
				n += len(l.Entries)
			}
		}
	}
	return n
}

// Analyze runs the whole pipeline on one image: Load, then the summary
// with top entries per list (analyze.Summarize), then the budgets that
// apply to it. Its Budgets are nil when o has none.
func Analyze(ctx context.Context, o Options, ref string, top int) (*analyze.Analysis, error) {
	loaded, err := Load(ctx, o, ref)
	if err != nil {
		return nil, err
	}
	return AnalyzeLoaded(o, loaded[0], top)
}

// AnalyzeLoaded is the second half of Analyze, for callers that keep the
// loaded image (to write its snapshot): the summary, then the budgets.
func AnalyzeLoaded(o Options, l Loaded, top int) (*analyze.Analysis, error) {
	a := analyze.Summarize(l.Image, l.Class, top)
	a.Dockerfile = l.Dockerfile
	if !o.Budgets.Empty() {
		var err error
		if a.Budgets, err = budget.EvaluateAnalysis(a, o.Budgets); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Compare runs the whole pipeline on two images, A (the baseline) and B:
// Load, then their comparison (analyze.Compare), then the budgets.
func Compare(ctx context.Context, o Options, refA, refB string, co analyze.CompareOptions) (*analyze.Comparison, error) {
	loaded, err := Load(ctx, o, refA, refB)
	if err != nil {
		return nil, err
	}
	return CompareLoaded(o, loaded[0], loaded[1], co)
}

// CompareLoaded is the second half of Compare, for callers that keep the
// loaded images (the HTML report colours its treemaps with their
// classifications): the comparison of a and b, then the budgets.
func CompareLoaded(o Options, a, b Loaded, co analyze.CompareOptions) (*analyze.Comparison, error) {
	c, err := analyze.Compare(a.Image, b.Image, a.Class, b.Class, co)
	if err != nil {
		return nil, err
	}
	c.DockerfileA, c.DockerfileB = a.Dockerfile, b.Dockerfile
	if !o.Budgets.Empty() {
		if c.Budgets, err = budget.EvaluateComparison(c, o.Budgets, b.Class); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// fromProvenance maps img's steps with the Dockerfile its BuildKit
// provenance attestation carries (mode=max). An attestation without one
// (mode=min) or one that does not parse maps nothing and says why in the
// image's warnings.
func fromProvenance(img *model.Image, class *model.Classification, statement []byte) *analyze.DockerfileReport {
	digests := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		digests[i] = l.Digest
	}
	r, err := analyze.MapProvenance(img, class, statement, digests)
	if err != nil {
		if errors.Is(err, dockerfile.ErrNoSource) {
			img.Warnings = append(img.Warnings, "the image's provenance attestation carries no Dockerfile (built with mode=min): pass --dockerfile to map its steps")
		} else {
			img.Warnings = append(img.Warnings, fmt.Sprintf("the image's provenance attestation was not used: %v", err))
		}
		return nil
	}
	return r
}

// checkSnapshot refuses a snapshot whose walk captured other file bodies
// than this run's would (other rules, another imgdiff, or suggest, which
// needs ELF facts no snapshot holds): its classification would differ
// from the image's.
func checkSnapshot(img *layers.Image, key string, runFacts bool) error {
	if img.Snapshot == nil {
		return nil
	}
	if runFacts {
		return errors.New("a snapshot holds no ELF facts of the image's files, which this command reads: give it the image itself")
	}
	if img.Snapshot.CaptureKey != key {
		return fmt.Errorf("the snapshot captured other file bodies than this imgdiff's rules read (snapshot: %q, needed: %q): take it again with this imgdiff and rules", img.Snapshot.CaptureKey, key)
	}
	return nil
}

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) Opening(context.Context) func(int64)                      { return nil }
func (nopObserver) Opened([]*layers.Image, error)                            {}
func (nopObserver) Walking(context.Context, []*layers.Image) layers.Observer { return nil }
func (nopObserver) Walked(error)                                             {}
func (nopObserver) Done(Timings)                                             {}
