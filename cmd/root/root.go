// Package root assembles the imgdiff command tree.
package root

import (
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/cmd/analyzecmd"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/comparecmd"
	"github.com/imgdiff/imgdiff/cmd/suggestcmd"
)

// NewCmdRoot returns the imgdiff root command writing to ios.
func NewCmdRoot(ios *cmdutil.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "imgdiff",
		Short: "What is inside a container image, and what a multi-stage build saves",
		Long: `imgdiff reads container images without extracting them, attributes every byte
to the Dockerfile instruction that produced it, flags what a final image should
not carry (build tools, sources, dev dependencies, caches, secrets), and
explains the size difference between two images.

Image references (skopeo's vocabulary):
  docker-archive:PATH[:REF]   a docker save tarball (any Docker version)
  oci:DIR[:TAG]               an OCI layout directory
  oci-archive:PATH[:TAG]      a tar of an OCI layout
  docker://REF                a registry
  docker-daemon:REF           the local Docker engine (DOCKER_HOST)
  PATH                        an existing archive or layout, detected
  NAME:TAG                    the local engine if it answers, else a registry

Exit codes:
  0  done, every budget passed
  1  done, a budget or gate failed
  2  could not do the job (bad reference, unreadable image, bad config)
  130 interrupted`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	cmd.AddCommand(analyzecmd.NewCmdAnalyze(ios, nil))
	cmd.AddCommand(comparecmd.NewCmdCompare(ios, nil))
	cmd.AddCommand(suggestcmd.NewCmdSuggest(ios, nil))
	return cmd
}

// buildVersion is the release version, set at link time by make release
// (-ldflags "-X github.com/imgdiff/imgdiff/cmd/root.buildVersion=v1.2.3").
var buildVersion string

// version is the release version the binary was linked with, else the
// module version it was built from ("(devel)" for a local build), with the
// VCS revision when Go recorded one.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
