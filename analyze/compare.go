package analyze

import (
	"errors"
	"fmt"
	"sort"

	"github.com/imgdiff/imgdiff/analyze/explain"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// ErrPlatformMismatch is returned by Compare for images of different
// platforms, unless CompareOptions.AllowPlatformMismatch is set.
var ErrPlatformMismatch = errors.New("images are for different platforms")

// CompareOptions tune Compare.
type CompareOptions struct {
	// Top is how many entries each top-N list keeps (files, packages,
	// directories). 0 means 10.
	Top int
	// AllFiles keeps every changed path in the file lists instead of Top.
	AllFiles bool
	// AllowPlatformMismatch compares images of different platforms.
	AllowPlatformMismatch bool
}

// Comparison is the report of `imgdiff compare A B`: how much smaller B is
// than A, and which bytes make the difference. Every delta is A − B: it
// is positive when B is smaller (what B saves) and negative when B grew.
// It is the JSON model.
type Comparison struct {
	SchemaVersion int          `json:"schemaVersion"`
	Kind          string       `json:"kind"`
	A             *model.Image `json:"a"`
	B             *model.Image `json:"b"`
	Delta         Delta        `json:"delta"`
	Shared        Shared       `json:"shared"`
	// Decomposition explains Delta.Size term by term.
	Decomposition Decomposition `json:"decomposition"`
	// Packages whose bytes differ, by |delta|.
	Packages []PackageDelta `json:"packages"`
	// Dirs are the directories that best explain the difference.
	Dirs []DirDelta `json:"dirs"`
	// StepsA are A's steps that wrote bytes B does not carry; StepsB are
	// B's steps that wrote bytes A does not carry (the ε side).
	StepsA []StepDelta `json:"stepsA"`
	StepsB []StepDelta `json:"stepsB"`
	Files  FileDiff    `json:"files"`
	// Categories of each image's final filesystem.
	CategoriesA []model.CategoryTotal `json:"categoriesA,omitempty"`
	CategoriesB []model.CategoryTotal `json:"categoriesB,omitempty"`
	// Identical is set when both images have the same layers.
	Identical bool     `json:"identical"`
	Warnings  []string `json:"warnings,omitempty"`
	// Budgets is set when budgets were checked.
	Budgets *model.BudgetReport `json:"budgets,omitempty"`
	// DockerfileA and DockerfileB are set when a Dockerfile (or the
	// image's provenance) mapped that side's steps to their lines.
	DockerfileA *DockerfileReport `json:"dockerfileA,omitempty"`
	DockerfileB *DockerfileReport `json:"dockerfileB,omitempty"`
}

// Delta is the size difference, A − B.
type Delta struct {
	// Size is the content-size difference (`docker image inspect` .Size).
	Size int64 `json:"size"`
	// Percent is Size as a percentage of A's content size.
	Percent float64 `json:"percent"`
	// CompressedSize is the compressed-size difference, Unknown when
	// either image's compressed size is unknown.
	CompressedSize    int64   `json:"compressedSize"`
	CompressedPercent float64 `json:"compressedPercent"`
}

// Shared describes the layers both images have (same diffID).
type Shared struct {
	Layers int `json:"layers"`
	// Size is their content size, CompressedSize their size in B's blobs.
	Size           int64 `json:"size"`
	CompressedSize int64 `json:"compressedSize"`
	// PullSize is what pulling B costs someone who already has A: the
	// compressed size of B's layers A lacks (Unknown if not known), and
	// PullContentSize their content size.
	PullSize        int64 `json:"pullSize"`
	PullContentSize int64 `json:"pullContentSize"`
}

// Decomposition explains Delta.Size exactly:
//
//	Delta.Size = Σ Terms[i].Bytes − Epsilon
//
// Terms hold the bytes of A's final files that B lacks or holds fewer of,
// by A's category, plus "hidden": bytes A's layers carry but deleted or
// overwrote. Epsilon is what B adds: files only in B, files grown in B,
// and bytes B's layers hide.
type Decomposition struct {
	Terms        []Term  `json:"terms"`
	Epsilon      int64   `json:"epsilon"`
	EpsilonParts Epsilon `json:"epsilonParts"`
	Total        int64   `json:"total"`
	// BaseSource says where A's base came from (model.BaseImage.Source),
	// "none" when A has none; CommonLayers and CommonSize are the leading
	// layers both images have, their common base: never in the base term.
	BaseSource   string `json:"baseSource"`
	CommonLayers int    `json:"commonLayers"`
	CommonSize   int64  `json:"commonSize"`
	// BaseDetail names both images' bases, their sizes and sources, in a
	// report's words (also the base term's Detail).
	BaseDetail string `json:"baseDetail"`
	// OtherGroups split the "other" term by what put the bytes there: the
	// requested package that pulled them in (with the packages it
	// pulled), else the package, else the directory; the largest first,
	// at most CompareOptions.Top of them.
	OtherGroups []OtherGroup `json:"otherGroups,omitempty"`
}

// OtherGroup is one part of the "other" term.
type OtherGroup struct {
	// Name says it in a report's words: "npm and the 412 packages it
	// pulled in", "libc6 (dpkg)", "files under app (no package)".
	Name string `json:"name"`
	// Pullers are the requested packages behind it, Packages how many
	// packages it holds (0 for a directory).
	Pullers  []string `json:"pullers,omitempty"`
	Packages int      `json:"packages"`
	Bytes    int64    `json:"bytes"`
	Files    int      `json:"files"`
}

// Term is one category's share of the difference.
type Term struct {
	// Name is a Category, "base image" or "hidden".
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
	Files int    `json:"files"`
	// Detail says more where a term needs it: both base images for
	// "base image".
	Detail string `json:"detail,omitempty"`
}

// HiddenTerm names the decomposition term of bytes A hides in its layers.
const HiddenTerm = "hidden"

// BaseTerm names the decomposition term of the bytes of A's base image
// layers (Image.Base) that B does not carry, but for the categories the
// base keeps (a build-tool package in the base stays a build tool:
// baseKeeps). Layers both images start with are their common base,
// never in it.
const BaseTerm = "base image"

// Epsilon splits what B adds.
type Epsilon struct {
	OnlyB   int64 `json:"onlyB"`
	GrownB  int64 `json:"grownB"`
	HiddenB int64 `json:"hiddenB"`
}

// PackageDelta is a package whose bytes differ between the images.
type PackageDelta struct {
	Name     string         `json:"name"`
	Manager  string         `json:"manager"`
	Category model.Category `json:"category,omitempty"`
	A        int64          `json:"a"`
	B        int64          `json:"b"`
	Delta    int64          `json:"delta"`
}

// DirDelta is a directory whose bytes differ.
type DirDelta struct {
	Path  string `json:"path"`
	Delta int64  `json:"delta"`
	Files int    `json:"files"`
}

// StepDelta is one step's share of the difference, from one side.
type StepDelta struct {
	Step        int    `json:"step"`
	Instruction string `json:"instruction"`
	// Bytes are final-filesystem bytes the other image lacks; Hidden the
	// bytes the step wrote that a later layer removed.
	Bytes      int64                 `json:"bytes"`
	Hidden     int64                 `json:"hidden"`
	Categories []model.CategoryTotal `json:"categories,omitempty"`
}

// FileDiff is the path-level difference, aggregated: counts and bytes of
// every list, with the largest entries kept.
type FileDiff struct {
	OnlyA   FileList `json:"onlyA"`
	OnlyB   FileList `json:"onlyB"`
	Changed FileList `json:"changed"`
	// Moved are files only in A paired with files only in B of the same
	// base name and size: one file moved, counted in no term and not in
	// ε. They stay in OnlyA and OnlyB too. Nil when there are none.
	Moved *MovedFiles `json:"moved,omitempty"`
}

// MovedFiles counts the moved files and keeps the largest.
type MovedFiles struct {
	Count     int         `json:"count"`
	Bytes     int64       `json:"bytes"`
	Top       []MovedFile `json:"top"`
	Truncated bool        `json:"truncated"`
}

// MovedFile is a file at From in A and at To in B.
type MovedFile struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Bytes int64  `json:"bytes"`
}

