package view

import (
	"fmt"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/fleet"
)

// TopPackages lists a fleet image's largest flagged packages: "gcc (build-tool, 31 MB), …".
func TopPackages(ps []fleet.Package) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s (%s, %s)", p.Name, p.Category, Human(p.Bytes)))
	}
	return strings.Join(s, ", ")
}

// BudgetCell is a fleet image's budget verdict: "—", "pass" or "FAIL rule,rule".
func BudgetCell(img fleet.Image) string {
	switch img.Budget {
	case "":
		return "—"
	case "fail":
		return "FAIL " + strings.Join(img.BudgetFailed, ",")
	}
	return "pass"
}
