package cmdutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report"
)

// OutputOptions are the flags of a command that writes a report: its
// format (-o) and where it goes (--output-file).
type OutputOptions struct {
	// Format is -o, parsed by ParseFormat.
	Format report.Format
	// File is --output-file: where the report goes instead of stdout.
	File string
	// format is -o as given.
	format string
}

// AddOutputFlags registers -o (default table; formats is its usage, the
// formats the command writes) and --output-file on fs.
func AddOutputFlags(fs *pflag.FlagSet, o *OutputOptions, formats string) {
	fs.StringVarP(&o.format, "output", "o", "table", "output format: "+formats)
	fs.StringVar(&o.File, "output-file", "", "write the report to `FILE` instead of stdout")
}

// ParseFormat sets Format from -o with parse (report.ParseFormat,
// report.ParseFleetFormat); a format it refuses is a FlagError.
func (o *OutputOptions) ParseFormat(parse func(string) (report.Format, error)) error {
	f, err := parse(o.format)
	if err != nil {
		return &FlagError{Err: err}
	}
	o.Format = f
	return nil
}

// Render writes the report in Format to File, or to ios.Out when there is
// none (RenderFile).
func (o OutputOptions) Render(ios *IOStreams, write func(io.Writer, report.Format) error, budgets *model.BudgetReport) error {
	return RenderFile(ios, o.File, o.Format, write, budgets)
}

// Render writes a report to ios.Out in format f and, when
// $GITHUB_STEP_SUMMARY names a file, appends its Markdown rendering there
// too (GitHub shows it on the job's summary page). It returns
// ErrBudgetFailed, after writing everything, when a budget failed: the
// report must reach the user before the exit code says why.
func Render(ios *IOStreams, f report.Format, write func(io.Writer, report.Format) error, budgets *model.BudgetReport) error {
	// The report is rendered in full before any of it is written: a
	// failed rendering prints nothing. Past spillAfter it waits in a temp
	// file, not in memory: -o ncdu lists every file (~70 bytes each, 270
	// MB for 4M files) and a buffer doubling to that size would cost the
	// process more than the whole analysis.
	out := &spillBuffer{}
	defer out.Close()
	if err := write(out, f); err != nil {
		return err
	}
	if err := out.copyTo(ios.Out); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if p := ios.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		rendered := out.mem.Bytes()
		if out.file != nil {
			rendered = nil // spilled: appendStepSummary renders it again
		}
		if err := appendStepSummary(p, f, rendered, write); err != nil {
			return err
		}
	}
	if budgets != nil && !budgets.Pass {
		return ErrBudgetFailed
	}
	return nil
}

// spillAfter is how much of a report Render keeps in memory.
const spillAfter = 16 << 20

// spillBuffer holds what is written to it in memory up to spillAfter
// bytes, then in an unlinked temp file (in memory still when no temp
// file can be made).
type spillBuffer struct {
	mem    bytes.Buffer
	file   *os.File
	noTemp bool // the temp file could not be made
	err    error
}

func (b *spillBuffer) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.file == nil && !b.noTemp && b.mem.Len()+len(p) > spillAfter {
		f, err := os.CreateTemp("", "imgdiff-report-*")
		if err != nil {
			// No temp dir to write to: keep it in memory, as always.
			b.noTemp = true
			return b.mem.Write(p)
		}
		b.file = f
		os.Remove(f.Name()) // the open file stays readable
		if _, err := f.Write(b.mem.Bytes()); err != nil {
			b.err = fmt.Errorf("buffering the report: %w", err)
			return 0, b.err
		}
		b.mem = bytes.Buffer{}
	}
	if b.file != nil {
		n, err := b.file.Write(p)
		if err != nil {
			b.err = fmt.Errorf("buffering the report: %w", err)
		}
		return n, b.err
	}
	return b.mem.Write(p)
}

// copyTo copies everything written so far to w.
func (b *spillBuffer) copyTo(w io.Writer) error {
	if b.file == nil {
		_, err := w.Write(b.mem.Bytes())
		return err
	}
	if _, err := b.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, b.file)
	return err
}

func (b *spillBuffer) Close() {
	if b.file != nil {
		b.file.Close()
	}
}

// appendStepSummary appends the Markdown report to the step summary file:
// rendered when f is Markdown and it is at hand, else rendered (again) as
// Markdown.
func appendStepSummary(path string, f report.Format, rendered []byte, write func(io.Writer, report.Format) error) error {
	md := rendered
	if f != report.Markdown || rendered == nil {
		var b bytes.Buffer
		if err := write(&b, report.Markdown); err != nil {
			return err
		}
		md = b.Bytes()
	}
	file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	if _, err := file.Write(append(md, '\n')); err != nil {
		file.Close()
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	return file.Close()
}

// RenderFile is Render with the report written to the file at path
// instead of ios.Out (`--output-file`), or to ios.Out when path is empty.
// The file is written whole or not at all (a temporary file renamed), and
// also when a budget failed: the report says why.
func RenderFile(ios *IOStreams, path string, f report.Format, write func(io.Writer, report.Format) error, budgets *model.BudgetReport) error {
	if path == "" {
		return Render(ios, f, write, budgets)
	}
	var err error
	werr := writeFileAtomic(path, func(w io.Writer) error {
		toFile := *ios
		toFile.Out = w
		err = Render(&toFile, f, write, budgets)
		if errors.Is(err, ErrBudgetFailed) {
			return nil // the report is written: keep it
		}
		return err
	})
	if werr != nil {
		if err != nil && !errors.Is(err, ErrBudgetFailed) {
			return err
		}
		return werr
	}
	return err
}

// writeFileAtomic writes the file at path with what write writes, through
// a temp file beside it renamed at the end: a failed write leaves path as
// it was.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".imgdiff-report-*")
	if err != nil {
		return fmt.Errorf("--output-file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("--output-file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--output-file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--output-file: %w", err)
	}
	return nil
}