// FileList counts a set of paths and keeps the largest.
type FileList struct {
	Count int   `json:"count"`
	Bytes int64 `json:"bytes"`
	// Top holds the largest entries (all of them with AllFiles);
	// Truncated says whether some were left out.
	Top       []FileChange `json:"top"`
	Truncated bool         `json:"truncated"`
}

// FileChange is one path that differs.
type FileChange struct {
	Path     string         `json:"path"`
	A        int64          `json:"a"`
	B        int64          `json:"b"`
	Category model.Category `json:"category,omitempty"`
	// What changed, for paths in both: "type", "size", "mode", "owner",
	// "link".
	What []string `json:"what,omitempty"`
}

// Compare explains how B differs from A. ca and cb are the images'
// classifications; either may be nil, and then every byte is "other".
func Compare(a, b *model.Image, ca, cb *model.Classification, opts CompareOptions) (*Comparison, error) {
	if a.Platform != b.Platform && !opts.AllowPlatformMismatch {
		return nil, fmt.Errorf("%w: %s is %s, %s is %s", ErrPlatformMismatch, a.Ref, a.Platform, b.Ref, b.Platform)
	}
	if opts.Top <= 0 {
		opts.Top = 10
	}
	common := commonPrefix(a, b)
	a, b = withSharedBase(a, common), withSharedBase(b, common)
	c := &Comparison{SchemaVersion: model.SchemaVersion, Kind: "compare", A: a, B: b}
	if a.Platform != b.Platform {
		c.Warnings = append(c.Warnings, fmt.Sprintf("comparing %s with %s: the images are for different platforms", a.Platform, b.Platform))
	}
	c.Delta = delta(a, b)
	c.Shared = shared(a, b)
	c.Identical = sameLayers(a, b)
	if ca != nil {
		c.CategoriesA = ca.Totals
	}
	if cb != nil {
		c.CategoriesB = cb.Totals
	}

	d := newDiffer(a, b, ca, cb, opts)
	d.common = common
	d.run()
	c.Decomposition = d.decomposition()
	c.Decomposition.BaseSource = explain.SourceNone
	if a.Base != nil {
		c.Decomposition.BaseSource = a.Base.Source
	}
	c.Decomposition.CommonLayers = common
	c.Decomposition.BaseDetail = explain.BaseDetail(a, b)
	for _, l := range a.Layers[:common] {
		c.Decomposition.CommonSize += l.Size
	}
	c.StepsA = d.steps(a, d.stepsA, d.hiddenStepsA)
	c.StepsB = d.steps(b, d.stepsB, d.hiddenStepsB)
	c.Files = d.files
	c.Dirs = d.dirDeltas()
	c.Packages = packageDeltas(ca, cb, opts.Top)

	if c.Decomposition.Total != c.Delta.Size {
		// Both are sums of the same bytes; a mismatch is a bug, not data.
		return nil, fmt.Errorf("analyze: decomposition adds up to %d, delta is %d", c.Decomposition.Total, c.Delta.Size)
	}
	return c, nil
}

