// Command imgdiff tells what is inside a container image and what a
// multi-stage build saves. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/root"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, cmdutil.System(), os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one imgdiff command line and returns the exit code; every
// error is printed here, as one line (ios.Errorf, which makes control
// characters visible), and nowhere else.
func run(ctx context.Context, ios *cmdutil.IOStreams, args []string) int {
	cmd := root.NewCmdRoot(ios)
	if args == nil {
		args = []string{} // cobra reads os.Args for a nil slice
	}
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, cmdutil.ErrBudgetFailed) {
		if errors.Is(err, context.Canceled) {
			ios.Errorf("interrupted, cleaned up")
		} else {
			ios.Errorf("%v", err)
		}
		var fe *cmdutil.FlagError
		if errors.As(err, &fe) {
			fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	if errors.Is(err, cmdutil.ErrBudgetFailed) {
		ios.Errorf("budget failed (exit 1)")
	}
	return cmdutil.ExitCode(err)
}
