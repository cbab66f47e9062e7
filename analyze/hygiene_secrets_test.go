package analyze

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers/index"
)

func TestLooksSecret(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        bool
	}{
		{"NPM_TOKEN", "npm_abcdefghijklmnop0123456789", true},
		{"DB_PASSWORD", "hunter2hunter2", true},
		{"STRIPE_API_KEY", "abcdefgh12345678", true},
		{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"CLIENT_SECRET", "0123456789abcdef", true},
		// Known token shapes, whatever the name.
		{"GH", "ghp_0123456789abcdefghijABCDEFGHIJ012345", true},
		{"X", "AKIAIOSFODNN7EXAMPLE", true},
		{"DATABASE_URL", "postgres://app:s3cret@db:5432/app", true},
		// Not secrets: the official images' public key fingerprints,
		// names that only contain a secret word, paths, references, URLs.
		{"GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D", false},
		{"AUTHOR", "Jane Doe <jane@example.com>", false},
		{"PASSWORD_FILE", "/run/secrets/db", false},
		{"TOKEN", "$CI_JOB_TOKEN", false},
		{"AUTH_URL", "https://auth.example.com/token", false},
		{"SECRET", "short", false},
		{"PATH", "/usr/local/bin:/usr/bin", false},
		{"NODE_VERSION", "20.11.1", false},
	} {
		if got := looksSecret(tc.name, tc.value); got != tc.want {
			t.Errorf("looksSecret(%s=%s) = %v, want %v", tc.name, tc.value, got, tc.want)
		}
	}
}

// TestSecretsRedacted: credentials in the config's ENV, in an overridden
// history ENV, in build args recorded by two RUNs and pasted into a
// command each give one finding at the right step, and no part of the
// image model (the JSON reports print) holds a value any more.
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
	img, c := classifyImage(t, cfg, hist, l)

	got := map[string][]Finding{}
	for _, f := range c.Findings {
		got[f.ID] = append(got[f.ID], f)
	}
	env := got[FindingSecretEnv]
	if len(env) != 2 {
		t.Fatalf("secret ENV findings: %+v", env)
	}
	byTitle := map[string]Finding{}
	for _, f := range env {
		byTitle[f.Title] = f
	}
	if f := byTitle["credential-like ENV in the image: NPM_TOKEN=<redacted>"]; f.Step != 2 || f.Field != "config.Env" {
		t.Errorf("NPM_TOKEN: %+v", f)
	}
	if f := byTitle["credential-like ENV in the image: DB_PASSWORD=<redacted>"]; f.Step != 1 || f.Field != "history.created_by" {
		t.Errorf("DB_PASSWORD (in the history only): %+v", f)
	}
	if a := got[FindingSecretArg]; len(a) != 1 || a[0].Step != 3 || len(a[0].Related) != 1 || a[0].Related[0] != 4 {
		t.Errorf("build arg findings: %+v", a)
	}
	if h := got[FindingSecretHistory]; len(h) != 1 || h[0].Step != 5 {
		t.Errorf("pasted token findings: %+v", h)
	}

	js, err := json.Marshal(struct {
		I *Image
		C *Classification
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