func delta(a, b *model.Image) Delta {
	d := Delta{Size: a.Size - b.Size, CompressedSize: model.Unknown}
	if a.Size > 0 {
		d.Percent = 100 * float64(d.Size) / float64(a.Size)
	}
	if a.CompressedSize >= 0 && b.CompressedSize >= 0 {
		d.CompressedSize = a.CompressedSize - b.CompressedSize
		if a.CompressedSize > 0 {
			d.CompressedPercent = 100 * float64(d.CompressedSize) / float64(a.CompressedSize)
		}
	}
	return d
}

func shared(a, b *model.Image) Shared {
	// Layers are the same when the walk showed them to be (Identity),
	// never because two configs claim one diffID.
	inA := map[string]bool{}
	for _, l := range a.Layers {
		if l.Identity != "" {
			inA[l.Identity] = true
		}
	}
	s := Shared{}
	seen := map[string]bool{}
	for _, l := range b.Layers {
		if l.Identity != "" && seen[l.Identity] {
			continue
		}
		seen[l.Identity] = true
		if l.Identity != "" && inA[l.Identity] {
			s.Layers++
			s.Size += l.Size
			s.CompressedSize = addKnown(s.CompressedSize, l.CompressedSize)
			continue
		}
		s.PullContentSize += l.Size
		s.PullSize = addKnown(s.PullSize, l.CompressedSize)
	}
	return s
}

