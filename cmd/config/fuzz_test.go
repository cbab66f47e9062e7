package config

import (
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/budget"
)

// FuzzParse: .imgdiff.yaml comes with the pull request. Whatever it
// holds, Parse returns a file or an error that names the file on one
// line; a file it accepts is a valid budget set (budget.Validate, the one
// definition) whose rules merge into the defaults or are refused naming
// the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		full,
		"",
		"# comments only\n",
		"budgets:\n  - max-size: 1GB\n    \"\\e]0;x\\a\": 1\n",
		"budgets: {}\n",
		"---\na: 1\n---\nb: 2\n",
		"budgets:\n  - max-size: -1\n",
		"budgets:\n  - max-size: 9223372036854775808\n    max-layers: 99999999999999999999\n",
		"budgets:\n  - fail-on: [secret-in-history, nope]\n",
		"budgets:\n  - max-category: {secret: 0, nope: 1}\n",
		"compare:\n  min-savings: 101%\n  max-growth: NaN%\n",
		"rules:\n  - id: x\n    category: build-tool\n    paths: [\"[\"]\n",
		"rules:\n  - id: x\n    disabled: true\n",
		"a: &a [*a]\n",
		"budgets:\n  - &b {max-size: 1MB}\n  - *b\n",
		"\t- x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.yaml") {
				t.Fatalf("error %q does not name the file", msg)
			}
			return
		}
		b := budget.Budgets{Images: file.Budgets, Compare: file.Compare}
		if err := b.Validate(); err != nil {
			t.Fatalf("Parse accepted budgets Validate refuses: %v", err)
		}
		// Merging can still refuse (disabling a rule the defaults lack),
		// with an error that names the file too.
		if _, err := file.RuleSet(); err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("RuleSet error %q does not name the file", err)
		}
	})
}
