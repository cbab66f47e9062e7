package cmdutil

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/index"
)

// slowTransports are the sources worth a progress bar: their layers come
// over a network or out of a daemon, and take seconds to minutes. Local
// archives and layouts are read faster than bars would redraw.
var slowTransports = map[string]bool{layers.Registry: true, layers.DockerDaemon: true}

// Progress draws one bar per layer on a terminal while a walk reads it. It
// implements layers.Observer.
type Progress struct {
	p      *mpb.Progress
	labels map[string]string // diffID -> "A 3/12 sha256:0123456789ab"
	color  bool

	mu   sync.Mutex
	bars map[string]*mpb.Bar
}

// NewProgress returns the observer for a walk of imgs and a function to
// call once the walk has returned. The observer is nil (and stop does
// nothing) unless stderr is a terminal and some image comes from a
// registry or a daemon: elsewhere imgdiff prints no progress at all, only
// the -v timing line.
func NewProgress(ctx context.Context, ios *IOStreams, imgs []*layers.Image, opts ...mpb.ContainerOption) (layers.Observer, func()) {
	if !ios.ErrTTY || !anySlow(imgs) {
		return nil, func() {}
	}
	pr := &Progress{
		p:      mpb.NewWithContext(ctx, append([]mpb.ContainerOption{mpb.WithOutput(ios.ErrOut)}, opts...)...),
		labels: labels(imgs),
		color:  ios.Getenv("NO_COLOR") == "",
		bars:   map[string]*mpb.Bar{},
	}
	return pr, pr.stop
}

func anySlow(imgs []*layers.Image) bool {
	for _, img := range imgs {
		if img != nil && slowTransports[img.Transport] {
			return true
		}
	}
	return false
}

// labels names each layer by image and position, so a user can tell which
// bar is which: "A 3/12" in a compare, "3/12" for one image.
func labels(imgs []*layers.Image) map[string]string {
	out := map[string]string{}
	for i, img := range imgs {
		if img == nil {
			continue
		}
		for k, l := range img.Layers {
			id := l.DiffID().String()
			if _, ok := out[id]; ok {
				continue // a shared layer is read once, for the first image
			}
			pos := fmt.Sprintf("%d/%d", k+1, len(img.Layers))
			if len(imgs) > 1 {
				pos = fmt.Sprintf("%c %s", 'A'+rune(i%26), pos)
			}
			out[id] = fmt.Sprintf("%-8s %s", pos, short(id))
		}
	}
	return out
}

// short is a layer's digest as docker prints an ID: index.ShortDigest
// without the "sha256:".
func short(id string) string {
	return strings.TrimPrefix(index.ShortDigest(id), "sha256:")
}

func (pr *Progress) label(id string) string {
	if l, ok := pr.labels[id]; ok {
		return l
	}
	return short(id)
}

// done is the completion message, green unless NO_COLOR is set.
func (pr *Progress) done(msg string) string {
	if pr.color {
		return "\x1b[32m" + msg + "\x1b[0m"
	}
	return msg
}

func (pr *Progress) newBar(id string, total int64) *mpb.Bar {
	return pr.p.AddBar(total,
		mpb.BarWidth(32),
		mpb.PrependDecorators(decor.Name(pr.label(id), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.OnAbort(
			decor.OnComplete(decor.Counters(decor.SizeB1000(0), "% .1f / % .1f", decor.WCSyncSpace), pr.done("done")),
			"failed")),
	)
}

// LayerStarted adds the layer's bar; a blob of unknown size gets a bar
// that grows as it is read.
func (pr *Progress) LayerStarted(id string, size int64) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.bars[id] = pr.newBar(id, max(size, 0))
}

// LayerRead advances the layer's bar by n bytes of blob.
func (pr *Progress) LayerRead(id string, n int) {
	pr.mu.Lock()
	b := pr.bars[id]
	pr.mu.Unlock()
	if b != nil {
		b.IncrBy(n)
	}
}

// LayerDone completes the layer's bar, or shows a cached layer as done at
// once, or marks a failed one.
func (pr *Progress) LayerDone(id string, cached bool, err error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	b := pr.bars[id]
	switch {
	case cached:
		b = pr.p.AddBar(1,
			mpb.BarWidth(32),
			mpb.PrependDecorators(decor.Name(pr.label(id), decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Name(pr.done("cached"), decor.WCSyncSpace)),
		)
		b.IncrBy(1)
	case b == nil:
	case err != nil:
		b.Abort(false)
	default:
		b.SetTotal(-1, true) // the blob may end short of its announced size
	}
}

// stop ends every bar still running (the walk failed or was cancelled) and
// waits for the last render, so nothing is drawn after the report.
func (pr *Progress) stop() {
	pr.mu.Lock()
	for _, b := range pr.bars {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	pr.mu.Unlock()
	pr.p.Wait()
}

// NewSaveProgress returns a callback drawing how much of a `docker save`
// the engine has streamed, and a function to call when opening is over.
// On a non-terminal both do nothing. The bar appears on the first byte,
// so runs that read no image from the engine show nothing.
func NewSaveProgress(ctx context.Context, ios *IOStreams, opts ...mpb.ContainerOption) (func(int64), func(ok bool)) {
	if !ios.ErrTTY {
		return nil, func(bool) {}
	}
	var (
		once sync.Once
		p    *mpb.Progress
		bar  *mpb.Bar
	)
	report := func(n int64) {
		once.Do(func() {
			p = mpb.NewWithContext(ctx, append([]mpb.ContainerOption{mpb.WithOutput(ios.ErrOut)}, opts...)...)
			bar = p.AddBar(0,
				mpb.BarWidth(32),
				mpb.PrependDecorators(decor.Name("docker save", decor.WCSyncSpaceR)),
				mpb.AppendDecorators(decor.OnAbort(decor.OnComplete(
					decor.CurrentKiloByte("% .1f"), "done"), "failed")),
			)
		})
		bar.SetCurrent(n)
	}
	stop := func(ok bool) {
		if p == nil {
			return
		}
		if ok {
			bar.SetTotal(-1, true)
		} else {
			bar.Abort(false)
		}
		p.Wait()
	}
	return report, stop
}
