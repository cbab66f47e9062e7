// Command imgdiff tells what is inside a container image and what a
// multi-stage build saves. See README.md.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
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
	ran, err := cmd.ExecuteContextC(ctx)
	var fe *cmdutil.FlagError
	switch {
	case err == nil, errors.Is(err, cmdutil.ErrBudgetFailed):
	case errors.Is(err, context.Canceled):
		ios.Errorf("interrupted, cleaned up")
	case ran != nil && (errors.As(err, &fe) || strings.HasPrefix(err.Error(), "unknown command ")):
		ios.Usage(ran.CommandPath(), err)
	default:
		ios.Errorf("%v", err)
	}
	if errors.Is(err, cmdutil.ErrBudgetFailed) {
		ios.Errorf("budget failed (exit 1)")
	}
	return cmdutil.ExitCode(err)
}
