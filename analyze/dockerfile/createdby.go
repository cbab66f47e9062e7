package dockerfile

import (
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// knownInstructions are the Dockerfile keywords builders record.
var knownInstructions = map[string]bool{
	"ADD": true, "ARG": true, "CMD": true, "COPY": true, "ENTRYPOINT": true, "ENV": true,
	"EXPOSE": true, "HEALTHCHECK": true, "LABEL": true, "MAINTAINER": true, "ONBUILD": true,
	"RUN": true, "SHELL": true, "STOPSIGNAL": true, "USER": true, "VOLUME": true, "WORKDIR": true,
}

// ParseCreatedBy parses the created_by field of a history entry, in the
// forms the legacy builder and BuildKit write:
//
//	/bin/sh -c #(nop)  COPY file:8f1c… in /app      legacy, non-RUN
//	/bin/sh -c apt-get update                       legacy RUN
//	|2 A=1 B=2 /bin/sh -c make                      legacy RUN with build args
//	RUN /bin/sh -c apt-get update # buildkit        BuildKit RUN
//	RUN |1 A=1 /bin/sh -c make # buildkit           BuildKit RUN with build args
//	COPY /out/app /app # buildkit                   BuildKit COPY
//	ENV A=b                                         BuildKit metadata
//
// Anything else (docker import, kaniko, ko, nix, ...) keeps its text as Args
// with an empty Name.
func ParseCreatedBy(createdBy string) model.Instruction {
	s := strings.TrimSpace(createdBy)
	if s == "" {
		return model.Instruction{}
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, "# buildkit"))

	// BuildKit writes the keyword first.
	if kw, rest, ok := cutKeyword(s); ok {
		if kw == "RUN" {
			rest = stripShell(stripBuildArgs(rest))
		}
		return model.Instruction{Name: kw, Args: rest}
	}

	// Legacy builder: a shell command line, "#(nop)" for non-RUN steps.
	rest := stripBuildArgs(s)
	if sh, ok := cutShell(rest); ok {
		if nop, ok := strings.CutPrefix(sh, "#(nop)"); ok {
			nop = strings.TrimSpace(nop)
			if kw, args, ok := cutKeyword(nop); ok {
				return model.Instruction{Name: kw, Args: args}
			}
			return model.Instruction{Args: nop}
		}
		return model.Instruction{Name: "RUN", Args: sh}
	}
	return model.Instruction{Args: s}
}

func cutKeyword(s string) (kw, rest string, ok bool) {
	word, rest, _ := strings.Cut(s, " ")
	if !knownInstructions[word] {
		return "", "", false
	}
	return word, strings.TrimSpace(rest), true
}

// stripBuildArgs removes the "|N k=v ..." prefix builders add to RUN lines
// when build args are in scope.
func stripBuildArgs(s string) string {
	if !strings.HasPrefix(s, "|") {
		return s
	}
	count, rest, ok := strings.Cut(s[1:], " ")
	if !ok {
		return s
	}
	n := 0
	for _, c := range count {
		if c < '0' || c > '9' {
			return s
		}
		n = n*10 + int(c-'0')
	}
	for i := 0; i < n; i++ {
		// Values may not contain spaces unquoted in practice; a value
		// that does would leave part of itself in the command.
		_, rest, ok = strings.Cut(rest, " ")
		if !ok {
			return ""
		}
	}
	return strings.TrimSpace(rest)
}

var shells = []string{"/bin/sh -c ", "/bin/bash -c ", "/bin/ash -c ", "cmd /S /C ", "/bin/sh -o pipefail -c ", "/bin/bash -o pipefail -c "}

func cutShell(s string) (string, bool) {
	for _, sh := range shells {
		if rest, ok := strings.CutPrefix(s, sh); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return s, false
}

func stripShell(s string) string {
	rest, _ := cutShell(s)
	return rest
}
