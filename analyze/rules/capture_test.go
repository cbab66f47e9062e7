package rules

import (
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
)

func TestWantContent(t *testing.T) {
	for _, tc := range []struct {
		path string
		size int64
		want bool
	}{
		{"var/lib/dpkg/status", 2 << 20, true},
		{"var/lib/dpkg/info/libc6:amd64.list", 4000, true},
		{"var/lib/dpkg/info/libc6:amd64.md5sums", 4000, false},
		{"var/lib/dpkg/status.d/libc6", 900, true},
		{"var/lib/dpkg/status.d/libc6.md5sums", 900, true},
		{"lib/apk/db/installed", 300_000, true},
		{"usr/lib/python3/dist-packages/status", 10, false},
		{"usr/local/lib/python3.11/site-packages/pytest-7.4.3.dist-info/RECORD", 9000, true},
		{"usr/local/lib/python3.11/site-packages/pytest-7.4.3.dist-info/METADATA", 9000, true},
		{"usr/local/lib/python3.11/site-packages/_pytest/RECORD", 10, false},
		{"app/package-lock.json", 500_000, true},
		{"app/node_modules/.package-lock.json", 500_000, true},
		{"app/package.json", 800, true},
		{"app/node_modules/express/package.json", 800, false},
		{"app/node_modules/.pnpm/lock.yaml", 9000, true},
		{"app/pnpm-lock.yaml", 9000, true},
		{"root/.ssh/id_ed25519", 400, true},
		{"app/certs/server.pem", 3000, true},
		{"app/certs/bundle.pem", 300_000, false}, // a CA bundle, not a key
		{"app/tls.key", 1700, true},
		{"root/.npmrc", 100, true},
		{"root/.netrc", 100, true},
		{"root/.docker/config.json", 200, true},
		{"app/config.json", 200, false}, // only docker's config holds auths
		// Flagged by name alone: their bodies are never kept.
		{"app/.env", 40, false},
		{"root/.git-credentials", 60, false},
		{"usr/bin/gcc-12", 1 << 20, false},
		{"status", 10, false},
		// What the dependency graph reads (analyze/pkggraph): apt's record
		// of what was asked for, apk's world, the rpm databases with a
		// larger cap (UBI 8's Packages is tens of MB).
		{"var/lib/apt/extended_states", 300_000, true},
		{"var/lib/apt/extended_states", 17 << 20, false},
		{"etc/apk/world", 200, true},
		{"var/lib/rpm/Packages", 60 << 20, true},
		{"var/lib/rpm/rpmdb.sqlite", 30 << 20, true},
		{"usr/lib/sysimage/rpm/Packages.db", 30 << 20, true},
		{"var/lib/rpm/Packages", 300 << 20, false},
		{"srv/extended_states", 100, false},
		{"app/world", 100, false},
	} {
		if got := WantContent(tc.path, tc.size); got != tc.want {
			t.Errorf("WantContent(%q, %d) = %v, want %v", tc.path, tc.size, got, tc.want)
		}
	}
}

// Every default rule that reads content sees the files it names, so no
// `contains` rule is dead.
func TestDefaultContainsRulesAreCaptured(t *testing.T) {
	n := 0
	for _, s := range Default().Specs() {
		if len(s.Contains) == 0 {
			continue
		}
		n++
		if err := checkCaptured(&s); err != nil {
			t.Error(err)
		}
	}
	if n == 0 {
		t.Fatal("no default rule with contains")
	}
}

func TestCaptureKey(t *testing.T) {
	k := CaptureKey()
	if !strings.HasPrefix(k, "classify-4-") || len(k) != len("classify-4-")+12 || CaptureKey() != k {
		t.Fatalf("CaptureKey() = %q", k)
	}
	// The hash follows the tables: one more captured name, another key.
	cs := *captured()
	cs.byName = map[string]int64{"id_new": captureSecretMax}
	for n, max := range captured().byName {
		cs.byName[n] = max
	}
	if cs.hash() == captured().key {
		t.Error("adding a captured name does not change the key")
	}
	cs = *captured()
	cs.suffixes = append([]string{".p12"}, cs.suffixes...)
	if cs.hash() == captured().key {
		t.Error("adding a captured suffix does not change the key")
	}
}

func TestUserContainsRulesMustBeCaptured(t *testing.T) {
	ok := []Spec{
		{ID: "my-key", Category: model.Secret, Reason: "r", Names: []string{"*.pem", "id_rsa"}, Contains: []string{"BEGIN"}},
		{ID: "my-docker", Category: model.Secret, Reason: "r", Paths: []string{"home/*/.docker/config.json"}, Contains: []string{"auth"}},
	}
	if _, err := Compile(ok); err != nil {
		t.Errorf("captured files rejected: %v", err)
	}
	for _, s := range []Spec{
		{ID: "yaml", Category: model.Secret, Reason: "r", Names: []string{"*.yaml"}, Contains: []string{"password"}},
		{ID: "conf", Category: model.Secret, Reason: "r", Names: []string{"app.conf"}, Contains: []string{"password"}},
		{ID: "glob", Category: model.Secret, Reason: "r", Names: []string{"id_*"}, Contains: []string{"KEY"}},
		{ID: "env", Category: model.Secret, Reason: "r", Paths: []string{"app/.env"}, Contains: []string{"KEY"}},
	} {
		_, err := Compile([]Spec{s})
		if err == nil || !strings.Contains(err.Error(), s.ID) || !strings.Contains(err.Error(), "contains") {
			t.Errorf("rule %s: error %v, want one naming the rule and contains", s.ID, err)
		}
	}
	if _, err := Parse([]byte("rules:\n  - id: x\n    category: secret\n    reason: r\n    names: [a.txt]\n    contains: [k]\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Parse: %v, want an error at line 2", err)
	}
}
