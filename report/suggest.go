package report

import (
	"fmt"
	"io"

	"github.com/imgdiff/imgdiff/analyze/suggest"
	"github.com/imgdiff/imgdiff/report/json"
	"github.com/imgdiff/imgdiff/report/table"
)

// suggestionJSON is what -o json says of a suggestion: its base, the
// packages and copies of its final stage, its questions and the
// prediction (lists never null).
type suggestionJSON struct {
	Base       string             `json:"base"`
	Packages   []string           `json:"packages"`
	Copies     []string           `json:"copies"`
	Questions  []string           `json:"questions"`
	Prediction suggest.Prediction `json:"prediction"`
}

// WriteSuggestion writes what `imgdiff suggest` predicts of the Dockerfile
// it wrote, as a table (the predicted size, ΔS term by term, the number
// of questions) or JSON.
func WriteSuggestion(w io.Writer, f Format, s *suggest.Suggestion) error {
	switch f {
	case JSON:
		return json.Write(w, suggestionJSON{s.Base, nonNil(s.Packages), nonNil(s.Copies), nonNil(s.Questions), s.Prediction})
	case Table:
		return table.WriteSuggestion(w, s)
	}
	return fmt.Errorf("report: format %q is not available for a suggestion (want table or json)", f)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
