// Command testsum turns `go test -json` into go test's own closing lines,
// printed as each package finishes rather than in package order, so that
// `make test` shows progress while the slowest package is still running:
//
//	go test -json ./... | go run ./testdata/testsum
//
// A passing package prints its "ok" line; a failing one prints the output
// of its failing tests and its FAIL lines, as go test does; a test that
// skipped prints go test -v's "--- SKIP" line with its reason before its
// package's line. After the last package, a summary names every skipped
// test again (a browser test that skipped without chromium is visible in
// the last lines), counts the packages, prints go test's "FAIL" when
// anything failed, and ends with the plain closing line that CI reads,
// "tests: N passed, N failed, N skipped" (tests and subtests). The exit
// status is 1 on any failure.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// event is one line of test2json's output (go doc test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
	Elapsed    float64
}

type skip struct {
	pkg, test, reason string
	elapsed           float64
}

// summary reads the events of in and writes the lines described above to
// out; it returns whether every package passed.
func summary(in io.Reader, out io.Writer, start time.Time) (bool, error) {
	type pkgState struct {
		output map[string][]string // by test ("" for the package)
		skips  []skip
	}
	pkgs := map[string]*pkgState{}
	state := func(p string) *pkgState {
		s := pkgs[p]
		if s == nil {
			s = &pkgState{output: map[string][]string{}}
			pkgs[p] = s
		}
		return s
	}
	var (
		skips                []skip
		passed, failed, none int
		testsPassed          int // tests and subtests
		testsFailed          int
		failedAny            bool
	)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// Not an event (go vet's or the linker's messages): as is.
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(out, e.Output)
			continue
		case e.Action == "build-fail":
			failedAny = true
			continue
		case e.Package == "":
			continue
		}
		s := state(e.Package)
		switch e.Action {
		case "output":
			s.output[e.Test] = append(s.output[e.Test], e.Output)
		case "skip":
			if e.Test != "" { // else the package's: no test files, printed below
				sk := skip{pkg: e.Package, test: e.Test, elapsed: e.Elapsed, reason: reason(s.output[e.Test])}
				s.skips = append(s.skips, sk)
				skips = append(skips, sk)
			}
		case "pass":
			if e.Test != "" {
				testsPassed++
			}
		case "fail":
			if e.Test != "" {
				testsFailed++
				for _, l := range s.output[e.Test] {
					if !strings.HasPrefix(l, "=== ") {
						fmt.Fprint(out, l)
					}
				}
			}
		}
		if e.Test != "" || (e.Action != "pass" && e.Action != "fail" && e.Action != "skip") {
			continue
		}
		// The package finished.
		for _, sk := range s.skips {
			fmt.Fprintf(out, "--- SKIP: %s (%.2fs)\n%s", sk.test, sk.elapsed, indent(sk.reason))
		}
		for _, l := range s.output[""] {
			if e.Action == "fail" || isResult(l) {
				fmt.Fprint(out, l)
			}
		}
		switch e.Action {
		case "pass":
			passed++
		case "fail":
			failed++
			failedAny = true
		default:
			none++
		}
		delete(pkgs, e.Package)
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	// Packages that started and never finished (go test was killed).
	for p := range pkgs {
		fmt.Fprintf(out, "FAIL\t%s\t(no result)\n", p)
		failed++
		failedAny = true
	}
	fmt.Fprintf(out, "\n%d packages passed, %d failed, %d without tests; %d tests skipped; %s\n",
		passed, failed, none, len(skips), time.Since(start).Round(time.Second))
	for _, sk := range skips {
		fmt.Fprintf(out, "--- SKIP: %s %s: %s\n", sk.pkg, sk.test, strings.TrimSpace(firstLine(sk.reason)))
	}
	if failedAny {
		fmt.Fprintln(out, "FAIL")
	}
	// The closing line in the plain form CI runners read ("N passed, N
	// failed, N skipped", one word and a colon before it), counting tests
	// and subtests.
	fmt.Fprintf(out, "tests: %d passed, %d failed, %d skipped\n", testsPassed, testsFailed, len(skips))
	return !failedAny, nil
}

// reason is what a skipped test printed, without go test's === and ---
// lines.
func reason(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if strings.HasPrefix(l, "=== ") || strings.HasPrefix(strings.TrimSpace(l), "--- SKIP") {
			continue
		}
		b.WriteString(strings.TrimSpace(l) + "\n")
	}
	return b.String()
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// isResult reports whether l is one of go test's per-package result lines.
func isResult(l string) bool {
	return strings.HasPrefix(l, "ok  \t") || strings.HasPrefix(l, "?   \t") || strings.HasPrefix(l, "FAIL\t")
}

func main() {
	ok, err := summary(os.Stdin, os.Stdout, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}
