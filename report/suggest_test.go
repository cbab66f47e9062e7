package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/suggest"
)

// suggest's prediction is written by the report packages: sizes as every
// other report prints them (SI units, U+2212 minus), the base escaped as
// any image string on a terminal, JSON lists never null. The expected
// text is written by hand.
func TestWriteSuggestion(t *testing.T) {
	s := &suggest.Suggestion{
		Base: "evil\x1b[31m:1",
		Prediction: suggest.Prediction{Original: 63_013_400, Predicted: 1_500, Delta: 63_011_900,
			Terms: []suggest.Term{{Name: "build-tool", Bytes: 63_013_400}, {Name: "added", Bytes: -1_500}}},
		Questions: []string{"q1", "q2"},
	}
	var b bytes.Buffer
	if err := WriteSuggestion(&b, Table, s); err != nil {
		t.Fatal(err)
	}
	want := "predicted: 1.5 kB (1500 bytes) on evil\\x1b[31m:1, from 63 MB (63013400 bytes)\n" +
		"ΔS = 63 MB = build-tool 63 MB + added −1.5 kB\n" +
		"questions: 2 (comments at the end of the Dockerfile)\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}

	b.Reset()
	if err := WriteSuggestion(&b, JSON, s); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["base"] != s.Base || got["packages"] == nil || got["copies"] == nil || len(got["questions"].([]any)) != 2 {
		t.Errorf("json: %s", b.String())
	}
	if p := got["prediction"].(map[string]any); p["predicted"] != 1500.0 || p["delta"] != 63_011_900.0 {
		t.Errorf("json prediction: %v", p)
	}
	if err := WriteSuggestion(&b, Markdown, s); err == nil {
		t.Error("-o markdown of a suggestion: want an error")
	}
}