// addKnown adds n to sum, where either being Unknown makes the sum Unknown.
func addKnown(sum, n int64) int64 {
	if sum < 0 || n < 0 {
		return model.Unknown
	}
	return sum + n
}

// commonPrefix is the number of leading layers a and b both have, by
// what the walk showed of their bytes (Identity).
func commonPrefix(a, b *model.Image) int {
	n := 0
	for n < len(a.Layers) && n < len(b.Layers) && a.Layers[n].Identity != "" && a.Layers[n].Identity == b.Layers[n].Identity {
		n++
	}
	return n
}

// withSharedBase returns img with the common layers (the first common of
// them, shared with the other image) as its base, when its base came from
// no better source than a heuristic: the build's own record (a
// Dockerfile mapping or provenance) is kept. img itself is not changed.
func withSharedBase(img *model.Image, common int) *model.Image {
	if common == 0 || (img.Base != nil && img.Base.Source != explain.SourceHeuristic && img.Base.Source != explain.SourceNone && img.Base.Source != "") {
		return img
	}
	steps := -1
	for i, st := range img.Steps {
		if st.Layer == common-1 {
			steps = i + 1
			break
		}
	}
	if steps < 0 {
		return img // synthetic steps without a layer: nothing to say
	}
	b := &model.BaseImage{Steps: steps, Source: explain.SourceShared, Heuristic: explain.HeuristicNone,
		Evidence: countLayers(common) + " shared with the other image"}
	if old := img.Base; old != nil {
		b.Name, b.Digest, b.Heuristic = old.Name, old.Digest, old.Heuristic
		if old.Layers <= common && old.Steps > b.Steps {
			b.Steps = old.Steps // the base's CMD after its last layer
		}
	}
	sizeBase(b, img.Steps)
	out := *img
	out.Base = b
	return &out
}

// countLayers says "the first layer" or "the first 3 layers".
func countLayers(n int) string {
	if n == 1 {
		return "the first layer"
	}
	return fmt.Sprintf("the first %d layers", n)
}

func sameLayers(a, b *model.Image) bool {
	if len(a.Layers) != len(b.Layers) {
		return false
	}
	for i := range a.Layers {
		if a.Layers[i].Identity == "" || a.Layers[i].Identity != b.Layers[i].Identity {
			return false
		}
	}
	return true
}

// differ walks both final filesystems once and accumulates every view of
// the difference.
type differ struct {
	a, b   *model.Image
	ca, cb *model.Classification
	opts   CompareOptions

	terms                      map[model.Category]*Term
	baseSteps                  int // A's leading steps from its base image
	common                     int // leading layers both images have
	others                     map[string]*otherGroup
	eps                        Epsilon
	stepsA, stepsB             map[int]map[model.Category]*model.CategoryTotal
	hiddenStepsA, hiddenStepsB map[int]int64
	dirs                       *dirTotals
	files                      FileDiff
	onlyA, onlyB, changed      topFiles
}

