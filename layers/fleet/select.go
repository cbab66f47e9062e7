package fleet

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SelectOptions say how selectors are resolved.
type SelectOptions struct {
	RegistryOptions
	// Platform keeps only this platform of a multi-arch index; nil keeps
	// every platform (attestation manifests are never images).
	Platform *v1.Platform
	// Last keeps the N most recently created tags of each repository (by
	// the config's created time); 0 keeps all.
	Last int
	// Exclude names a repository ("HOST/REPO") a glob never selects: the
	// fleet store's, whose thousands of tags are artifacts.
	Exclude string
}

// Target is one image of a fleet: a manifest, pinned by digest.
type Target struct {
	// Ref is "docker://HOST/REPO@sha256:…", resolved once.
	Ref string
	// Repo is "HOST/REPO"; Tag the tag it was selected by ("" for a
	// digest reference).
	Repo, Tag string
	// Platform is "os/arch[/variant]" when the image came from an index.
	Platform string
}

// Selection is what the selectors resolved to.
type Selection struct {
	Targets []Target
	// Notes say what was skipped and why (artifacts, platforms absent).
	Notes []string
}

// ReadSelectors reads a file of references or selectors, one a line;
// blank lines and lines starting with '#' are skipped.
func ReadSelectors(r io.Reader, file string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// selector is a parsed docker://HOST/REPO-GLOB[:TAG-GLOB][@DIGEST].
type selector struct {
	raw, host, repo, tag, digest string
}

func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[{") }

func parseSelector(raw string) (selector, error) {
	s := strings.TrimPrefix(raw, "docker://")
	sel := selector{raw: raw}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s, sel.digest = s[:i], s[i+1:]
		if _, err := v1.NewHash(sel.digest); err != nil {
			return sel, fmt.Errorf("%s: %w", raw, err)
		}
	}
	host, rest, ok := strings.Cut(s, "/")
	if !ok || host == "" || rest == "" {
		return sel, fmt.Errorf("%s: want docker://HOST/REPO[:TAG], globs allowed in REPO and TAG", raw)
	}
	sel.host, sel.repo = host, rest
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') {
		sel.repo, sel.tag = rest[:i], rest[i+1:]
	}
	if sel.digest != "" && (hasGlob(sel.repo) || hasGlob(sel.tag)) {
		return sel, fmt.Errorf("%s: a digest reference names one repository", raw)
	}
	if sel.tag == "" && sel.digest == "" {
		sel.tag = "*"
	}
	for _, g := range []string{sel.repo, sel.tag} {
		if !doublestar.ValidatePattern(g) {
			return sel, fmt.Errorf("%s: %q is not a valid glob", raw, g)
		}
	}
	return sel, nil
}

func (o SelectOptions) remote(ctx context.Context) []remote.Option {
	r := &Registry{opts: o.RegistryOptions}
	if r.opts.Keychain == nil {
		r.opts.Keychain = defaultKeychain
	}
	return r.remote(ctx)
}

func (o SelectOptions) nameOpts() []name.Option {
	if o.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Select resolves selectors to the images they name, each manifest
// resolved once: repository globs through the registry's catalog, tag
// globs through its tag list, tags and indexes to digests.
func Select(ctx context.Context, selectors []string, o SelectOptions) (*Selection, error) {
	if o.Last < 0 {
		return nil, fmt.Errorf("--last must be >= 0, got %d", o.Last)
	}
	out := &Selection{}
	seen := map[string]bool{}
	catalogs := map[string][]string{}
	for _, raw := range selectors {
		sel, err := parseSelector(raw)
		if err != nil {
			return nil, err
		}
		reg, err := name.NewRegistry(sel.host, o.nameOpts()...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", raw, err)
		}
		repos := []string{sel.repo}
		if hasGlob(sel.repo) {
			all, ok := catalogs[sel.host]
			if !ok {
				all, err = remote.Catalog(ctx, reg, o.remote(ctx)...)
				if err != nil {
					if ctx.Err() != nil {
						return nil, ctx.Err()
					}
					return nil, fmt.Errorf("%s: registry %s does not list its repositories (%v): name each repository (docker://%s/REPO[:TAG]) or list references in a file (--from-file)", raw, sel.host, oneLine(err), sel.host)
				}
				catalogs[sel.host] = all
			}
			repos = nil
			for _, r := range all {
				if sel.host+"/"+r == o.Exclude {
					continue
				}
				if m, _ := doublestar.Match(sel.repo, r); m {
					repos = append(repos, r)
				}
			}
			if len(repos) == 0 {
				out.Notes = append(out.Notes, fmt.Sprintf("%s: no repository matches", raw))
			}
		}
		for _, r := range repos {
			repo, err := name.NewRepository(sel.host+"/"+r, o.nameOpts()...)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", raw, err)
			}
			ts, err := selectRepo(ctx, repo, sel, o, out)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				if !seen[t.Ref] {
					seen[t.Ref] = true
					out.Targets = append(out.Targets, t)
				}
			}
		}
	}
	return out, nil
}

