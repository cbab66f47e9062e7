package main

import (
	"strings"
	"testing"
	"time"
)

// A hand-written go test -json stream: one package passing with a skipped
// test and a subtest, one failing, one without test files, one cut off.
const stream = `{"Action":"start","Package":"a"}
{"Action":"run","Package":"a","Test":"TestOK"}
{"Action":"run","Package":"a","Test":"TestOK/sub"}
{"Action":"pass","Package":"a","Test":"TestOK/sub","Elapsed":0}
{"Action":"pass","Package":"a","Test":"TestOK","Elapsed":0.1}
{"Action":"run","Package":"a","Test":"TestBrowser"}
{"Action":"output","Package":"a","Test":"TestBrowser","Output":"    html_test.go:12: no chromium on PATH\n"}
{"Action":"skip","Package":"a","Test":"TestBrowser","Elapsed":0}
{"Action":"output","Package":"a","Output":"ok  \ta\t0.2s\n"}
{"Action":"pass","Package":"a","Elapsed":0.2}
{"Action":"run","Package":"b","Test":"TestBad"}
{"Action":"output","Package":"b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"b","Test":"TestBad","Output":"    b_test.go:3: got 1, want 2\n"}
{"Action":"output","Package":"b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"b","Test":"TestBad","Elapsed":0}
{"Action":"output","Package":"b","Output":"FAIL\tb\t0.1s\n"}
{"Action":"fail","Package":"b","Elapsed":0.1}
{"Action":"output","Package":"c","Output":"?   \tc\t[no test files]\n"}
{"Action":"skip","Package":"c","Elapsed":0}
{"Action":"start","Package":"d"}
{"Action":"run","Package":"d","Test":"TestHang"}
`

func TestSummary(t *testing.T) {
	var out strings.Builder
	ok, err := summary(strings.NewReader(stream), &out, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Error("a failing package and one cut off: want not ok")
	}
	got := out.String()
	for _, want := range []string{
		"--- SKIP: TestBrowser (0.00s)\n", "no chromium on PATH", "ok  \ta\t0.2s\n",
		"    b_test.go:3: got 1, want 2\n", "--- FAIL: TestBad (0.00s)\n", "FAIL\tb\t0.1s\n",
		"?   \tc\t[no test files]\n", "FAIL\td\t(no result)\n",
		"1 packages passed, 2 failed, 1 without tests; 1 tests skipped;",
		"--- SKIP: a TestBrowser: html_test.go:12: no chromium on PATH\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if last := lines[len(lines)-1]; last != "tests: 2 passed, 1 failed, 1 skipped" {
		t.Errorf("closing line %q, want the plain 'tests: N passed, N failed, N skipped'", last)
	}
}
