package table

import (
	"fmt"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/suggest"
	"github.com/imgdiff/imgdiff/report/view"
)

// WriteSuggestion writes what `imgdiff suggest` predicts of the
// Dockerfile it wrote: the predicted size on its base, ΔS term by term,
// and how many questions it left in the Dockerfile.
func WriteSuggestion(w io.Writer, s *suggest.Suggestion) error {
	p := s.Prediction
	terms := make([]string, 0, len(p.Terms))
	for _, t := range p.Terms {
		terms = append(terms, t.Name+" "+view.Human(t.Bytes))
	}
	_, err := fmt.Fprintf(w, "predicted: %s (%d bytes) on %s, from %s (%d bytes)\nΔS = %s = %s\nquestions: %d (comments at the end of the Dockerfile)\n",
		view.Human(p.Predicted), p.Predicted, view.OneLine(s.Base), view.Human(p.Original), p.Original, view.Human(p.Delta), strings.Join(terms, " + "), len(s.Questions))
	if err != nil {
		return fmt.Errorf("writing prediction: %w", err)
	}
	return nil
}
