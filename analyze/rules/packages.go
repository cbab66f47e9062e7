package rules

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// pkgRule is a compiled package rule.
type pkgRule struct {
	spec     *Spec
	order    int
	managers map[string]bool
	sections map[string]bool
}

func newPkgRule(s *Spec, order int) *pkgRule {
	pr := &pkgRule{spec: s, order: order}
	if len(s.Managers) > 0 {
		pr.managers = map[string]bool{}
		for _, m := range s.Managers {
			pr.managers[m] = true
		}
	}
	if len(s.Sections) > 0 {
		pr.sections = map[string]bool{}
		for _, sec := range s.Sections {
			pr.sections[sec] = true
		}
	}
	return pr
}

// match reports whether the rule flags p, and the evidence that says why.
// Package rules run once per package, not per file, so globs are fine here
// (after the cheaper checks).
func (pr *pkgRule) match(p *model.FoundPackage) (string, bool) {
	s := pr.spec
	if pr.managers != nil && !pr.managers[p.Manager] {
		return "", false
	}
	// Every matcher given must hold: a rule with sections and packages
	// flags packages of those sections with those names.
	why := ""
	if s.Dev {
		if !p.Dev {
			return "", false
		}
		why = "dev"
	}
	if pr.sections != nil {
		sec := p.Section
		if i := strings.LastIndexByte(sec, '/'); i >= 0 {
			sec = sec[i+1:] // "universe/devel", "contrib/libdevel"
		}
		if !pr.sections[sec] {
			return "", false
		}
		why = sec
	}
	name := p.Name
	if p.Manager == "python" {
		name = normalizePythonName(name)
	}
	for _, g := range s.Except {
		if doublestar.MatchUnvalidated(g, name) {
			return "", false
		}
	}
	if len(s.Packages) > 0 {
		hit := ""
		for _, g := range s.Packages {
			if doublestar.MatchUnvalidated(g, name) {
				hit = g
				break
			}
		}
		if hit == "" {
			return "", false
		}
		if why == "" {
			why = "name " + hit
		}
	}
	return packageEvidence(p, why), true
}

// packageEvidence formats what a package flag rests on, e.g.
// "dpkg: gcc-12 (devel)" or "npm lockfile: dev (typescript)".
func packageEvidence(p *model.FoundPackage, why string) string {
	if p.Source != "" {
		return fmt.Sprintf("%s: %s (%s)", p.Source, why, p.Name)
	}
	return fmt.Sprintf("%s: %s (%s)", p.Manager, p.Name, why)
}

// ClassifyPackage sets the category, rule and evidence of p from the first
// package rule that matches it.
func (r *Rules) ClassifyPackage(p *model.FoundPackage) {
	for _, pr := range r.pkg {
		if ev, ok := pr.match(p); ok {
			p.Category, p.Rule, p.Evidence = pr.spec.Category, pr.spec.ID, ev
			return
		}
	}
	p.Category, p.Rule = "", ""
}
