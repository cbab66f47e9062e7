package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestDemoGolden pins what `make demo` prints, in every format, through the
// whole pipeline (layout reader, walker, attribution, classification,
// compare, budgets, renderers). The demo images are deterministic, so any
// change in a figure shows up here; review the diff before -update.
func TestDemoGolden(t *testing.T) {
	dir := demo(t)
	for _, format := range []string{"table", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			// JSON, the strictest, through the whole walk; the others
			// through the demo's shared layer cache (demoEnv).
			var env []string
			if format != "json" {
				env = demoEnv(t)
			}
			r := imgdiff(t, env, "compare", "-o", format, "--config", "../../testdata/demo-budgets.yaml",
				"oci:"+dir+"/single", "oci:"+dir+"/multi")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			got := strings.ReplaceAll(r.out, dir, "DEMO")
			name := filepath.Join("testdata", "demo-compare."+map[string]string{"table": "txt", "markdown": "md", "json": "json"}[format])
			if *update {
				if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s; review and run go test -update\n--- got:\n%s", format, name, got)
			}
		})
	}
}
