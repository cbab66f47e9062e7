// Package sarif writes annotations (report/view) as one SARIF 2.1.0 run
// for GitHub code scanning.
package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/imgdiff/imgdiff/report/view"
)

// SARIF 2.1.0, the parts GitHub code scanning reads. Field names follow
// the OASIS schema (sarif-schema-2.1.0.json, vendored in testdata).
// Log is a SARIF 2.1.0 log, as Write writes it (and tests read it back).
type Log struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name,omitempty"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	HelpURI              string          `json:"helpUri,omitempty"`
	DefaultConfiguration *sarifRuleLevel `json:"defaultConfiguration,omitempty"`
	Properties           *sarifRuleProps `json:"properties,omitempty"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI         string     `json:"uri"`
	URIBaseID   string     `json:"uriBaseId,omitempty"`
	Description *sarifText `json:"description,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine"`
}

// Tool names the program in SARIF's tool.driver.
type Tool struct {
	Name, Version, InformationURI string
}

const sarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

// Write writes one SARIF 2.1.0 run for GitHub code scanning: the rules
// (id, short and full description, help), and a result per annotation with
// its rule, level, message, repository-relative location, lines and a
// partialFingerprints.primaryLocationLineHash built from the rule and the
// annotated text, so that an alert follows its lines when they move.
// Annotations whose rule is not listed get a rule made from their title.
func Write(w io.Writer, tool Tool, rules []view.RuleInfo, anns []view.Annotation) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: tool.Name, Version: tool.Version, InformationURI: tool.InformationURI, Rules: []sarifRule{}}}, Results: []sarifResult{}}
	index := map[string]int{}
	addRule := func(r view.RuleInfo) {
		if _, ok := index[r.ID]; ok {
			return
		}
		index[r.ID] = len(run.Tool.Driver.Rules)
		sr := sarifRule{ID: r.ID, Name: ruleName(r), ShortDescription: sarifText{Text: orElse(r.ShortDescription, r.ID)},
			FullDescription: sarifText{Text: orElse(r.FullDescription, orElse(r.ShortDescription, r.ID))},
			Help:            sarifText{Text: orElse(r.Help, orElse(r.FullDescription, r.ID)), Markdown: r.Help}, HelpURI: r.HelpURI}
		if r.Level != "" {
			sr.DefaultConfiguration = &sarifRuleLevel{Level: string(r.Level)}
		}
		if len(r.Tags) > 0 {
			sr.Properties = &sarifRuleProps{Tags: r.Tags}
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sr)
	}
	for _, r := range rules {
		addRule(r)
	}
	seen := map[string]int{}
	for _, a := range view.Rank(anns) {
		if _, ok := index[a.RuleID]; !ok {
			addRule(view.RuleInfo{ID: a.RuleID, ShortDescription: a.Title})
		}
		loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: view.FileURI(a.File), URIBaseID: "%SRCROOT%"}}
		if a.File == "" && a.Image != "" {
			// On the image as a whole: located at its reference, which
			// is no file of the repository.
			loc.ArtifactLocation = sarifArtifact{URI: imageURI(a.Image), Description: &sarifText{Text: "the image " + a.Image}}
		}
		if a.StartLine > 0 {
			loc.Region = &sarifRegion{StartLine: a.StartLine, EndLine: a.LastLine()}
		}
		hash := lineHash(a)
		seen[hash]++
		res := sarifResult{RuleID: a.RuleID, RuleIndex: index[a.RuleID], Level: string(orLevel(a.Level)),
			Message:             sarifText{Text: orElse(a.Message, a.Title)},
			Locations:           []sarifLocation{{PhysicalLocation: loc}},
			PartialFingerprints: map[string]string{"primaryLocationLineHash": fmt.Sprintf("%s:%d", hash, seen[hash])}}
		if a.Bytes > 0 {
			res.Properties = map[string]any{"bytes": a.Bytes}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Log{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	return nil
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// orLevel maps a level SARIF does not know ("info", "") to note, as
// github.Write maps it to notice.
func orLevel(l view.Level) view.Level {
	switch l {
	case view.LevelError, view.LevelWarning, view.LevelNote:
		return l
	}
	return view.LevelNote
}

// ruleName makes a PascalCase name from the id ("root-user" → "RootUser").
func ruleName(r view.RuleInfo) string {
	if r.Name != "" {
		return r.Name
	}
	var b strings.Builder
	for _, part := range strings.FieldsFunc(r.ID, func(c rune) bool { return c == '-' || c == '_' || c == '.' || c == '/' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// imageURI encodes an image reference as a relative URI reference: each
// segment escaped, and the colons too ("app:1" would read as a scheme).
func imageURI(ref string) string {
	segs := strings.Split(ref, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

// lineHash is the rule and the annotated text with whitespace collapsed
// (or the file and lines when there is no text), hashed.
func lineHash(a view.Annotation) string {
	text := strings.Join(strings.Fields(a.Snippet), " ")
	if text == "" {
		text = fmt.Sprintf("%s:%d-%d", view.CleanPath(a.File), a.StartLine, a.LastLine())
	}
	if a.File == "" {
		text = a.Image + "\x00" + text
	}
	sum := sha256.Sum256([]byte(a.RuleID + "\x00" + text))
	return hex.EncodeToString(sum[:8])
}
