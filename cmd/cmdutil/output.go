package cmdutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/report"
)

// Render writes a report to ios.Out in format f and, when
// $GITHUB_STEP_SUMMARY names a file, appends its Markdown rendering there
// too (GitHub shows it on the job's summary page). It returns
// ErrBudgetFailed, after writing everything, when a budget failed: the
// report must reach the user before the exit code says why.
func Render(ios *IOStreams, f report.Format, write func(io.Writer, report.Format) error, budgets *analyze.BudgetReport) error {
	var out bytes.Buffer
	if err := write(&out, f); err != nil {
		return err
	}
	if _, err := ios.Out.Write(out.Bytes()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if p := ios.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendStepSummary(p, f, out.Bytes(), write); err != nil {
			return err
		}
	}
	if budgets != nil && !budgets.Pass {
		return ErrBudgetFailed
	}
	return nil
}

func appendStepSummary(path string, f report.Format, rendered []byte, write func(io.Writer, report.Format) error) error {
	md := rendered
	if f != report.Markdown {
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
func RenderFile(ios *IOStreams, path string, f report.Format, write func(io.Writer, report.Format) error, budgets *analyze.BudgetReport) error {
	if path == "" {
		return Render(ios, f, write, budgets)
	}
	var out bytes.Buffer
	toFile := *ios
	toFile.Out = &out
	err := Render(&toFile, f, write, budgets)
	if err != nil && !errors.Is(err, ErrBudgetFailed) {
		return err
	}
	if werr := writeFileAtomic(path, out.Bytes()); werr != nil {
		return werr
	}
	return err
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".imgdiff-report-*")
	if err != nil {
		return fmt.Errorf("--output-file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("--output-file %s: %w", path, err)
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
