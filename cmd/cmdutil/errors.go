package cmdutil

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes, the contract CI scripts rely on (README "Exit codes").
const (
	ExitOK          = 0 // done; every budget passed
	ExitBudget      = 1 // done; a budget or gate failed
	ExitError       = 2 // could not do the job: bad reference, unreadable image, bad config
	ExitInterrupted = 130
)

// ErrBudgetFailed is returned by a command that did its job but found a
// budget broken; it maps to ExitBudget and nothing else does.
var ErrBudgetFailed = errors.New("budget failed")

// FlagError is a usage mistake: the only error that prints the usage text.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf formats a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrBudgetFailed):
		return ExitBudget
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	default:
		return ExitError
	}
}
