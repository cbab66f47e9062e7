// Package cmdtest holds what the commands' tests share: a command's flags
// parsed through its runF, as the GitHub CLI's tests do, without running
// anything.
package cmdtest

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
)

// Parse builds the command newCmd makes (NewCmdAnalyze, NewCmdReport, ...)
// on test streams, executes it on args with a run function that only keeps
// the options, and returns them: nil and the error when the flags or
// arguments were refused.
func Parse[O any](newCmd func(*cmdutil.IOStreams, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	ios, _, _ := cmdutil.Test()
	var got *O
	cmd := newCmd(ios, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		return nil, err
	}
	return got, nil
}
