// Package cmdutil holds what every imgdiff command shares: the IO streams,
// the error-to-exit-code contract, the source flags, and the pipeline that
// opens, walks, analyses and classifies images.
package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

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
	// Now is the clock (nil: time.Now): a snapshot's creation time and
	// age.
	Now func() time.Time
}

// Usage prints a usage mistake as one line that names the command and
// its help: "imgdiff analyze: unknown flag --x (see 'imgdiff analyze
// --help')". Like Errorf, it makes control characters visible.
func (ios *IOStreams) Usage(cmdPath string, err error) {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		msg = "unknown flag " + rest // pflag's colon reads as a second field
	}
	fmt.Fprintln(ios.ErrOut, model.Visible(cmdPath+": "+msg+" (see '"+cmdPath+" --help')"))
}

// Clock returns ios.Now, or time.Now when it is nil.
func (ios *IOStreams) Clock() func() time.Time {
	if ios.Now != nil {
		return ios.Now
	}
	return time.Now
}

// BuildVersion is the release version, set at link time by make release
// (-ldflags "-X github.com/imgdiff/imgdiff/cmd/cmdutil.BuildVersion=v1.2.3");
// Version prefers it to what the build info says.
var BuildVersion string

// Version is the module version the binary was built from ("(devel)" for
// a local build), with the VCS revision when Go recorded one.
func Version() string {
	if BuildVersion != "" {
		return BuildVersion
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
