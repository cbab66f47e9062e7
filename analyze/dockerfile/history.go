package dockerfile

import (
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Entry is the part of an image config history entry the mapping reads.
type Entry struct {
	CreatedBy  string
	Comment    string
	EmptyLayer bool
}

// EntriesFromHistory converts go-containerregistry's history entries.
func EntriesFromHistory(h []v1.History) []Entry {
	out := make([]Entry, len(h))
	for i, e := range h {
		out[i] = Entry{CreatedBy: e.CreatedBy, Comment: e.Comment, EmptyLayer: e.EmptyLayer}
	}
	return out
}

// Builder is the tool whose history format an entry is in.
type Builder string

// The history formats the mapping knows.
const (
	BuilderUnknown  Builder = ""
	BuilderBuildKit Builder = "buildkit"
	BuilderLegacy   Builder = "legacy"
)

// Comments BuildKit writes on the history entries it creates.
const (
	commentBuildKit = "buildkit.dockerfile.v0"
	commentExporter = "buildkit.exporter.image.v0"
)

// recorded is a history entry parsed into its builder's parts.
type recorded struct {
	builder Builder
	keyword string
	// body is what follows the keyword. For RUN it is everything after
	// "RUN " (BuildKit) or the whole created_by (legacy): the build-arg
	// prefix, the shell and the command.
	body string
}

func parseEntry(e Entry) recorded {
	s := e.CreatedBy
	if e.Comment == commentBuildKit || strings.HasSuffix(s, " # buildkit") {
		s = strings.TrimSuffix(s, " # buildkit")
		kw, rest, _ := strings.Cut(s, " ")
		return recorded{builder: BuilderBuildKit, keyword: strings.ToUpper(kw), body: rest}
	}
	if !strings.HasPrefix(s, "|") {
		if i := strings.Index(s, "#(nop) "); i >= 0 && isShellPrefix(strings.TrimSpace(s[:i])) {
			rest := strings.TrimSpace(s[i+len("#(nop) "):])
			kw, body, _ := strings.Cut(rest, " ")
			return recorded{builder: BuilderLegacy, keyword: strings.ToUpper(kw), body: strings.TrimSpace(body)}
		}
	}
	return recorded{builder: BuilderLegacy, keyword: "RUN", body: s}
}

// isShellPrefix reports whether s looks like a shell invocation
// ("/bin/sh -c", "cmd /S /C", ...).
func isShellPrefix(s string) bool {
	f := strings.Fields(s)
	if len(f) < 2 {
		return false
	}
	last := strings.ToLower(f[len(f)-1])
	return last == "-c" || last == "/c"
}

// splitBuildArgs parses the "|N K=v ..." prefix builders write before a
// RUN's command, once the caller has cut the shell and command off. known
// lists the argument names the Dockerfile declares: a token "X=..." opens a
// new pair only when X is one of them (or nothing is known), so a value
// holding spaces or " X=" stays whole. ok is false when the prefix is
// malformed or its count does not match.
func splitBuildArgs(head string, known map[string]bool) (args []Arg, ok bool) {
	head = strings.TrimSpace(head)
	if head == "" {
		return nil, true
	}
	if !strings.HasPrefix(head, "|") {
		return nil, false
	}
	count, rest, _ := strings.Cut(head[1:], " ")
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return nil, false
	}
	if n == 0 {
		return nil, strings.TrimSpace(rest) == ""
	}
	for _, t := range strings.Split(rest, " ") {
		key, val, isPair := strings.Cut(t, "=")
		if isPair && validArgName(key) && len(args) < n && (len(known) == 0 || known[key] || len(args) == 0) {
			args = append(args, Arg{Key: key, Value: val, HasValue: true})
			continue
		}
		if len(args) == 0 {
			return nil, false
		}
		args[len(args)-1].Value += " " + t
	}
	return args, len(args) == n
}

func validArgName(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
