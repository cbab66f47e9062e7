package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/explain"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// DockerfileReport is what an image says about the Dockerfile that built
// it: every history step mapped to its instruction, and the Dockerfile
// checks run with the image's evidence. It is an optional part of the
// JSON model (docs/json.md).
type DockerfileReport struct {
	// Source is where the mapping came from: "dockerfile" (--dockerfile)
	// or "provenance" (the image's BuildKit provenance attestation).
	Source string `json:"source"`
	// File is the Dockerfile's path as given (or as the provenance names it).
	File string `json:"file"`
	// Target is the stage the image was matched against.
	Target string `json:"target"`
	// Builder is the history format: "buildkit" or "legacy".
	Builder string `json:"builder,omitempty"`
	// MatchRate is Mapped/Total: the share of history entries mapped to
	// a line (1 for an empty history).
	MatchRate float64 `json:"matchRate"`
	Mapped    int     `json:"mapped"`
	Total     int     `json:"total"`
	// Steps is parallel to Image.Steps: where each step comes from.
	Steps []StepLocation `json:"steps"`
	// Warnings say where the Dockerfile stopped matching the image.
	Warnings []string `json:"warnings,omitempty"`
	// Dockerignore says whether a .dockerignore sits next to the Dockerfile
	// (false with a provenance mapping: nothing is known).
	Dockerignore bool `json:"dockerignore"`
	// Findings are the Dockerfile checks' results, by bytes at stake.
	Findings []dockerfile.Finding `json:"findings,omitempty"`
	// Parsed is the Dockerfile itself, for the text of its lines.
	Parsed *dockerfile.File `json:"-"`
}

// StepLocation is the Dockerfile instruction behind one history step.
type StepLocation struct {
	Step int `json:"step"`
	// Kind is "instruction", "base" (the base image's, Lines is the FROM
	// line), "exporter" (added by BuildKit's exporter) or "" (unmapped).
	Kind    string `json:"kind,omitempty"`
	File    string `json:"file,omitempty"`
	Start   int    `json:"startLine,omitempty"`
	End     int    `json:"endLine,omitempty"`
	Stage   string `json:"stage,omitempty"`
	Keyword string `json:"keyword,omitempty"`
}

// Mapped reports whether the step points at Dockerfile lines.
func (s StepLocation) Mapped() bool { return s.Kind == "instruction" || s.Kind == "base" }

// Location renders "Dockerfile:4-6 (build)", "" when unmapped.
func (s StepLocation) Location() string {
	if !s.Mapped() {
		return ""
	}
	l := dockerfile.Lines{Start: s.Start, End: s.End}
	out := s.File + ":" + l.String()
	if s.Stage != "" {
		out += " (" + s.Stage + ")"
	}
	return out
}

// Location is the Dockerfile location of step i, "" when unknown (no
// mapping, a step out of range, an unmapped step).
func (r *DockerfileReport) Location(step int) string {
	if r == nil || step < 0 || step >= len(r.Steps) {
		return ""
	}
	return r.Steps[step].Location()
}

// StepAt is the location of step i; ok is false when it is not mapped.
func (r *DockerfileReport) StepAt(step int) (StepLocation, bool) {
	if r == nil || step < 0 || step >= len(r.Steps) || !r.Steps[step].Mapped() {
		return StepLocation{}, false
	}
	return r.Steps[step], true
}

// DockerfileOptions tune MapDockerfile.
type DockerfileOptions struct {
	// Target is the stage that was built (name or index); "" is the last.
	Target string
	// BuildArgs are --build-arg values.
	BuildArgs map[string]string
	// Dockerignore says whether a .dockerignore sits next to the
	// Dockerfile (the caller looks; this package does no I/O).
	Dockerignore bool
}

// HistoryEntries returns the image's history as the Dockerfile mapping
// reads it, one entry per step; nil when the steps are synthetic (the
// image has no usable history).
func HistoryEntries(img *model.Image) []dockerfile.Entry {
	out := make([]dockerfile.Entry, len(img.Steps))
	for i, s := range img.Steps {
		if s.Synthetic {
			return nil
		}
		out[i] = dockerfile.Entry{CreatedBy: s.CreatedBy, Comment: s.Comment, EmptyLayer: s.EmptyLayer}
	}
	return out
}

