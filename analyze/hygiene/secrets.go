package hygiene

import (
	"regexp"
	"slices"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// redacted replaces a credential-like value wherever imgdiff would show it.
const redacted = "<redacted>"

// tokenShape matches values whose shape alone says they are credentials,
// whatever the variable is called: provider tokens with a fixed prefix,
// AWS access key ids, JWTs, private keys and URLs with a password.
var tokenShape = regexp.MustCompile(`(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36}|AKIA[0-9A-Z]{16}|xox[abpr]-[A-Za-z0-9-]{10,}|[sr]k_live_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+|-----BEGIN [A-Z ]*PRIVATE KEY-----)|://[^/\s:@]+:([^/\s@]+)@`)

// tokenValues returns the credential-shaped parts of s: whole tokens, and
// only the password of a URL's user:password.
func tokenValues(s string) []string {
	var out []string
	for _, m := range tokenShape.FindAllStringSubmatch(s, -1) {
		if m[1] != "" {
			out = append(out, m[1])
		} else {
			out = append(out, m[2])
		}
	}
	return out
}

// secretWords are the name parts that say a variable holds a credential;
// secretPairs the two-part ones (API_KEY). A bare KEY is not enough: the
// official images set GPG_KEY to a public key's fingerprint.
var (
	secretWords = map[string]bool{"TOKEN": true, "SECRET": true, "PASSWORD": true, "PASSWD": true, "PASSPHRASE": true,
		"CREDENTIAL": true, "CREDENTIALS": true, "APIKEY": true, "AUTH": true, "AUTHTOKEN": true, "PRIVATEKEY": true}
	secretPairs = map[[2]string]bool{{"API", "KEY"}: true, {"ACCESS", "KEY"}: true, {"PRIVATE", "KEY"}: true,
		{"SECRET", "KEY"}: true, {"CLIENT", "SECRET"}: true, {"AUTH", "KEY"}: true}
)

func secretName(name string) bool {
	parts := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') })
	for i, p := range parts {
		if secretWords[p] || i > 0 && secretPairs[[2]string{parts[i-1], p}] {
			return true
		}
	}
	return false
}

// looksSecret reports whether name=value holds a credential: a value of a
// known token shape, or a credential-like name with a value that is not a
// path, a reference, a URL without a password or a placeholder.
func looksSecret(name, value string) bool {
	if tokenShape.MatchString(value) {
		return true
	}
	if !secretName(name) || len(value) < 8 || value == redacted {
		return false
	}
	switch {
	case strings.HasPrefix(value, "/"), strings.HasPrefix(value, "$"), strings.HasPrefix(value, "http://"), strings.HasPrefix(value, "https://"):
		return false
	}
	switch strings.ToLower(value) {
	case "changeme", "required", "optional", "password", "disabled", "<secret>", "xxxxxxxx":
		return false
	}
	return true
}

// envPairs splits ENV or ARG arguments into name/value pairs: "A=b C=d" (BuildKit
// and the legacy builder) or the old "A b c" form.
func envPairs(args string) [][2]string {
	args = strings.TrimSpace(args)
	first, rest, _ := strings.Cut(args, " ")
	if !strings.Contains(first, "=") {
		if first == "" {
			return nil
		}
		return [][2]string{{first, strings.TrimSpace(rest)}} // ENV A b c
	}
	var out [][2]string
	for _, kv := range strings.Fields(args) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		out = append(out, [2]string{k, strings.Trim(v, `"'`)})
	}
	return out
}

// buildArgPairs returns the build args a RUN recorded in its history
// ("RUN |2 K=V K2=V2 /bin/sh -c ..." or the legacy "|2 K=V ..."), if any.
func buildArgPairs(createdBy string) [][2]string {
	rest, ok := strings.CutPrefix(createdBy, "RUN ")
	if !ok {
		rest = createdBy
	}
	rest, ok = strings.CutPrefix(rest, "|")
	if !ok {
		return nil
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return nil
	}
	var out [][2]string
	for _, kv := range fields[1:] {
		k, v, found := strings.Cut(kv, "=")
		if !found {
			break
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

// secretsInConfig reports credential-like ENV values (in the config or in
// the history of ENV and ARG steps), build args recorded in the history,
// and token-shaped strings in any other step: one finding per variable,
// never with its value. values collects the raw values for redaction.
func secretsInConfig(img *model.Image, values map[string]bool) []model.Finding {
	var out []model.Finding
	envFinding := map[string]int{} // name -> index in out
	addEnv := func(name, value string, step int, field string) {
		values[value] = true
		if i, ok := envFinding[name]; ok {
			f := &out[i]
			if step > f.Step {
				if f.Step >= 0 {
					f.Related = append(f.Related, f.Step)
				}
				f.Step = step
			} else if step >= 0 && step != f.Step && !slices.Contains(f.Related, step) {
				f.Related = append(f.Related, step)
			}
			if f.Field == "" {
				f.Field = field
			}
			return
		}
		envFinding[name] = len(out)
		out = append(out, model.Finding{ID: FindingSecretEnv, Severity: model.Error, Step: step, Field: field,
			Title:  "credential-like ENV in the image: " + name + "=" + redacted,
			Detail: "anyone who pulls the image reads it with docker inspect or docker history; pass it at run time or use a BuildKit secret"})
	}
	for _, kv := range img.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		if looksSecret(k, v) {
			addEnv(k, v, envStep(img, k), "config.Env")
		}
	}
	argFinding := map[string]int{}
	for i, s := range img.Steps {
		switch s.Instruction.Name {
		case "ENV", "ARG":
			for _, kv := range envPairs(s.Instruction.Args) {
				if looksSecret(kv[0], kv[1]) {
					addEnv(kv[0], kv[1], i, "history.created_by")
				}
			}
			continue
		}
		pairs := buildArgPairs(s.CreatedBy)
		for _, kv := range pairs {
			if !looksSecret(kv[0], kv[1]) {
				continue
			}
			values[kv[1]] = true
			if j, ok := argFinding[kv[0]]; ok {
				out[j].Related = append(out[j].Related, i)
				continue
			}
			argFinding[kv[0]] = len(out)
			out = append(out, model.Finding{ID: FindingSecretArg, Severity: model.Error, Step: i,
				Title:  "credential-like build arg recorded in the history: " + kv[0] + "=" + redacted,
				Detail: "build args are stored in the image history; use `RUN --mount=type=secret` instead"})
		}
		// A token pasted into the command itself.
		if m := tokenValues(s.Instruction.Args); len(m) > 0 {
			for _, v := range m {
				values[v] = true
			}
			out = append(out, model.Finding{ID: FindingSecretHistory, Severity: model.Error, Step: i, Field: "history.created_by",
				Title:  "credential-shaped string in the command of this step",
				Detail: "the history keeps every step's command line; use `RUN --mount=type=secret`"})
		}
	}
	return out
}

// envStep is the last ENV step that sets name, or -1.
func envStep(img *model.Image, name string) int {
	for i := len(img.Steps) - 1; i >= 0; i-- {
		s := img.Steps[i]
		if s.Instruction.Name != "ENV" {
			continue
		}
		for _, kv := range envPairs(s.Instruction.Args) {
			if kv[0] == name {
				return i
			}
		}
	}
	return -1
}
