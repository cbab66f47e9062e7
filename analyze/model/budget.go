package model

// BudgetCheck is one budget rule checked against the figure it limits.
// Package budget evaluates budgets into these; the renderers print
// these as they are.
type BudgetCheck struct {
	// Rule names the limit as the config spells it ("max-size",
	// "max-category.build-tool", "min-savings", "fail-on.secret").
	Rule string `json:"rule"`
	// Image is the reference of the image the rule applies to (for
	// compare rules, B's).
	Image string `json:"image,omitempty"`
	// Unit says how to read Actual and Limit: "bytes", "percent",
	// "count" (layers, findings).
	Unit   string  `json:"unit"`
	Actual float64 `json:"actual"`
	Limit  float64 `json:"limit"`
	Pass   bool    `json:"pass"`
	// Detail is a short human explanation ("content size", "wasted bytes
	// as % of content", or the findings that broke a fail-on rule).
	Detail string `json:"detail,omitempty"`
}

// BudgetReport is the outcome of every budget rule that applied.
type BudgetReport struct {
	// Source is where the budgets came from: a config file path,
	// "flags", or both.
	Source string        `json:"source,omitempty"`
	Checks []BudgetCheck `json:"checks"`
	// Pass is true when every check passed (and when there are none).
	Pass bool `json:"pass"`
}

// Failed lists the checks that did not pass.
func (r *BudgetReport) Failed() []BudgetCheck {
	if r == nil {
		return nil
	}
	var out []BudgetCheck
	for _, c := range r.Checks {
		if !c.Pass {
			out = append(out, c)
		}
	}
	return out
}

// Add appends c, and fails r when c failed.
func (r *BudgetReport) Add(c BudgetCheck) {
	r.Checks = append(r.Checks, c)
	if !c.Pass {
		r.Pass = false
	}
}