func newDiffer(a, b *model.Image, ca, cb *model.Classification, opts CompareOptions) *differ {
	return &differ{a: a, b: b, ca: ca, cb: cb, opts: opts,
		terms: map[model.Category]*Term{}, others: map[string]*otherGroup{},
		stepsA: map[int]map[model.Category]*model.CategoryTotal{}, stepsB: map[int]map[model.Category]*model.CategoryTotal{},
		hiddenStepsA: map[int]int64{}, hiddenStepsB: map[int]int64{},
		dirs:  newDirTotals(),
		onlyA: topFiles{n: opts.Top, all: opts.AllFiles}, onlyB: topFiles{n: opts.Top, all: opts.AllFiles},
		changed: topFiles{n: opts.Top, all: opts.AllFiles},
	}
}

// matchPaths merges two depth-first file lists: inB[i] is the position in
// b of a[i]'s path (-1 if none), inA[j] whether b[j]'s path is in a.
func matchPaths(a, b []model.File) (inB []int, inA []bool) {
	inB, inA = make([]int, len(a)), make([]bool, len(b))
	j := 0
	for i := range a {
		for j < len(b) && model.ComparePaths(b[j].Path, a[i].Path) < 0 {
			j++
		}
		inB[i] = -1
		if j < len(b) && b[j].Path == a[i].Path {
			inB[i], inA[j] = j, true
		}
	}
	return inB, inA
}

func categoryOf(c *model.Classification, i int) model.Category {
	if c == nil || i >= len(c.Flags) || c.Flags[i].Category == "" {
		return model.Other
	}
	return c.Flags[i].Category
}

func (d *differ) run() {
	if d.a.Base != nil {
		d.baseSteps = d.a.Base.Steps
	}
	inB, inA := matchPaths(d.a.FS.Files, d.b.FS.Files)
	movedA, movedB := d.moves(inB, inA)
	for i, fa := range d.a.FS.Files {
		j := inB[i]
		cat := categoryOf(d.ca, i)
		if j < 0 {
			if fa.Kind != index.Dir {
				d.onlyA.add(FileChange{Path: fa.Path, A: fa.Bytes, Category: cat})
				d.files.OnlyA.Count++
				d.files.OnlyA.Bytes += fa.Bytes
			}
			if !movedA[i] {
				d.saved(i, fa, cat, fa.Bytes)
			}
			continue
		}
		fb := d.b.FS.Files[j]
		if what := changes(fa, fb); len(what) > 0 {
			d.changed.add(FileChange{Path: fa.Path, A: fa.Bytes, B: fb.Bytes, Category: cat, What: what})
			d.files.Changed.Count++
			d.files.Changed.Bytes += abs(fa.Bytes - fb.Bytes)
		}
		switch diff := fa.Bytes - fb.Bytes; {
		case diff > 0:
			d.saved(i, fa, cat, diff)
		case diff < 0:
			d.eps.GrownB += -diff
			d.added(fb, categoryOf(d.cb, j), -diff)
		}
	}
	for j, fb := range d.b.FS.Files {
		if inA[j] {
			continue
		}
		cat := categoryOf(d.cb, j)
		if fb.Kind != index.Dir {
			d.onlyB.add(FileChange{Path: fb.Path, B: fb.Bytes, Category: cat})
			d.files.OnlyB.Count++
			d.files.OnlyB.Bytes += fb.Bytes
		}
		if movedB[j] {
			continue
		}
		d.eps.OnlyB += fb.Bytes
		d.added(fb, cat, fb.Bytes)
	}
	for _, h := range d.a.Hidden {
		d.hiddenStepsA[d.a.StepOf(h.Layer)] += h.Size
	}
	for _, h := range d.b.Hidden {
		d.hiddenStepsB[d.b.StepOf(h.Layer)] += h.Size
	}
	d.eps.HiddenB = d.b.Wasted
	d.files.OnlyA.Top, d.files.OnlyA.Truncated = d.onlyA.list()
	d.files.OnlyB.Top, d.files.OnlyB.Truncated = d.onlyB.list()
	d.files.Changed.Top, d.files.Changed.Truncated = d.changed.list()
}