// MapDockerfile maps img's steps onto f and runs the Dockerfile checks
// with the evidence of img and its classification c (nil: no package or
// category evidence). The error is for a target f does not have.
func MapDockerfile(img *model.Image, c *model.Classification, f *dockerfile.File, o DockerfileOptions) (*DockerfileReport, error) {
	m, err := f.Map(HistoryEntries(img), dockerfile.Options{Target: o.Target, BuildArgs: o.BuildArgs})
	if err != nil {
		return nil, err
	}
	return finishDockerfile(img, c, f, m, o.Target, o.Dockerignore)
}

// MapProvenance maps img's steps with the Dockerfile and layer chains of
// a BuildKit provenance attestation (statement: the in-toto statement's
// bytes) and runs the checks. layerDigests are the image's compressed
// layer digests in manifest order. dockerfile.ErrNoSource (wrapped) says
// the provenance carries no Dockerfile (mode=min).
func MapProvenance(img *model.Image, c *model.Classification, statement []byte, layerDigests []string) (*DockerfileReport, error) {
	p, err := dockerfile.ParseProvenance(statement)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	if len(p.Data) == 0 {
		return nil, fmt.Errorf("provenance: %w", dockerfile.ErrNoSource)
	}
	m, err := p.Map(HistoryEntries(img), layerDigests)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	f, err := dockerfile.Parse(p.Filename, p.Data)
	if err != nil {
		return nil, fmt.Errorf("provenance source: %w", err)
	}
	return finishDockerfile(img, c, f, m, p.Target, false)
}

func finishDockerfile(img *model.Image, c *model.Classification, f *dockerfile.File, m *dockerfile.Mapping, target string, ignore bool) (*DockerfileReport, error) {
	r := &DockerfileReport{Source: m.Source, File: m.File, Target: m.Target, Builder: string(m.Builder),
		MatchRate: m.MatchRate(), Mapped: m.Mapped, Total: m.Total, Dockerignore: ignore, Parsed: f,
		Steps: make([]StepLocation, len(img.Steps))}
	for i := range r.Steps {
		r.Steps[i].Step = i
	}
	for _, e := range m.Entries {
		if e.Index < 0 || e.Index >= len(r.Steps) {
			continue
		}
		r.Steps[e.Index] = StepLocation{Step: e.Index, Kind: string(e.Kind), File: e.File,
			Start: e.Lines.Start, End: e.Lines.End, Stage: e.Stage, Keyword: e.Keyword}
		if !e.Mapped() {
			r.Steps[e.Index].File, r.Steps[e.Index].Start, r.Steps[e.Index].End = "", 0, 0
		}
	}
	for _, w := range m.Warnings {
		r.Warnings = append(r.Warnings, w.Message)
	}
	baseFromMapping(img, r)
	findings, err := dockerfile.Check(f, DockerfileEvidence(img, c, r, target, ignore))
	if err != nil {
		return nil, err
	}
	r.Findings = findings
	return r, nil
}

// baseFromMapping sets img.Base from the mapping when it places the
// image's first history entry: the leading entries it puts on the target
// chain's root FROM are the base, exactly (none for FROM scratch). The
// name and digest the annotations gave stay. A mapping that does not
// reach the first entry, or whose base entries are not the leading ones,
// leaves the heuristic's answer.
func baseFromMapping(img *model.Image, r *DockerfileReport) {
	if len(r.Steps) == 0 || len(r.Steps) != len(img.Steps) || !r.Steps[0].Mapped() {
		return
	}
	n := 0
	for n < len(r.Steps) && r.Steps[n].Kind == string(dockerfile.KindBase) {
		n++
	}
	for _, st := range r.Steps[n:] {
		if st.Kind == string(dockerfile.KindBase) {
			return
		}
	}
	b := &model.BaseImage{Steps: n, Source: explain.SourceDockerfile, Heuristic: explain.HeuristicNone}
	if r.Source == "provenance" {
		b.Source = explain.SourceProvenance
	}
	if old := img.Base; old != nil {
		b.Name, b.Digest, b.Heuristic = old.Name, old.Digest, old.Heuristic
	}
	if n > 0 {
		st := r.Steps[0]
		b.Evidence = st.Location() + " FROM"
		if r.Parsed != nil {
			if t := r.Parsed.Snippet(dockerfile.Lines{Start: st.Start, End: st.End}); t != "" {
				b.Evidence = st.Location() + " " + model.Shorten(t, 80)
			}
		}
	} else {
		b.Evidence = "the target chain starts FROM scratch"
	}
	sizeBase(b, img.Steps)
	img.Base = b
}

