package view

import (
	"fmt"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/fleet"
)

func TopPackages(ps []fleet.Package) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s (%s, %s)", p.Name, p.Category, Human(p.Bytes)))
	}
	return strings.Join(s, ", ")
}

func BudgetCell(img fleet.Image) string {
	switch img.Budget {
	case "":
		return "—"
	case "fail":
		return "FAIL " + strings.Join(img.BudgetFailed, ",")
	}
	return "pass"
}

func ImageName(img fleet.Image) string { return img.Name() }