// tagged is one tag of a repository, resolved.
type tagged struct {
	tag     string
	targets []Target
	created time.Time
}

func selectRepo(ctx context.Context, repo name.Repository, sel selector, o SelectOptions, out *Selection) ([]Target, error) {
	if sel.digest != "" {
		tg, err := resolve(ctx, repo.Digest(sel.digest), "", o, out)
		if err != nil {
			return nil, err
		}
		return tg.targets, nil
	}
	tags := []string{sel.tag}
	if hasGlob(sel.tag) {
		all, err := remote.List(repo, o.remote(ctx)...)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%s: listing the tags of %s: %s", sel.raw, repo, oneLine(err))
		}
		tags = nil
		for _, t := range all {
			if m, _ := doublestar.Match(sel.tag, t); m {
				tags = append(tags, t)
			}
		}
		slices.Sort(tags)
	}
	var ts []tagged
	for _, t := range tags {
		tg, err := resolve(ctx, repo.Tag(t), t, o, out)
		if err != nil {
			return nil, err
		}
		if len(tg.targets) > 0 {
			ts = append(ts, tg)
		}
	}
	if o.Last > 0 && len(ts) > o.Last {
		// Newest first; ties by tag, so the choice is stable.
		slices.SortStableFunc(ts, func(a, b tagged) int {
			if c := b.created.Compare(a.created); c != 0 {
				return c
			}
			return cmp.Compare(a.tag, b.tag)
		})
		ts = ts[:o.Last]
	}
	var res []Target
	for _, t := range ts {
		res = append(res, t.targets...)
	}
	return res, nil
}

// imageConfigs are the config media types of images (anything else is
// an artifact: a signature, an SBOM, a fleet store entry).
var imageConfigs = map[types.MediaType]bool{types.DockerConfigJSON: true, types.OCIConfigJSON: true}

// resolve pins ref to the digests of its images: itself, or each
// platform of an index (the one o.Platform asks for).
func resolve(ctx context.Context, ref name.Reference, tag string, o SelectOptions, out *Selection) (tagged, error) {
	res := tagged{tag: tag}
	desc, err := remote.Get(ref, o.remote(ctx)...)
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, fmt.Errorf("%s: %s", ref, oneLine(err))
	}
	repo := ref.Context()
	add := func(d v1.Hash, platform string) {
		res.targets = append(res.targets, Target{Ref: "docker://" + repo.Name() + "@" + d.String(), Repo: repo.Name(), Tag: tag, Platform: platform})
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return res, fmt.Errorf("%s: %w", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return res, fmt.Errorf("%s: %w", ref, err)
		}
		for _, m := range im.Manifests {
			p := m.Platform
			if !m.MediaType.IsImage() || p == nil || p.OS == "unknown" || p.OS == "" {
				continue // attestations, nested indexes
			}
			if o.Platform != nil && !p.Satisfies(*o.Platform) {
				continue
			}
			add(m.Digest, p.String())
			if o.Last > 0 && res.created.IsZero() {
				res.created, err = created(ctx, repo.Digest(m.Digest.String()), o)
				if err != nil {
					return res, err
				}
			}
		}
		if len(res.targets) == 0 {
			out.Notes = append(out.Notes, fmt.Sprintf("%s: no image for the platform asked", ref))
		}
	case desc.MediaType.IsImage():
		var m struct {
			Config v1.Descriptor `json:"config"`
		}
		if err := json.Unmarshal(desc.Manifest, &m); err != nil {
			return res, fmt.Errorf("%s: manifest: %w", ref, err)
		}
		if !imageConfigs[m.Config.MediaType] {
			out.Notes = append(out.Notes, fmt.Sprintf("%s: an artifact (config %s), not an image: skipped", ref, m.Config.MediaType))
			return res, nil
		}
		add(desc.Digest, "")
		if o.Last > 0 {
			if res.created, err = created(ctx, repo.Digest(desc.Digest.String()), o); err != nil {
				return res, err
			}
		}
	default:
		out.Notes = append(out.Notes, fmt.Sprintf("%s: %s is not an image: skipped", ref, desc.MediaType))
	}
	return res, nil
}

// created is the creation time the image's config records.
func created(ctx context.Context, ref name.Digest, o SelectOptions) (time.Time, error) {
	img, err := remote.Image(ref, o.remote(ctx)...)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %s", ref, oneLine(err))
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: config: %s", ref, oneLine(err))
	}
	return cf.Created.Time, nil
}

// oneLine is err's message on one line (registries answer with pages).
func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}
