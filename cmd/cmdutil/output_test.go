package cmdutil

import (
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/imgdiff/imgdiff/report"
)

// bigReport writes n bytes of a pattern no two lengths share, then fails
// with fail when it is set.
func bigReport(n int, fail error) func(io.Writer, report.Format) error {
	return func(w io.Writer, _ report.Format) error {
		line := []byte("0123456789abcdefghijklmnopqrstuvwxyz-0123456789abcdefghijklmnopqrstuvwxyz\n")
		for i := 0; i < n; i += len(line) {
			if _, err := w.Write(line[:min(len(line), n-i)]); err != nil {
				return err
			}
		}
		return fail
	}
}

// sameReport reports whether got is what bigReport(n, nil) writes.
func sameReport(got []byte, n int) bool {
	h := sha256.New()
	_ = bigReport(n, nil)(h, report.JSON)
	return sha256.Sum256(got) == [32]byte(h.Sum(nil))
}

// A report many times spillAfter reaches the output whole, and waits for
// it in a temp file, not in memory (-o ncdu of millions of files: a
// buffer doubling to its size cost more than the analysis).
func TestRenderBigReport(t *testing.T) {
	const n = 8*spillAfter + 12345
	ios, out, _ := Test()
	out.Grow(n + 1) // the test's sink is not what is measured
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := Render(ios, report.JSON, bigReport(n, nil), nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if !sameReport(out.Bytes(), n) {
		t.Fatalf("report of %d bytes: got %d bytes, not the same", n, out.Len())
	}
	// At most four spill buffers' worth (a buffer doubling to the report's
	// size allocated about three times the report); under the race
	// detector, whose sync.Pool drops buffers, at most the report's size,
	// which the buffer doubling still exceeds.
	limit := uint64(4 * spillAfter)
	if raceEnabled {
		limit = n
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > limit {
		t.Errorf("rendering a %d MB report allocated %d MB; want at most %d MB", n>>20, grew>>20, limit>>20)
	}

	// Written to --output-file, through the same buffer.
	p := filepath.Join(t.TempDir(), "report.json")
	ios, _, _ = Test()
	if err := RenderFile(ios, p, report.JSON, bigReport(n, nil), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(p); err != nil || !sameReport(got, n) {
		t.Fatalf("--output-file: %d bytes, %v; want the report", len(got), err)
	}
}

// A rendering that fails after writing more than spillAfter prints
// nothing, and leaves --output-file as it was.
func TestRenderBigReportFails(t *testing.T) {
	boom := errors.New("boom")
	ios, out, _ := Test()
	if err := Render(ios, report.JSON, bigReport(2*spillAfter, boom), nil); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if out.Len() != 0 {
		t.Errorf("a failed rendering printed %d bytes", out.Len())
	}
	p := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RenderFile(ios, p, report.JSON, bigReport(2*spillAfter, boom), nil); !errors.Is(err, boom) {
		t.Fatalf("--output-file: err = %v, want boom", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("--output-file after a failed rendering holds %d bytes, want the old file", len(got))
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".imgdiff-report-*")); len(m) > 0 {
		t.Errorf("temp files left: %v", m)
	}
}

// Without a temp dir to spill to, a big report is held in memory, as
// before the spill: no new way to fail.
func TestRenderBigReportNoTempDir(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	const n = 2*spillAfter + 7
	ios, out, _ := Test()
	if err := Render(ios, report.JSON, bigReport(n, nil), nil); err != nil {
		t.Fatal(err)
	}
	if !sameReport(out.Bytes(), n) {
		t.Fatalf("report of %d bytes: got %d bytes, not the same", n, out.Len())
	}
}
