package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAnnotationsWithoutDockerfileCLI: -o github and -o sarif with a
// failed budget and no Dockerfile annotate it (a file-less ::error, a
// SARIF result at the image reference), exit 1, and say on stderr what
// they could not place.
func TestAnnotationsWithoutDockerfileCLI(t *testing.T) {
	ref := "docker-archive:" + fixtures + "docker-archive.tar"
	r := imgdiff(t, nil, "analyze", ref, "--no-config", "--max-size", "1kB", "-o", "github")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1: %s", r.code, r.errOut)
	}
	want := "::error title=imgdiff budget failed%3A max-size::budget max-size failed for " + ref + ": "
	if !strings.Contains(r.out, "\n"+want) && !strings.HasPrefix(r.out, want) {
		t.Errorf("no file-less ::error for the failed budget:\n%s", r.out)
	}
	if !strings.Contains(r.errOut, "imgdiff: -o github: ") || !strings.Contains(r.errOut, "with no Dockerfile to put them on (give --dockerfile): written without a file") {
		t.Errorf("stderr does not say what was not placed: %q", r.errOut)
	}

	r = imgdiff(t, nil, "analyze", ref, "--no-config", "--max-size", "1kB", "-o", "sarif")
	if r.code != 1 {
		t.Fatalf("sarif: exit %d, want 1: %s", r.code, r.errOut)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.out), &log); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, res := range log.Runs[0].Results {
		if res.RuleID == "budget-max-size" {
			u := res.Locations[0].PhysicalLocation.ArtifactLocation.URI
			found = u == "docker-archive%3A../../testdata/fixtures/docker-archive.tar"
		}
	}
	if !found || !strings.Contains(r.errOut, "imgdiff: -o sarif: ") {
		t.Errorf("no SARIF result for the budget at the image reference (stderr %q):\n%.2000s", r.errOut, r.out)
	}
}
