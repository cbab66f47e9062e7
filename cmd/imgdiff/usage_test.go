package main

import (
	"strings"
	"testing"
)

// TestUsageErrorsOneLine: every usage mistake (an unknown flag, a flag
// the command does not apply, a missing or extra argument, a bad value)
// ends with exit 2, no report, and one line naming the subcommand and
// its help.
func TestUsageErrorsOneLine(t *testing.T) {
	img := fixtures + "docker-archive.tar"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", "--x", img}, "imgdiff analyze: unknown flag --x (see 'imgdiff analyze --help')"},
		{[]string{"analyze", img, "--min-savings", "10%"}, "imgdiff analyze: unknown flag --min-savings (see 'imgdiff analyze --help')"},
		{[]string{"analyze", img, "--max-growth", "1MB"}, "imgdiff analyze: unknown flag --max-growth (see 'imgdiff analyze --help')"},
		{[]string{"suggest", img, "--dockerfile", "Dockerfile", "--max-size", "1MB"}, "imgdiff suggest: unknown flag --max-size (see 'imgdiff suggest --help')"},
		{[]string{"suggest", img, "--dockerfile", "Dockerfile", "--fail-on", "secret"}, "imgdiff suggest: unknown flag --fail-on (see 'imgdiff suggest --help')"},
		{[]string{"suggest", img, "--max-layers", "3"}, "imgdiff suggest: unknown flag --max-layers (see 'imgdiff suggest --help')"},
		{[]string{"compare", img}, "imgdiff compare: accepts 2 arg(s), received 1 (see 'imgdiff compare --help')"},
		{[]string{"analyze", img, img}, "imgdiff analyze: accepts 1 arg(s), received 2 (see 'imgdiff analyze --help')"},
		{[]string{"compare", "--snapshot", "x", img, img}, "imgdiff compare: unknown flag --snapshot (see 'imgdiff compare --help')"},
		{[]string{"analyze", img, "--top", "many"}, `imgdiff analyze: invalid argument "many" for "--top" flag`},
		{[]string{"analyze", img, "-o", "yaml"}, "imgdiff analyze: unknown output format"},
		{[]string{"--nope"}, "imgdiff: unknown flag --nope (see 'imgdiff --help')"},
		{[]string{"nope"}, `imgdiff: unknown command "nope" for "imgdiff" (see 'imgdiff --help')`},
		{[]string{"analyze", "--x\x1b[2J", img}, `imgdiff analyze: unknown flag --x\x1b[2J (see 'imgdiff analyze --help')`},
	} {
		r := imgdiff(t, nil, c.args...)
		if r.code != 2 || r.out != "" || strings.Count(r.errOut, "\n") != 1 || !strings.HasPrefix(r.errOut, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and the one line %q", c.args, r.code, r.out, r.errOut, c.want)
		}
	}
}

// TestHelpListsOnlyAppliedFlags: a command's help lists the flags it
// applies and none it would refuse or ignore.
func TestHelpListsOnlyAppliedFlags(t *testing.T) {
	budget := []string{"--max-size", "--max-compressed-size", "--max-layers", "--max-category", "--max-wasted", "--fail-on"}
	compareOnly := []string{"--min-savings", "--max-growth"}
	for _, c := range []struct {
		cmd           string
		want, notWant []string
	}{
		{"analyze", append(budget, "--config", "--snapshot"), compareOnly},
		{"compare", append(append(budget, compareOnly...), "--config"), []string{"--snapshot"}},
		{"suggest", []string{"--config", "--no-config", "--dockerfile"}, append(append(budget, compareOnly...), "--snapshot")},
	} {
		r := imgdiff(t, nil, c.cmd, "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: exit %d %s", c.cmd, r.code, r.errOut)
		}
		for _, f := range c.want {
			if !strings.Contains(r.out, "  "+f+" ") && !strings.Contains(r.out, ", "+f+" ") {
				t.Errorf("%s --help does not list %s", c.cmd, f)
			}
		}
		for _, f := range c.notWant {
			if strings.Contains(r.out, f+" ") {
				t.Errorf("%s --help lists %s, which it does not apply", c.cmd, f)
			}
		}
	}
}
