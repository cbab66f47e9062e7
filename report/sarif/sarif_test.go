package sarif

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/report/reporttest"
	"github.com/imgdiff/imgdiff/report/view"
)

var testRules = []view.RuleInfo{
	{ID: "dockerfile-build-tools-in-final-stage", ShortDescription: "Build tools in the final image", FullDescription: "An instruction of the final image installs compilers.", Help: "Build in a stage and COPY --from it.", Level: view.LevelWarning, Tags: []string{"DL3059"}},
	{ID: "dockerfile-root-user", ShortDescription: "Final USER is root", FullDescription: "The image runs as root.", Help: "Add a USER."},
}

var testAnnotations = []view.Annotation{
	{RuleID: "dockerfile-root-user", Level: view.LevelWarning, Title: "Final USER is root", Message: "Dockerfile:4 the image runs as root", File: "Dockerfile", StartLine: 4, Snippet: "FROM debian:bookworm-slim"},
	{RuleID: "dockerfile-build-tools-in-final-stage", Level: view.LevelError, Title: "Build tools", Message: "Dockerfile:5 puts 254 MB of build tools\ninto the final image: gcc-12, build-essential", File: "./docker/app dir/Dockerfile", StartLine: 5, EndLine: 6, Bytes: 254_000_000, Snippet: "RUN apt-get update && \\\n  apt-get install -y build-essential"},
	{RuleID: "unlisted-rule", Level: "info", Title: "An unlisted rule", Message: "50% of the image", File: "Dockerfile", StartLine: 9},
	{RuleID: "dockerfile-root-user", Level: view.LevelWarning, Title: "Final USER is root", Message: "again", File: "other/Dockerfile", StartLine: 4, Snippet: "FROM debian:bookworm-slim"},
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Tool{Name: "imgdiff", Version: "0.1.0", InformationURI: "https://github.com/imgdiff/imgdiff"}, testRules, testAnnotations); err != nil {
		t.Fatal(err)
	}
	if err := reporttest.ValidateSARIF(t, buf.Bytes()); err != nil {
		t.Fatalf("output does not validate: %v\n%s", err, buf.String())
	}
	// What GitHub code scanning reads, checked by hand.
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct{ Text string }
						FullDescription  struct{ Text string }
						Help             struct{ Text string }
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, EndLine int }
					}
				}
				PartialFingerprints map[string]string
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if log.Version != "2.1.0" || len(run.Tool.Driver.Rules) != 3 || len(run.Results) != 4 {
		t.Fatalf("version %q, %d rules, %d results", log.Version, len(run.Tool.Driver.Rules), len(run.Results))
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" {
			t.Errorf("rule %+v lacks a field GitHub needs", r)
		}
	}
	first := run.Results[0] // ranked by bytes
	loc := first.Locations[0].PhysicalLocation
	if first.RuleID != "dockerfile-build-tools-in-final-stage" || first.Level != "error" || loc.ArtifactLocation.URI != "docker/app%20dir/Dockerfile" ||
		loc.Region.StartLine != 5 || loc.Region.EndLine != 6 || run.Tool.Driver.Rules[first.RuleIndex].ID != first.RuleID {
		t.Errorf("first result %+v", first)
	}
	if !strings.Contains(first.Message.Text, "\ninto the final image") {
		t.Errorf("message %q", first.Message.Text)
	}
	// Then by severity at equal bytes: the two warnings (by file), the note.
	if run.Results[3].Level != "note" || run.Results[3].RuleID != "unlisted-rule" || run.Tool.Driver.Rules[run.Results[3].RuleIndex].ID != "unlisted-rule" {
		t.Errorf("unlisted rule result %+v", run.Results[3])
	}
	// The same rule on the same text in two files: same hash, occurrences 1 and 2.
	h1, h2 := run.Results[1].PartialFingerprints["primaryLocationLineHash"], run.Results[2].PartialFingerprints["primaryLocationLineHash"]
	if !strings.HasSuffix(h1, ":1") || !strings.HasSuffix(h2, ":2") || strings.TrimSuffix(h1, ":1") != strings.TrimSuffix(h2, ":2") {
		t.Errorf("fingerprints %q %q", h1, h2)
	}
}

func TestSARIFSchemaRejects(t *testing.T) {
	// The validator must be able to fail: a level SARIF does not know.
	var buf bytes.Buffer
	if err := Write(&buf, Tool{Name: "imgdiff"}, nil, testAnnotations[:1]); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(buf.Bytes(), []byte(`"level": "warning"`), []byte(`"level": "fatal"`), 1)
	if bytes.Equal(bad, buf.Bytes()) {
		t.Fatal("no level to corrupt")
	}
	if err := reporttest.ValidateSARIF(t, bad); err == nil {
		t.Error("a result with level fatal validates")
	}
	if err := reporttest.ValidateSARIF(t, buf.Bytes()); err != nil {
		t.Errorf("minimal output: %v", err)
	}
	// No annotations: still a valid log with an empty results array.
	buf.Reset()
	if err := Write(&buf, Tool{Name: "imgdiff"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := reporttest.ValidateSARIF(t, buf.Bytes()); err != nil || !bytes.Contains(buf.Bytes(), []byte(`"results": []`)) {
		t.Errorf("empty log: %v\n%s", err, buf.String())
	}
}
