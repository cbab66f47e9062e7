package suggestcmd

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/imgdiff/imgdiff/analyze/suggest"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
)

// baseFromRef is the reference a FROM line names for --base: the image
// reference itself, without imgdiff's docker:// or docker-daemon:
// transport (the build resolves it as docker does). A layout or archive
// path is no reference a FROM can name.
func baseFromRef(ref string) (string, error) {
	for _, p := range []string{"docker://", "docker-daemon:"} {
		if r, ok := strings.CutPrefix(ref, p); ok {
			ref = r
			break
		}
	}
	for _, p := range []string{"oci:", "oci-archive:", "docker-archive:", "/", "./", "../"} {
		if strings.HasPrefix(ref, p) {
			return "", cmdutil.FlagErrorf("--base %q: an image reference a FROM line can name (REGISTRY/NAME:TAG, docker-daemon:NAME:TAG), not a layout or archive", ref)
		}
	}
	if ref == "" || strings.IndexFunc(ref, func(r rune) bool {
		return unicode.IsSpace(r) || !unicode.IsPrint(r) || strings.ContainsRune("\"'$`\\", r)
	}) >= 0 {
		return "", cmdutil.FlagErrorf("--base %q: not an image reference", ref)
	}
	return ref, nil
}

// loadBase reads the final-stage base --base names: its files, so the
// copied libraries skip what it has. One that cannot be read is no error:
// the suggestion says so and copies everything (a base only the build
// machine can pull is common); an interrupt is.
func loadBase(ctx context.Context, opts *Options, po pipeline.Options) (*suggest.RuntimeBase, error) {
	from, err := baseFromRef(opts.Base)
	if err != nil {
		return nil, err
	}
	rb := &suggest.RuntimeBase{Ref: from}
	po.RunFacts = false
	po.Budgets = nil
	loaded, err := pipeline.Load(ctx, po, opts.Base)
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil, err
		}
		rb.Err = strings.Join(strings.Fields(err.Error()), " ")
		opts.IO.Errorf("warning: --base %s could not be read (%s): the suggestion copies what the app needs as if it had nothing", opts.Base, rb.Err)
		return rb, nil
	}
	rb.FS = loaded[0].Image.FS
	rb.Size = loaded[0].Image.Size
	return rb, nil
}
