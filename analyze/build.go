package analyze

import (
	"errors"
	"fmt"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/explain"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Build analyses a walked image: it maps history entries to layers, stacks
// the layers into the final filesystem, and attributes every content byte
// to the layer and step that wrote it, split into what survives and what a
// later layer deleted or overwrote. For every layer and step,
// Final + Hidden == Size, and the steps' sizes add up to the image's.
func Build(img *index.Image) (*model.Image, error) {
	if img == nil || img.Config == nil {
		return nil, errors.New("analyze: image has no config")
	}
	out := &model.Image{
		Ref:       img.Ref,
		Transport: img.Transport,
		Platform:  img.Platform,
		Digest:    img.Digest,
		Config:    configOf(img),
		Contents:  map[string][]byte{},
	}
	if sn := img.Snapshot; sn != nil {
		out.Snapshot = &model.Snapshot{Ref: sn.Ref, Transport: sn.Transport, Created: sn.Created, Imgdiff: sn.Imgdiff}
	}

	n := 0
	for _, l := range img.Layers {
		n += len(l.Entries)
	}
	if n > maxNodes {
		return nil, fmt.Errorf("analyze: %d index entries, more than the %d one image can hold", n, maxNodes)
	}
	s := newStack(img.Layers)
	out.CompressedSize = 0
	for k, l := range img.Layers {
		s.apply(k, l)
		out.Size += l.Size
		if l.CompressedSize < 0 || out.CompressedSize < 0 {
			out.CompressedSize = model.Unknown
		} else {
			out.CompressedSize += l.CompressedSize
		}
		out.Layers = append(out.Layers, model.Layer{
			Index:          k,
			DiffID:         l.DiffID,
			Digest:         l.Digest,
			Identity:       l.Identity,
			Size:           l.Size,
			CompressedSize: l.CompressedSize,
			Files:          countFiles(l.Entries),
			Step:           -1,
		})
	}
	if len(img.Layers) == 0 {
		out.CompressedSize = 0
	}
	out.FS = s.flatten()
	out.Hidden = s.hidden

	for _, f := range out.FS.Files {
		if f.Layer < 0 {
			continue
		}
		out.Layers[f.Layer].Final += f.Bytes
		if f.Kind != index.Dir {
			out.Files++
		}
		if body, ok := img.Layers[f.Layer].Contents[f.Path]; ok {
			out.Contents[f.Path] = body
		}
	}
	out.ELF = finalELF(img, out.FS)
	for _, h := range out.Hidden {
		out.Layers[h.Layer].Hidden += h.Size
		out.Layers[h.By].Removes += h.Size
		out.Wasted += h.Size
	}
	for _, l := range out.Layers {
		if l.Final+l.Hidden != l.Size {
			// The stack loses no bytes by construction; a mismatch means
			// the index itself is inconsistent.
			return nil, fmt.Errorf("analyze: layer %d: %d final + %d hidden bytes != size %d", l.Index, l.Final, l.Hidden, l.Size)
		}
	}

	steps, warn := mapSteps(img)
	if warn != "" {
		out.Warnings = append(out.Warnings, warn)
	}
	for i := range steps {
		st := &steps[i]
		if st.Layer < 0 {
			continue
		}
		l := &out.Layers[st.Layer]
		l.Step = i
		st.Size, st.CompressedSize, st.Files = l.Size, l.CompressedSize, l.Files
		st.Final, st.Hidden, st.Removes = l.Final, l.Hidden, l.Removes
	}
	out.Steps = steps
	if warn == "" {
		out.Base = detectBase(img, out)
	}
	return out, nil
}

// mapSteps pairs history entries with layers: the i-th entry that is not
// empty_layer owns the i-th layer. When the counts disagree (some tools
// write no history) every layer gets a synthetic step of its own, and the
// returned warning says so.
func mapSteps(img *index.Image) ([]model.Step, string) {
	hist := img.Config.History
	nonEmpty := 0
	for _, h := range hist {
		if !h.EmptyLayer {
			nonEmpty++
		}
	}
	if nonEmpty != len(img.Layers) {
		steps := make([]model.Step, len(img.Layers))
		for k := range img.Layers {
			steps[k] = model.Step{Index: k, Layer: k, Synthetic: true,
				Instruction: model.Instruction{Args: fmt.Sprintf("layer %d", k)}}
		}
		warn := ""
		if len(hist) > 0 || len(img.Layers) > 0 {
			warn = fmt.Sprintf("history has %d layer-creating entries for %d layers: steps are labelled by layer index", nonEmpty, len(img.Layers))
		}
		return steps, warn
	}
	steps := make([]model.Step, len(hist))
	k := 0
	for i, h := range hist {
		st := model.Step{
			Index:       i,
			Instruction: dockerfile.ParseCreatedBy(h.CreatedBy),
			CreatedBy:   h.CreatedBy,
			Comment:     h.Comment,
			EmptyLayer:  h.EmptyLayer,
			Layer:       -1,
			Created:     h.Created.Time,
		}
		if !h.EmptyLayer {
			st.Layer = k
			k++
		}
		steps[i] = st
	}
	return steps, ""
}

func configOf(img *index.Image) model.Config {
	c := img.Config.Config
	cfg := model.Config{
		User:        c.User,
		Entrypoint:  c.Entrypoint,
		Cmd:         c.Cmd,
		WorkingDir:  c.WorkingDir,
		Env:         c.Env,
		Healthcheck: c.Healthcheck != nil && len(c.Healthcheck.Test) > 0 && c.Healthcheck.Test[0] != "NONE",
		Labels:      c.Labels,
	}
	if cfg.Healthcheck {
		cfg.HealthcheckTest = c.Healthcheck.Test
	}
	return cfg
}

// detectBase runs explain.DetectBase over the image's history, its
// manifest's annotations and its labels, and sums the content size of the
// base layers.
func detectBase(img *index.Image, out *model.Image) *model.BaseImage {
	cfg := explain.Config{Annotations: img.Annotations, Labels: img.Config.Config.Labels}
	for _, h := range img.Config.History {
		cfg.History = append(cfg.History, explain.HistoryEntry{Created: h.Created.Time, CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer})
	}
	b := explain.DetectBase(cfg)
	bi := &model.BaseImage{Name: b.Name, Digest: b.Digest, Steps: b.Steps, Layers: b.Layers, Heuristic: b.Heuristic, Evidence: b.Evidence, Source: b.Source}
	sizeBase(bi, out.Steps)
	return bi
}

// sizeBase sets b.Layers and b.Size from the steps b.Steps covers.
func sizeBase(b *model.BaseImage, steps []model.Step) {
	b.Layers, b.Size = 0, 0
	for _, st := range steps[:b.Steps] {
		if st.Layer >= 0 {
			b.Layers++
		}
		b.Size += st.Size
	}
}

func countFiles(es []index.Entry) int {
	n := 0
	for i := range es {
		if es[i].Kind != index.Dir {
			n++
		}
	}
	return n
}

// finalELF are the ELF facts of the final filesystem fs of img, each read
// from the layer that wrote the file; nil when no layer has any.
func finalELF(img *index.Image, fs *model.FS) map[string]index.ELF {
	read := false
	for _, l := range img.Layers {
		read = read || len(l.ELF) > 0
	}
	if !read {
		return nil
	}
	out := map[string]index.ELF{}
	for _, f := range fs.Files {
		if f.Layer < 0 || f.Layer >= len(img.Layers) {
			continue
		}
		switch f.Kind {
		case index.File:
			if e, ok := img.Layers[f.Layer].ELF[f.Path]; ok {
				out[f.Path] = e
			}
		case index.Hardlink:
			// The link shares its target's inode: the target as the
			// final filesystem has it, or as the link's layer wrote it.
			if t, ok := fs.Lookup(f.Link); ok && t.Kind == index.File && t.Layer >= 0 && t.Layer < len(img.Layers) {
				if e, ok := img.Layers[t.Layer].ELF[t.Path]; ok {
					out[f.Path] = e
				}
			}
		}
	}
	return out
}