// junkNames are the path components a .dockerignore usually keeps out of
// a context copy.
var junkNames = map[string]bool{".git": true, ".env": true, "node_modules": true, "test": true, "tests": true, "__tests__": true}

// DockerfileEvidence collects what the image says about each mapped
// instruction of the final image, keyed by its first line: the bytes its
// layer ships, the build-tool packages it installed, the cache bytes it
// left, and what a whole-context copy shipped that a .dockerignore would
// keep out.
func DockerfileEvidence(img *model.Image, c *model.Classification, r *DockerfileReport, target string, ignore bool) dockerfile.Evidence {
	ev := dockerfile.Evidence{Target: target, Lines: map[int]dockerfile.LineEvidence{}, Dockerignore: ignore, User: img.Config.User}
	lineOf := func(step int) (int, bool) {
		l, ok := r.StepAt(step)
		if !ok || l.Kind != "instruction" {
			return 0, false
		}
		return l.Start, true
	}
	for i, s := range img.Steps {
		if line, ok := lineOf(i); ok {
			e := ev.Lines[line]
			e.Bytes += s.Final
			ev.Lines[line] = e
		}
	}
	if c == nil {
		return ev
	}
	for _, p := range c.Packages {
		if p.Category != model.BuildTool || p.Bytes == 0 {
			continue
		}
		if line, ok := lineOf(p.Step); ok {
			e := ev.Lines[line]
			e.BuildTools = append(e.BuildTools, dockerfile.Package{Name: p.Name, Bytes: p.Bytes})
			ev.Lines[line] = e
		}
	}
	cacheDirs := map[int]map[string]int64{}
	junk := map[int]map[string]int64{}
	for i, f := range img.FS.Files {
		if f.Kind == index.Dir || f.Bytes == 0 {
			continue
		}
		step := img.StepOf(f.Layer)
		line, ok := lineOf(step)
		if !ok {
			continue
		}
		if i < len(c.Flags) && c.Flags[i].Category == model.Cache {
			e := ev.Lines[line]
			e.CacheBytes += f.Bytes
			ev.Lines[line] = e
			if cacheDirs[line] == nil {
				cacheDirs[line] = map[string]int64{}
			}
			cacheDirs[line][cacheDir(f.Path)] += f.Bytes
		}
		if kw := r.Steps[step].Keyword; kw == "COPY" || kw == "ADD" {
			if root := junkRoot(f.Path); root != "" {
				if junk[line] == nil {
					junk[line] = map[string]int64{}
				}
				junk[line][root] += f.Bytes
			}
		}
	}
	for line, dirs := range cacheDirs {
		e := ev.Lines[line]
		for _, pb := range byBytes(dirs, 3) {
			e.CachePaths = append(e.CachePaths, "/"+pb.Path)
		}
		ev.Lines[line] = e
	}
	for line, roots := range junk {
		e := ev.Lines[line]
		for _, pb := range byBytes(roots, 0) {
			e.ContextJunk = append(e.ContextJunk, dockerfile.PathBytes{Path: "/" + pb.Path, Bytes: pb.Bytes})
		}
		ev.Lines[line] = e
	}
	return ev
}

// cacheDir names a cache file by its directory, at most four levels deep
// ("var/lib/apt/lists", "root/.cache/pip").
func cacheDir(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		parts = parts[:4]
	}
	return strings.Join(parts, "/")
}

// junkRoot is the path up to the first component a .dockerignore usually
// excludes, "" when there is none.
func junkRoot(p string) string {
	parts := strings.Split(p, "/")
	for i, c := range parts {
		if junkNames[c] {
			return strings.Join(parts[:i+1], "/")
		}
	}
	return ""
}

// byBytes returns m's paths by bytes (then name), at most n (0: all).
func byBytes(m map[string]int64, n int) []dockerfile.PathBytes {
	out := make([]dockerfile.PathBytes, 0, len(m))
	for p, b := range m {
		out = append(out, dockerfile.PathBytes{Path: p, Bytes: b})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Path < out[j].Path
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// ErrNoSuchStage is dockerfile.ErrNoSuchStage, for callers that check a
// --target without importing the parser.
var ErrNoSuchStage = dockerfile.ErrNoSuchStage
