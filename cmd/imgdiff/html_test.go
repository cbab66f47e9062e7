package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The HTML and ncdu formats through the CLI, on the demo pair: the pages
// themselves are tested in a browser in report/html, the export in ncdu
// in report/ncdu.

var pageData = regexp.MustCompile(`(?s)<script type="application/json" id="data">(.*?)</script>`)

func TestCompareHTMLToFile(t *testing.T) {
	dir := demo(t)
	out := filepath.Join(t.TempDir(), "report.html")
	r := imgdiff(t, demoEnv(t), "compare", "-o", "html", "--output-file", out, "oci:"+dir+"/single", "oci:"+dir+"/multi")
	if r.code != 0 || r.out != "" {
		t.Fatalf("exit %d, stdout %.80q: %s", r.code, r.out, r.errOut)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m := pageData.FindSubmatch(page)
	if !strings.HasPrefix(string(page), "<!DOCTYPE html>") || m == nil {
		t.Fatalf("not an imgdiff page: %.200s", page)
	}
	var d struct {
		Kind      string `json:"kind"`
		A, B      struct{ Size int64 }
		Waterfall []struct {
			Kind  string `json:"kind"`
			Bytes int64  `json:"bytes"`
		} `json:"waterfall"`
	}
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, b := range d.Waterfall {
		if b.Kind != "total" {
			sum += b.Bytes
		}
	}
	if d.Kind != "compare" || sum != d.A.Size-d.B.Size || sum <= 0 {
		t.Errorf("kind %q, waterfall terms %d, ΔS %d", d.Kind, sum, d.A.Size-d.B.Size)
	}
}

func TestAnalyzeNCDU(t *testing.T) {
	dir := demo(t)
	a := analyzeJSONEnv(t, demoEnv(t), "oci:"+dir+"/multi")
	r := imgdiff(t, demoEnv(t), "analyze", "-o", "ncdu", "oci:"+dir+"/multi")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var top []json.RawMessage
	if err := json.Unmarshal([]byte(r.out), &top); err != nil || len(top) != 4 {
		t.Fatalf("not an ncdu export (%v): %.200s", err, r.out)
	}
	// Every regular file's asize, once per inode: the final filesystem's
	// content size (the image's size less what later layers hid).
	var total int64
	seen := map[int64]bool{}
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		if raw[0] == '[' {
			var items []json.RawMessage
			json.Unmarshal(raw, &items)
			for _, it := range items[1:] {
				walk(it)
			}
			return
		}
		var e struct {
			Asize int64 `json:"asize"`
			Ino   int64 `json:"ino"`
			Hlnkc bool  `json:"hlnkc"`
		}
		json.Unmarshal(raw, &e)
		if !e.Hlnkc || !seen[e.Ino] {
			total += e.Asize
			seen[e.Ino] = e.Hlnkc
		}
	}
	walk(top[3])
	if want := a.Image.Size - a.Image.Wasted; total != want {
		t.Errorf("ncdu export holds %d bytes, the final filesystem %d", total, want)
	}
}

func TestNCDUIsForAnalyzeOnly(t *testing.T) {
	ref := "oci:" + fixtures + "oci-layout-gzip"
	r := imgdiff(t, nil, "compare", "-o", "ncdu", ref, ref)
	if r.code != 2 || !strings.Contains(r.errOut, "use it with analyze") {
		t.Errorf("compare -o ncdu: exit %d: %s", r.code, r.errOut)
	}
}

func TestOutputFileUnwritable(t *testing.T) {
	ref := "oci:" + fixtures + "oci-layout-gzip"
	out := filepath.Join(t.TempDir(), "no-such-dir", "report.html")
	r := imgdiff(t, nil, "analyze", "-o", "html", "--output-file", out, ref)
	if r.code != 2 || !strings.Contains(r.errOut, "--output-file") || strings.Count(strings.TrimSpace(r.errOut), "\n") > 0 {
		t.Errorf("exit %d, want 2 with one line naming --output-file: %q", r.code, r.errOut)
	}
}
