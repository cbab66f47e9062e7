package suggestcmd

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/suggest"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	reportjson "github.com/imgdiff/imgdiff/report/json"
	"github.com/imgdiff/imgdiff/report/view"
)

// CheckTolerance is how far, in percent of the built image's size, the
// built image may be from the predicted size for --check to pass: the
// issue's acceptance bound.
const CheckTolerance = 5.0

// Check is what `suggest --check` reports: the prediction held against
// the image built from the suggestion.
type Check struct {
	Original  string `json:"original"`
	Built     string `json:"built"`
	Base      string `json:"base"`
	Sizes     Sizes  `json:"sizes"`
	Predicted int64  `json:"predictedDelta"`
	Actual    int64  `json:"actualDelta"`
	// SizeError is (built − predicted) / built, in percent: positive
	// when the build came out larger than predicted.
	SizeError float64 `json:"sizeErrorPercent"`
	// DeltaError is (actual − predicted ΔS) / predicted ΔS, in percent.
	DeltaError float64 `json:"deltaErrorPercent"`
	Tolerance  float64 `json:"tolerancePercent"`
	Pass       bool    `json:"pass"`
	// PredictedTerms are the prediction's ΔS terms; Decomposition is
	// what `imgdiff compare ORIGINAL BUILT` measures.
	PredictedTerms []suggest.Term        `json:"predictedTerms"`
	Decomposition  analyze.Decomposition `json:"decomposition"`
	Questions      []string              `json:"questions"`
}

// Sizes are content sizes in bytes (`docker image inspect` .Size).
type Sizes struct {
	Original  int64 `json:"original"`
	Predicted int64 `json:"predicted"`
	Built     int64 `json:"built"`
}

// checkRun compares the image built from the suggestion s (b) with the
// original (a) and with the prediction, prints the report and returns
// cmdutil.ErrBudgetFailed when the built size misses the prediction by
// more than CheckTolerance.
func checkRun(opts *Options, po pipeline.Options, s *suggest.Suggestion, a, b pipeline.Loaded) error {
	c, err := pipeline.CompareLoaded(po, a, b, analyze.CompareOptions{})
	if err != nil {
		return err
	}
	r := newCheck(opts.Ref, opts.Check, s, c)
	if err := writeCheck(opts.IO.Out, opts.Format, r); err != nil {
		return err
	}
	if !r.Pass {
		opts.IO.Errorf("the built image is %.1f%% from the predicted size (tolerance %.0f%%)", r.SizeError, r.Tolerance)
		return cmdutil.ErrBudgetFailed
	}
	return nil
}

func newCheck(orig, built string, s *suggest.Suggestion, c *analyze.Comparison) *Check {
	p := s.Prediction
	r := &Check{
		Original: orig, Built: built, Base: s.Base,
		Sizes:          Sizes{Original: c.A.Size, Predicted: p.Predicted, Built: c.B.Size},
		Predicted:      p.Delta,
		Actual:         c.Delta.Size,
		Tolerance:      CheckTolerance,
		PredictedTerms: p.Terms,
		Decomposition:  c.Decomposition,
		Questions:      nonNil(s.Questions),
	}
	r.SizeError = percent(r.Sizes.Built-r.Sizes.Predicted, r.Sizes.Built)
	r.DeltaError = percent(r.Actual-r.Predicted, r.Predicted)
	r.Pass = math.Abs(r.SizeError) <= CheckTolerance
	return r
}

// percent is 100·n/of, rounded to a tenth; of ≤ 0 counts as 1 byte, so
// any miss of an empty prediction is a large error, never a division by
// zero.
func percent(n, of int64) float64 {
	if of <= 0 {
		of = 1
	}
	return math.Round(1000*float64(n)/float64(of)) / 10
}

func writeCheck(w io.Writer, format string, r *Check) error {
	if format == "json" {
		return reportjson.Write(w, r)
	}
	verdict := "pass"
	if !r.Pass {
		verdict = "FAIL"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "original   %10s  (%d bytes)\n", view.Human(r.Sizes.Original), r.Sizes.Original)
	fmt.Fprintf(&b, "predicted  %10s  (%d bytes) on %s\n", view.Human(r.Sizes.Predicted), r.Sizes.Predicted, view.OneLine(r.Base))
	fmt.Fprintf(&b, "built      %10s  (%d bytes)\n", view.Human(r.Sizes.Built), r.Sizes.Built)
	fmt.Fprintf(&b, "ΔS predicted %s, actual %s: %+.1f%%\n", view.Human(r.Predicted), view.Human(r.Actual), r.DeltaError)
	fmt.Fprintf(&b, "size error %+.1f%% of the built size (tolerance ±%.0f%%): %s\n", r.SizeError, r.Tolerance, verdict)
	b.WriteString("\nΔS, predicted and as compare measures it:\n")
	pred := map[string]int64{}
	for _, t := range r.PredictedTerms {
		pred[measuredName(t.Name)] = t.Bytes
	}
	seen := map[string]bool{}
	row := func(name string, measured int64, has bool) {
		p := "-"
		if v, ok := pred[name]; ok {
			p = view.Human(v)
		}
		m := "-"
		if has {
			m = view.Human(measured)
		}
		fmt.Fprintf(&b, "  %-22s %10s %10s\n", name, p, m)
	}
	fmt.Fprintf(&b, "  %-22s %10s %10s\n", "term", "predicted", "measured")
	for _, t := range r.Decomposition.Terms {
		row(t.Name, t.Bytes, true)
		seen[t.Name] = true
	}
	for _, t := range r.PredictedTerms {
		if n := measuredName(t.Name); !seen[n] {
			row(n, 0, false)
		}
	}
	fmt.Fprintf(&b, "  %-22s %10s %10s\n", "ε (the build adds)", "", view.Human(-r.Decomposition.Epsilon))
	fmt.Fprintf(&b, "  %-22s %10s %10s\n", "total", view.Human(r.Predicted), view.Human(r.Decomposition.Total))
	_, err := io.WriteString(w, b.String())
	return err
}

// measuredName is the name compare gives the term a prediction calls
// name: the prediction's "base" (the base image's bytes a scratch stage
// drops) is compare's analyze.BaseTerm.
func measuredName(name string) string {
	if name == "base" {
		return analyze.BaseTerm
	}
	return name
}
