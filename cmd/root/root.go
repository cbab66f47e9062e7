// Package root assembles the imgdiff command tree.
package root

import (
	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/cmd/analyzecmd"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/comparecmd"
	"github.com/imgdiff/imgdiff/cmd/fleetcmd"
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
  docker-daemon:REF           the engine the docker CLI would use (below)
  PATH                        an existing archive or layout, detected
  NAME:TAG                    that engine, resolving the name as it does
                              (Podman: localhost/ first); a registry only
                              when no engine answers, or when NAME names
                              its registry (ghcr.io/x:1) and the engine
                              lacks it
  snapshot:FILE               a snapshot 'imgdiff analyze IMAGE --snapshot FILE' wrote

The engine, in the docker CLI's order: --context NAME, DOCKER_HOST
(DOCKER_TLS_VERIFY, DOCKER_CERT_PATH for tcp://), DOCKER_CONTEXT, the
current context in $DOCKER_CONFIG/config.json (default ~/.docker), then
unix:///var/run/docker.sock; only when nothing is configured, then rootless
Docker ($XDG_RUNTIME_DIR/docker.sock), CONTAINER_HOST and Podman
($XDG_RUNTIME_DIR/podman/podman.sock, /run/podman/podman.sock). Contexts
may be unix://, tcp:// with TLS, or ssh://. stderr says which answered.

Exit codes:
  0  done, every budget passed
  1  done, a budget or gate failed
  2  could not do the job (bad reference, unreadable image, bad config)
  130 interrupted`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       cmdutil.Version(),
	}
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	cmd.AddCommand(analyzecmd.NewCmdAnalyze(ios, nil))
	cmd.AddCommand(comparecmd.NewCmdCompare(ios, nil))
	cmd.AddCommand(suggestcmd.NewCmdSuggest(ios, nil))
	cmd.AddCommand(fleetcmd.NewCmdFleet(ios))
	usageArgs(cmd)
	return cmd
}

// usageArgs makes a wrong number of arguments a usage mistake like a bad
// flag (one line naming the command's help, exit 2), on every command of
// the tree, nested ones (fleet scan, fleet report) included.
func usageArgs(parent *cobra.Command) {
	for _, c := range parent.Commands() {
		if args := c.Args; args != nil {
			c.Args = func(c *cobra.Command, a []string) error {
				if err := args(c, a); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
				return nil
			}
		}
		usageArgs(c)
	}
}
