package cmdutil

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/cmd/config"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/report"
)

// DockerfileOptions are the flags that name the Dockerfile an image was
// built from.
type DockerfileOptions struct {
	Path      string
	Target    string
	BuildArgs []string
}

// AddDockerfileFlags registers --dockerfile, --target and --build-arg on fs;
// suffix ("", "-a", "-b") names the side of a comparison and side ("", "A",
// "B") says so in the help.
// MaxDockerfileSize caps the Dockerfile read for --dockerfile: real ones
// are a few kB; a path to /dev/zero must not exhaust memory.
const MaxDockerfileSize = 4 << 20

func AddDockerfileFlags(fs *pflag.FlagSet, o *DockerfileOptions, suffix, side string) {
	of := ""
	if side != "" {
		of = " of image " + side
	}
	fs.StringVar(&o.Path, "dockerfile"+suffix, "", "the Dockerfile"+of+": map every step to its lines and run the Dockerfile checks")
	fs.StringVar(&o.Target, "target"+suffix, "", "the stage"+of+" that was built (default: the last)")
	fs.StringArrayVar(&o.BuildArgs, "build-arg"+suffix, nil, "a build argument"+of+", KEY=VALUE (repeatable)")
}

// WithConfig fills o from the config file's dockerfiles: entry for ref
// when no --dockerfile flag was given.
func (o DockerfileOptions) WithConfig(file *config.File, ref string) DockerfileOptions {
	if o.Path != "" {
		return o
	}
	d, ok := file.DockerfileFor(ref)
	if !ok {
		return o
	}
	out := DockerfileOptions{Path: d.Path, Target: o.Target, BuildArgs: o.BuildArgs}
	if out.Target == "" {
		out.Target = d.Target
	}
	keys := make([]string, 0, len(d.BuildArgs))
	for k := range d.BuildArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []string
	for _, k := range keys {
		args = append(args, k+"="+d.BuildArgs[k])
	}
	out.BuildArgs = append(args, o.BuildArgs...) // the flags' values win
	return out
}

// LoadDockerfile reads and parses the Dockerfile o names, relative to
// ios.WorkDir; nil when o names none. It checks --target against the
// file's stages and looks for a .dockerignore next to it. A --target or
// --build-arg without --dockerfile is a FlagError; an unreadable or
// unparsable file an error that names it.
func LoadDockerfile(ios *IOStreams, o DockerfileOptions, suffix string) (*pipeline.Dockerfile, error) {
	if o.Path == "" {
		if o.Target != "" || len(o.BuildArgs) > 0 {
			return nil, FlagErrorf("--target%s and --build-arg%s need --dockerfile%s", suffix, suffix, suffix)
		}
		return nil, nil
	}
	args := map[string]string{}
	for _, kv := range o.BuildArgs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, FlagErrorf("--build-arg%s %q: want KEY=VALUE", suffix, kv)
		}
		args[k] = v
	}
	p := o.Path
	if !filepath.IsAbs(p) && ios.WorkDir != "" {
		p = filepath.Join(ios.WorkDir, p)
	}
	data, err := layers.ReadRegularFile(p, MaxDockerfileSize)
	if err != nil {
		return nil, fmt.Errorf("--dockerfile%s: %w", suffix, err)
	}
	f, err := dockerfile.Parse(filepath.ToSlash(filepath.Clean(o.Path)), data)
	if err != nil {
		return nil, fmt.Errorf("--dockerfile%s %s: %w", suffix, o.Path, err)
	}
	if _, err := f.Stage(o.Target); err != nil {
		if errors.Is(err, dockerfile.ErrNoSuchStage) {
			return nil, fmt.Errorf("--target%s: %w in %s", suffix, err, o.Path)
		}
		return nil, fmt.Errorf("--target%s: %w", suffix, err)
	}
	_, statErr := os.Stat(filepath.Join(filepath.Dir(p), ".dockerignore"))
	return &pipeline.Dockerfile{File: f, Target: o.Target, BuildArgs: args, Dockerignore: statErr == nil}, nil
}

// PrintDockerfileMapping tells stderr how well the image matched its
// Dockerfile: the match rate and source, then each warning.
func PrintDockerfileMapping(ios *IOStreams, ref string, r *analyze.DockerfileReport) {
	if r == nil {
		return
	}
	ios.Errorf("%s: mapped %d of %d history entries (%s) to %s (target %s, from the %s)",
		ref, r.Mapped, r.Total, MatchPercent(r.MatchRate), r.File, r.Target, r.Source)
	for _, w := range r.Warnings {
		ios.Errorf("%s: warning: %s", ref, w)
	}
}

// MatchPercent renders a match rate as a percentage, never rounding a
// partial match up to 100%.
func MatchPercent(rate float64) string {
	p := math.Floor(rate*1000) / 10
	return fmt.Sprintf("%.1f%%", p)
}

// ReportOptions are the renderers' options for ios: the terminal width,
// and under GitHub Actions the blob URL Markdown links Dockerfile lines to.
func ReportOptions(ios *IOStreams) report.Options {
	return report.Options{Width: ios.Width, SourceURL: report.GitHubSourceURL(ios.Getenv),
		Note: func(s string) { ios.Errorf("%s", s) }}
}
