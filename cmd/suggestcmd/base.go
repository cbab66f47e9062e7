package suggestcmd

import (
	"context"
	"errors"
	"fmt"
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
	rb, err := readBase(ctx, po, opts.Base, from)
	if err != nil {
		return nil, err
	}
	if rb.Err != "" {
		opts.IO.Errorf("warning: --base %s could not be read (%s): the suggestion copies what the app needs as if it had nothing", opts.Base, rb.Err)
	}
	return rb, nil
}

// readBase reads the image ref as a runtime base the FROM line names
// from; an error only for an interrupt (one that cannot be read has Err).
func readBase(ctx context.Context, po pipeline.Options, ref, from string) (*suggest.RuntimeBase, error) {
	rb := &suggest.RuntimeBase{Ref: from}
	po.RunFacts = false
	po.Budgets = nil
	loaded, err := pipeline.Load(ctx, po, ref)
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil, err
		}
		rb.Err = strings.Join(strings.Fields(err.Error()), " ")
		return rb, nil
	}
	rb.FS = loaded[0].Image.FS
	rb.Size = loaded[0].Image.Size
	return rb, nil
}

// hintedBase suggests again on the runtime base the first suggestion
// names for a toolchain base it kept (golang:1.26 → debian:bookworm-slim),
// when no --base was given and that image can be read: the packages the
// app needs are then installed there, what that base has skipped. One that
// cannot be read leaves the first suggestion (its question names it).
func hintedBase(ctx context.Context, opts *Options, po pipeline.Options, s *suggest.Suggestion, suggestOn func(*suggest.RuntimeBase) (*suggest.Suggestion, error)) (*suggest.Suggestion, error) {
	hint := s.RuntimeBaseHint
	if opts.Base != "" || hint == "" {
		return s, nil
	}
	rb, err := readBase(ctx, po, hint, hint)
	if err != nil {
		return nil, err
	}
	if rb.Err != "" {
		opts.IO.Errorf("note: the original base %s is mostly build tools; %s could not be read (%s): the original base is kept (--base names another)", s.Base, hint, rb.Err)
		return s, nil
	}
	rb.Chosen = fmt.Sprintf("chosen for the original base %s, which is mostly build tools: Debian's slim image of its release, read from %s (--base names another)", s.Base, hint)
	return suggestOn(rb)
}