// moves pairs the regular files only in A with those only in B that are
// the same file moved (explain.Moves) and records them in d.files.Moved:
// movedA[i] and movedB[j] say which of A's and B's files were paired.
func (d *differ) moves(inB []int, inA []bool) (movedA, movedB []bool) {
	movedA, movedB = make([]bool, len(inB)), make([]bool, len(inA))
	var fa, fb []explain.File
	var ia, ib []int
	for i, j := range inB {
		if f := &d.a.FS.Files[i]; j < 0 && f.Kind == index.File && f.Bytes > 0 {
			fa, ia = append(fa, explain.File{Path: f.Path, Size: f.Bytes}), append(ia, i)
		}
	}
	for j, in := range inA {
		if f := &d.b.FS.Files[j]; !in && f.Kind == index.File && f.Bytes > 0 {
			fb, ib = append(fb, explain.File{Path: f.Path, Size: f.Bytes}), append(ib, j)
		}
	}
	if len(fa) == 0 || len(fb) == 0 {
		return movedA, movedB
	}
	moves, ma, mb := explain.Moves(fa, fb)
	for k, m := range ma {
		movedA[ia[k]] = m
	}
	for k, m := range mb {
		movedB[ib[k]] = m
	}
	if len(moves) == 0 {
		return movedA, movedB
	}
	mf := &MovedFiles{Count: len(moves)}
	for _, m := range moves {
		mf.Bytes += m.Size
		mf.Top = append(mf.Top, MovedFile{From: m.From, To: m.To, Bytes: m.Size})
	}
	sort.SliceStable(mf.Top, func(x, y int) bool { return mf.Top[x].Bytes > mf.Top[y].Bytes })
	if !d.opts.AllFiles && len(mf.Top) > d.opts.Top {
		mf.Top, mf.Truncated = mf.Top[:d.opts.Top:d.opts.Top], true
	}
	d.files.Moved = mf
	return movedA, movedB
}

// saved records n bytes of A's file f (at index i) that B does not
// carry: in the base image term when a base step wrote it outside the
// layers both images share and its category is not one the base keeps
// (baseKeeps), else in its category's term (other and its other group
// when it has none).
func (d *differ) saved(i int, f model.File, cat model.Category, n int64) {
	if n == 0 {
		return
	}
	key := cat
	step := d.a.StepOf(f.Layer)
	switch {
	case !baseKeeps(cat) && step >= 0 && step < d.baseSteps && f.Layer >= d.common:
		key = BaseTerm
	case cat == model.Other:
		d.other(i, f, n)
	}
	t := d.terms[key]
	if t == nil {
		t = &Term{Name: string(key)}
		d.terms[key] = t
	}
	t.Bytes += n
	t.Files++
	bump(d.stepsA, step, cat, n)
	d.dirs.add(f.Path, n, d.a.StepOf(f.Layer))
}

// baseKeeps reports whether base-image bytes of category c keep it in a
// comparison: what was put in the base to build (the toolchain of a
// golang base, its dev dependencies, sources, VCS data, secrets). The
// base's own docs, caches and recommendations go with the base.
func baseKeeps(c model.Category) bool {
	switch c {
	case model.BuildTool, model.DevDependency, model.Source, model.VCS, model.Secret:
		return true
	}
	return false
}

// added records n bytes of B's file f that A does not carry.
func (d *differ) added(f model.File, cat model.Category, n int64) {
	if n == 0 {
		return
	}
	bump(d.stepsB, d.b.StepOf(f.Layer), cat, n)
	d.dirs.add(f.Path, -n, d.b.StepOf(f.Layer))
}

