package analyze

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// TestSecretsRedacted: credentials in the config's ENV, in an overridden
// history ENV, in build args recorded by two RUNs and pasted into a
// command each give one finding at the right step, and after the
// redaction step no part of the image model (the JSON reports print)
// holds a value any more. Neither Redact nor Classify changes its input,
// and Classify finds the same on the raw image as on the redacted one.
func TestSecretsRedacted(t *testing.T) {
	const (
		token   = "npm_abcdefghijklmnopqrstuvwxyz0123456789"
		oldPass = "first-password-1"
		arg     = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
		pasted  = "glpat-abcdefghij0123456789"
	)
	l := testLayer([]index.Entry{reg("app/server", 100)}, nil, nil)
	hist := []v1.History{
		{CreatedBy: "ADD rootfs.tar / # buildkit"},                                                                        // 0
		{CreatedBy: "/bin/sh -c #(nop)  ENV DB_PASSWORD=" + oldPass, EmptyLayer: true},                                    // 1, overridden below
		{CreatedBy: "ENV NPM_TOKEN=" + token + " NODE_ENV=production", EmptyLayer: true},                                  // 2
		{CreatedBy: "RUN |1 GITHUB_TOKEN=" + arg + " /bin/sh -c make # buildkit", EmptyLayer: true},                       // 3
		{CreatedBy: "|1 GITHUB_TOKEN=" + arg + " /bin/sh -c make install", EmptyLayer: true},                              // 4
		{CreatedBy: "RUN /bin/sh -c git clone https://oauth2:" + pasted + "@gitlab.com/x/y # buildkit", EmptyLayer: true}, // 5
		{CreatedBy: "ENV DB_PASSWORD=", EmptyLayer: true},                                                                 // 6
		{CreatedBy: "COPY server /app/server # buildkit"},                                                                 // 7
	}
	cfg := v1.Config{User: "1000", Env: []string{"PATH=/usr/bin", "NPM_TOKEN=" + token, "NODE_ENV=production", "DB_PASSWORD="},
		Cmd: []string{"/app/server", "--token=" + token}}
	raw, rawClass := classifyImage(t, cfg, hist, l)
	img := hygiene.Redact(raw)
	c := Classify(img, nil)
	if !cmp.Equal(c.Findings, rawClass.Findings) {
		t.Errorf("findings on the redacted image differ from the raw one's:\n%s", cmp.Diff(rawClass.Findings, c.Findings))
	}
	if raw.Config.Env[1] != "NPM_TOKEN="+token || !strings.Contains(raw.Steps[5].CreatedBy, pasted) || raw.Config.Cmd[1] != "--token="+token {
		t.Errorf("Redact changed its input: %q, %q, %q", raw.Config.Env, raw.Steps[5].CreatedBy, raw.Config.Cmd)
	}
	if hygiene.Redact(img) != img {
		t.Error("redacting a redacted image made another copy")
	}

	got := map[string][]model.Finding{}
	for _, f := range c.Findings {
		got[f.ID] = append(got[f.ID], f)
	}
	env := got[hygiene.FindingSecretEnv]
	if len(env) != 2 {
		t.Fatalf("secret ENV findings: %+v", env)
	}
	byTitle := map[string]model.Finding{}
	for _, f := range env {
		byTitle[f.Title] = f
	}
	if f := byTitle["credential-like ENV in the image: NPM_TOKEN=<redacted>"]; f.Step != 2 || f.Field != "config.Env" {
		t.Errorf("NPM_TOKEN: %+v", f)
	}
	if f := byTitle["credential-like ENV in the image: DB_PASSWORD=<redacted>"]; f.Step != 1 || f.Field != "history.created_by" {
		t.Errorf("DB_PASSWORD (in the history only): %+v", f)
	}
	if a := got[hygiene.FindingSecretArg]; len(a) != 1 || a[0].Step != 3 || len(a[0].Related) != 1 || a[0].Related[0] != 4 {
		t.Errorf("build arg findings: %+v", a)
	}
	if h := got[hygiene.FindingSecretHistory]; len(h) != 1 || h[0].Step != 5 {
		t.Errorf("pasted token findings: %+v", h)
	}

	js, err := json.Marshal(struct {
		I *model.Image
		C *model.Classification
	}{img, c})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{token, oldPass, arg, pasted} {
		if strings.Contains(string(js), v) {
			t.Errorf("%s survives in the model", v)
		}
	}
	if !strings.Contains(img.Steps[5].Instruction.Args, "https://oauth2:<redacted>@gitlab.com") || img.Steps[7].CreatedBy != hist[7].CreatedBy {
		t.Errorf("redaction changed more than the values: %q, %q", img.Steps[5].Instruction.Args, img.Steps[7].CreatedBy)
	}
	if img.Config.Env[2] != "NODE_ENV=production" || img.Config.Env[1] != "NPM_TOKEN=<redacted>" {
		t.Errorf("config env %q", img.Config.Env)
	}
}

// TestClassifyLeavesItsInput: Classify reads the image, it does not
// change it, whatever it finds (here: credentials in the config and the
// history, which the redaction stage, not Classify, takes out).
func TestClassifyLeavesItsInput(t *testing.T) {
	token := "npm_abcdefghijklmnopqrstuvwxyz0123456789"
	l := testLayer([]index.Entry{reg("app/server", 100)}, nil, nil)
	hist := []v1.History{
		{CreatedBy: "ADD rootfs.tar / # buildkit"},
		{CreatedBy: "ENV NPM_TOKEN=" + token, EmptyLayer: true},
		{CreatedBy: "COPY server /app/server # buildkit"},
	}
	cfg := v1.Config{Env: []string{"NPM_TOKEN=" + token}, Cmd: []string{"/app/server", "--token=" + token}}
	img, _ := classifyImage(t, cfg, hist, l)
	before, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	files := slices.Clone(img.FS.Files)
	c := Classify(img, nil)
	after, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) || !slices.Equal(files, img.FS.Files) {
		t.Errorf("Classify changed its input:\n%s\n%s", before, after)
	}
	if !strings.Contains(string(after), token) {
		t.Error("Classify redacted the image; redaction is hygiene.Redact's")
	}
	if len(c.Findings) == 0 {
		t.Error("no finding")
	}
}
