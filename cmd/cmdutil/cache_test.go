package cmdutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenCache(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	cases := []struct {
		name    string
		env     map[string]string
		noCache bool
		want    bool
		warn    string
	}{
		{"default dir from env", map[string]string{"IMGDIFF_CACHE_DIR": filepath.Join(dir, "c1")}, false, true, ""},
		{"xdg", map[string]string{"XDG_CACHE_HOME": filepath.Join(dir, "xdg")}, false, true, ""},
		{"--no-cache", map[string]string{"IMGDIFF_CACHE_DIR": dir}, true, false, ""},
		{"IMGDIFF_NO_CACHE=1", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_NO_CACHE": "1"}, false, false, ""},
		{"IMGDIFF_NO_CACHE=true", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_NO_CACHE": "true"}, false, false, ""},
		{"IMGDIFF_NO_CACHE=0", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_NO_CACHE": "0"}, false, true, ""},
		{"max size", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_CACHE_MAX_SIZE": "2GB"}, false, true, ""},
		{"bad max size", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_CACHE_MAX_SIZE": "lots"}, false, true, "IMGDIFF_CACHE_MAX_SIZE"},
		// The budgets' size grammar: IEC units, and no digit separators
		// or spelled-out units (which humanize would take).
		{"max size IEC", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_CACHE_MAX_SIZE": "512MiB"}, false, true, ""},
		{"max size with a separator", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_CACHE_MAX_SIZE": "1,000MB"}, false, true, "IMGDIFF_CACHE_MAX_SIZE"},
		{"max size spelled out", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_CACHE_MAX_SIZE": "2 gigabytes"}, false, true, "IMGDIFF_CACHE_MAX_SIZE"},
		{"max size zero", map[string]string{"IMGDIFF_CACHE_DIR": dir, "IMGDIFF_CACHE_MAX_SIZE": "0"}, false, true, "IMGDIFF_CACHE_MAX_SIZE"},
		{"unusable dir", map[string]string{"IMGDIFF_CACHE_DIR": file}, false, false, "not caching"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, errOut := Test()
			ios.Getenv = func(k string) string { return tc.env[k] }
			c := OpenCache(ios, tc.noCache)
			if (c != nil) != tc.want {
				t.Errorf("cache = %v, want one: %v", c, tc.want)
			}
			if got := errOut.String(); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
				t.Errorf("stderr = %q, want a warning mentioning %q", got, tc.warn)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "xdg", "imgdiff", "layers")); err != nil {
		t.Errorf("XDG cache dir not created: %v", err)
	}
}
