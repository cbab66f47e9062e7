// Command tosingle turns a multi-stage Dockerfile into its single-stage
// equivalent: the stage the final stage copies its files from (the build
// stage), followed by the final stage's own instructions, so that the final
// image is the build stage plus the final stage's configuration. It is the
// conversion testdata/realworld/run.sh applies to projects' Dockerfiles.
//
//	tosingle -f Dockerfile [-target STAGE] [-build STAGE] [-run-sub 'OLD=>NEW']... \
//	    [-base-entrypoint JSON] [-base-cmd JSON] [-base-user U] [-base-workdir DIR] > Dockerfile.single
//
// The final stage's instructions are kept as written except:
//   - COPY --from=BUILD SRC... DST becomes a RUN that copies SRC (absolute in
//     the build stage's filesystem) to DST as COPY would (directories by
//     content, several sources or a DST ending in / into DST);
//   - a RUN whose text contains OLD of a -run-sub is rewritten (a base the
//     final stage ran on, e.g. alpine's adduser, differs from the build's);
//     NEW empty drops it;
//   - the final stage's base image configuration the build stage does not
//     have is restated (-base-*: the harness reads it with docker inspect):
//     ENTRYPOINT and CMD as the original image ends up with them, WORKDIR,
//     USER (last).
//
// It prints "already single-stage" to stderr and exits 3 when the target
// copies from no other stage (its FROM chain is the whole build): then the
// target itself is the single-stage image.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

type stage struct {
	name, base string
	start, end int // line range (1-based, inclusive) of the stage
	nodes      []*parser.Node
}

type subs []string

func (s *subs) String() string     { return strings.Join(*s, ",") }
func (s *subs) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	file := flag.String("f", "Dockerfile", "the Dockerfile")
	target := flag.String("target", "", "the final stage (default: the last)")
	build := flag.String("build", "", "the build stage (default: the one stage the final stage copies from)")
	baseEP := flag.String("base-entrypoint", "", "the final stage's base image ENTRYPOINT, JSON")
	baseCmd := flag.String("base-cmd", "", "the final stage's base image CMD, JSON")
	baseUser := flag.String("base-user", "", "the final stage's base image USER")
	baseWD := flag.String("base-workdir", "", "the final stage's base image WORKDIR")
	var runSubs subs
	flag.Var(&runSubs, "run-sub", "OLD=>NEW: rewrite RUN text of the final stage (repeatable)")
	flag.Parse()
	if err := run(*file, *target, *build, *baseEP, *baseCmd, *baseUser, *baseWD, runSubs); err != nil {
		fmt.Fprintln(os.Stderr, "tosingle:", err)
		if err == errSingle {
			os.Exit(3)
		}
		os.Exit(2)
	}
}

var errSingle = fmt.Errorf("already single-stage")