func bump(m map[int]map[model.Category]*model.CategoryTotal, step int, cat model.Category, n int64) {
	if m[step] == nil {
		m[step] = map[model.Category]*model.CategoryTotal{}
	}
	t := m[step][cat]
	if t == nil {
		t = &model.CategoryTotal{Category: cat}
		m[step][cat] = t
	}
	t.Bytes += n
	t.Files++
}

// changes lists what differs between two entries of the same path.
func changes(a, b model.File) []string {
	var what []string
	if a.Kind != b.Kind {
		what = append(what, "type")
	}
	if a.Bytes != b.Bytes {
		what = append(what, "size")
	}
	if a.Mode != b.Mode {
		what = append(what, "mode")
	}
	if a.UID != b.UID || a.GID != b.GID {
		what = append(what, "owner")
	}
	if a.Link != b.Link {
		what = append(what, "link")
	}
	return what
}

func (d *differ) decomposition() Decomposition {
	dec := Decomposition{EpsilonParts: d.eps}
	if t := d.terms[BaseTerm]; t != nil && t.Bytes != 0 {
		t.Detail = explain.BaseDetail(d.a, d.b)
		dec.Terms = append(dec.Terms, *t)
		dec.Total += t.Bytes
	}
	for _, cat := range model.Categories() {
		if t := d.terms[cat]; t != nil && t.Bytes != 0 {
			dec.Terms = append(dec.Terms, *t)
			dec.Total += t.Bytes
		}
	}
	dec.OtherGroups = d.otherGroups()
	if d.a.Wasted > 0 {
		dec.Terms = append(dec.Terms, Term{Name: HiddenTerm, Bytes: d.a.Wasted, Files: len(d.a.Hidden)})
		dec.Total += d.a.Wasted
	}
	dec.Epsilon = d.eps.OnlyB + d.eps.GrownB + d.eps.HiddenB
	dec.Total -= dec.Epsilon
	return dec
}

func (d *differ) steps(img *model.Image, bytes map[int]map[model.Category]*model.CategoryTotal, hidden map[int]int64) []StepDelta {
	var out []StepDelta
	for _, st := range img.Steps {
		cats, h := bytes[st.Index], hidden[st.Index]
		if len(cats) == 0 && h == 0 {
			continue
		}
		sd := StepDelta{Step: st.Index, Instruction: st.Instruction.String(), Hidden: h}
		for _, cat := range model.Categories() {
			if t := cats[cat]; t != nil {
				sd.Bytes += t.Bytes
				sd.Categories = append(sd.Categories, *t)
			}
		}
		out = append(out, sd)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Bytes+out[i].Hidden > out[j].Bytes+out[j].Hidden })
	return out
}

func (d *differ) dirDeltas() []DirDelta {
	var out []DirDelta
	for _, p := range d.dirs.top(d.opts.Top, nil) {
		out = append(out, DirDelta{Path: p, Delta: d.dirs.bytes[p], Files: d.dirs.files[p]})
	}
	return out
}

// packageDeltas pairs the packages of both images by manager and name.
func packageDeltas(ca, cb *model.Classification, n int) []PackageDelta {
	type key struct{ manager, name string }
	m := map[key]*PackageDelta{}
	var order []key
	get := func(p model.Package) *PackageDelta {
		k := key{p.Manager, p.Name}
		pd := m[k]
		if pd == nil {
			pd = &PackageDelta{Name: p.Name, Manager: p.Manager, Category: p.Category}
			m[k] = pd
			order = append(order, k)
		}
		return pd
	}
	if ca != nil {
		for _, p := range ca.Packages {
			get(p).A += p.Bytes
		}
	}
	if cb != nil {
		for _, p := range cb.Packages {
			pd := get(p)
			pd.B += p.Bytes
			if pd.Category == "" {
				pd.Category = p.Category
			}
		}
	}
	var out []PackageDelta
	for _, k := range order {
		pd := m[k]
		pd.Delta = pd.A - pd.B
		if pd.Delta != 0 {
			out = append(out, *pd)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return abs(out[i].Delta) > abs(out[j].Delta) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
