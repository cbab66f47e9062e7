package hygiene

import (
	"slices"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// Redact is the redaction step: it returns a copy of img in which the
// credential-like values of the config and history (the ones the
// secret-in-config, secret-in-build-arg and secret-in-history findings
// name) read "<redacted>" wherever a report would show them: the config's
// Env, Entrypoint and Cmd, and every step's recorded command. The copy
// records those findings (Redacted), so Findings still reports them. img
// is not changed; the copy shares what Redact leaves alone (filesystem,
// layers, captured bodies). Redacting a redacted image returns it.
func Redact(img *model.Image) *model.Image {
	if img.Redacted != nil {
		return img
	}
	values := map[string]bool{}
	found := secretsInConfig(img, values)
	out := *img
	out.Redacted = &model.Redaction{Findings: found}
	redactValues(&out, values)
	return &out
}

// SecretValues returns the credential-like values Redact takes out of
// img's config and history, longest first: for what keeps img's config
// outside the analysis (a snapshot) to take them out too.
func SecretValues(img *model.Image) []string {
	values := map[string]bool{}
	secretsInConfig(img, values)
	return sortedValues(values)
}

// sortedValues lists the non-empty values longest first, so that a value
// containing another is replaced whole.
func sortedValues(values map[string]bool) []string {
	vs := make([]string, 0, len(values))
	for v := range values {
		if v != "" {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(a, b int) bool { return len(vs[a]) > len(vs[b]) || len(vs[a]) == len(vs[b]) && vs[a] < vs[b] })
	return vs
}

// Replacer replaces each value with the redaction marker.
func Replacer(values []string) *strings.Replacer {
	args := make([]string, 0, 2*len(values))
	for _, v := range values {
		args = append(args, v, redacted)
	}
	return strings.NewReplacer(args...)
}

// configSecrets returns the credential findings of img's config and
// history: the ones Redact recorded, else found now.
func configSecrets(img *model.Image) []model.Finding {
	if img.Redacted != nil {
		out := slices.Clone(img.Redacted.Findings)
		for i := range out {
			out[i].Related = slices.Clone(out[i].Related)
		}
		return out
	}
	return secretsInConfig(img, map[string]bool{})
}

// redactValues replaces values wherever the image would show them. Slices
// are copied first: img is a copy that shares them with the original.
func redactValues(img *model.Image, values map[string]bool) {
	if len(values) == 0 {
		return
	}
	r := Replacer(sortedValues(values))
	redactAll := func(ss []string) []string {
		out := slices.Clone(ss)
		for i := range out {
			out[i] = r.Replace(out[i])
		}
		return out
	}
	img.Config.Env = redactAll(img.Config.Env)
	img.Config.Entrypoint = redactAll(img.Config.Entrypoint)
	img.Config.Cmd = redactAll(img.Config.Cmd)
	img.Steps = slices.Clone(img.Steps)
	for i := range img.Steps {
		s := &img.Steps[i]
		s.CreatedBy = r.Replace(s.CreatedBy)
		s.Instruction.Args = r.Replace(s.Instruction.Args)
	}
}