func run(file, target, build, baseEP, baseCmd, baseUser, baseWD string, runSubs subs) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lines := strings.Split(string(src), "\n")
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var stages []*stage
	preEnd := 0
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			st := &stage{start: n.StartLine}
			args := nodeArgs(n)
			if len(args) > 0 {
				st.base = args[0]
			}
			if len(args) == 3 && strings.EqualFold(args[1], "as") {
				st.name = strings.ToLower(args[2])
			}
			if len(stages) > 0 {
				stages[len(stages)-1].end = n.StartLine - 1
			} else {
				preEnd = n.StartLine - 1
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].nodes = append(stages[len(stages)-1].nodes, n)
		}
	}
	if len(stages) == 0 {
		return fmt.Errorf("%s: no FROM", file)
	}
	stages[len(stages)-1].end = len(lines)
	find := func(ref string) int {
		for i, s := range stages {
			if s.name == strings.ToLower(ref) || fmt.Sprint(i) == ref {
				return i
			}
		}
		return -1
	}
	ti := len(stages) - 1
	if target != "" {
		if ti = find(target); ti < 0 {
			return fmt.Errorf("no stage %q", target)
		}
	}
	t := stages[ti]
	bi := -1
	if build != "" {
		if bi = find(build); bi < 0 {
			return fmt.Errorf("no stage %q", build)
		}
	} else {
		for _, n := range t.nodes {
			if from := flagValue(n, "from"); from != "" && strings.EqualFold(n.Value, "copy") {
				if i := find(from); i >= 0 && i != bi {
					if bi >= 0 {
						return fmt.Errorf("stage %q copies from several stages: name the build stage with -build", t.name)
					}
					bi = i
				}
			}
		}
	}
	if bi < 0 {
		return errSingle
	}
	b := stages[bi]
	var out strings.Builder
	emit := func(from, to int) {
		for i := from; i <= to && i <= len(lines); i++ {
			out.WriteString(lines[i-1])
			out.WriteByte('\n')
		}
	}
	out.WriteString("# Single-stage equivalent written by testdata/realworld/tosingle from " + path.Base(file) + ":\n")
	fmt.Fprintf(&out, "# stage %q (the build) followed by the final stage %q's instructions.\n", label(b, bi), label(t, ti))
	emit(1, preEnd)
	for i, s := range stages {
		if i != bi && i != ti && i < ti {
			emit(s.start, s.end)
		}
	}
	emit(b.start, trimEnd(lines, b.end))
	fmt.Fprintf(&out, "\n# --- the final stage %q (FROM %s), on the build stage ---\n", label(t, ti), t.base)
	hasEP, hasCmd, hasUser, hasWD := false, false, false, false
	for _, n := range t.nodes {
		switch strings.ToLower(n.Value) {
		case "entrypoint":
			hasEP = true
		case "cmd":
			hasCmd = true
		case "user":
			hasUser = true
		case "workdir":
			hasWD = true
		}
	}
	if baseWD != "" && !hasWD {
		fmt.Fprintf(&out, "WORKDIR %s\n", baseWD)
	}
	if !hasEP {
		// The original's ENTRYPOINT is its base's; the build stage's must not leak.
		fmt.Fprintf(&out, "ENTRYPOINT %s\n", orEmpty(baseEP))
	}
	for _, n := range t.nodes {
		text := strings.Join(lines[n.StartLine-1:n.EndLine], "\n")
		switch strings.ToLower(n.Value) {
		case "copy":
			if from := flagValue(n, "from"); from != "" && find(from) == bi {
				out.WriteString(copyRun(n) + "\n")
				continue
			}
		case "run":
			for _, s := range runSubs {
				old, nw, ok := strings.Cut(s, "=>")
				if ok && strings.Contains(text, old) {
					text = strings.ReplaceAll(text, old, nw)
				}
			}
			if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "RUN")) == "" {
				continue
			}
		}
		out.WriteString(text + "\n")
	}
	if !hasCmd {
		// ENTRYPOINT in the final stage resets the base's CMD; otherwise the base's CMD holds.
		c := baseCmd
		if hasEP {
			c = ""
		}
		fmt.Fprintf(&out, "CMD %s\n", orEmpty(c))
	}
	if baseUser != "" && !hasUser {
		fmt.Fprintf(&out, "USER %s\n", baseUser)
	}
	_, err = os.Stdout.WriteString(out.String())
	return err
}

func label(s *stage, i int) string {
	if s.name != "" {
		return s.name
	}
	return fmt.Sprint(i)
}

func orEmpty(j string) string {
	if j == "" || j == "null" {
		return "[]"
	}
	return j
}

// trimEnd drops the trailing blank and comment lines of a stage (they belong to the next).
func trimEnd(lines []string, end int) int {
	for end > 0 {
		l := strings.TrimSpace(lines[end-1])
		if l != "" && !strings.HasPrefix(l, "#") {
			break
		}
		end--
	}
	return end
}

func nodeArgs(n *parser.Node) []string {
	var a []string
	for x := n.Next; x != nil; x = x.Next {
		a = append(a, x.Value)
	}
	return a
}

func flagValue(n *parser.Node, name string) string {
	for _, f := range n.Flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// copyRun writes COPY --from=BUILD SRC... DST as a RUN with COPY's semantics.
func copyRun(n *parser.Node) string {
	args := nodeArgs(n) // the JSON form's elements too
	if len(args) < 2 {
		return "# (a COPY without sources)"
	}
	srcs, dst := args[:len(args)-1], args[len(args)-1]
	for i, s := range srcs {
		if !strings.HasPrefix(s, "/") {
			srcs[i] = "/" + s
		}
	}
	var post []string
	if v := flagValue(n, "chown"); v != "" {
		post = append(post, fmt.Sprintf(`chown -R %s "$t"`, shq(v)))
	}
	if v := flagValue(n, "chmod"); v != "" {
		post = append(post, fmt.Sprintf(`chmod -R %s "$t"`, shq(v)))
	}
	fix := ""
	if len(post) > 0 {
		fix = "; " + strings.Join(post, "; ")
	}
	return fmt.Sprintf(`RUN set -e; d=%s; set -- %s; for s in "$@"; do `+
		`if [ -d "$s" ]; then t="$d"; [ "$s" -ef "$t" ] || { mkdir -p "$t"; cp -a "$s"/. "$t"/; }; `+
		`elif [ $# -gt 1 ] || [ "${d%%/}" != "$d" ] || [ -d "$d" ]; then t="${d%%/}/${s##*/}"; [ "$s" -ef "$t" ] || { mkdir -p "$d"; cp -a "$s" "$t"; }; `+
		`else t="$d"; [ "$s" -ef "$t" ] || { mkdir -p "$(dirname "$d")"; cp -a "$s" "$t"; }; fi%s; done  # was: %s`,
		shq(dst), strings.Join(srcs, " "), fix, strings.ReplaceAll(n.Original, "\n", " "))
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
