// Package cmdutil holds what every imgdiff command shares: the IO streams,
// the error-to-exit-code contract, the source flags, and the pipeline that
// opens, walks, analyses and classifies images.
package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/imgdiff/imgdiff/analyze/model"
	"golang.org/x/term"
)

// IOStreams are the streams a command uses; tests swap them for buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY says whether ErrOut is a terminal: progress bars only then.
	ErrTTY bool
	// OutTTY says whether Out is a terminal.
	OutTTY bool
	// Width is the terminal width of Out, 0 when not a terminal.
	Width int
	// Getenv reads the environment (injected so tests control it).
	Getenv func(string) string
	// WorkDir is where the config file search starts.
	WorkDir string
}

// System returns the process's streams.
func System() *IOStreams {
	ios := &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		Getenv: os.Getenv,
	}
	ios.WorkDir, _ = os.Getwd()
	if ios.OutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			ios.Width = w
		}
	}
	return ios
}

// Test returns streams backed by buffers, not terminals, and an empty
// environment.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: &bytes.Buffer{}, Out: out, ErrOut: errOut, Getenv: func(string) string { return "" }}, out, errOut
}

// Errorf prints one line to ErrOut: "imgdiff: " and the message. It is
// the one way a message reaches stderr, and the message goes through
// model.Visible: an error can quote an image's repo tags, a layer's path
// or a config file's keys, and none of their control characters (ESC, BEL,
// newlines that would forge a second line) reach the terminal.
func (ios *IOStreams) Errorf(format string, args ...any) {
	fmt.Fprintln(ios.ErrOut, "imgdiff: "+model.Visible(fmt.Sprintf(format, args...)))
}
