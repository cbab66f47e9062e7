package dockerfile

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Kind says what a history entry was mapped to.
type Kind string

// The kinds of mapped entries.
const (
	// KindUnmapped: nothing is known (the Dockerfile stopped matching, or
	// the entry is not in it).
	KindUnmapped Kind = ""
	// KindBase: the entry comes from the base image; Lines is the FROM
	// line of the stage chain's root.
	KindBase Kind = "base"
	// KindInstruction: the entry was written by the instruction at Lines.
	KindInstruction Kind = "instruction"
	// KindExporter: BuildKit's image exporter added the entry for a layer
	// no instruction accounted for.
	KindExporter Kind = "exporter"
)

// EntryMapping is where one history entry comes from.
type EntryMapping struct {
	// Index is the entry's position in the image history.
	Index int  `json:"index"`
	Kind  Kind `json:"kind,omitempty"`
	// File is the Dockerfile path (as given to Parse), "" when unmapped.
	File  string `json:"file,omitempty"`
	Lines Lines  `json:"lines"`
	// Stage is the stage's name, or "stage N" for an unnamed stage.
	Stage string `json:"stage,omitempty"`
	// Keyword is the instruction (RUN, COPY, ...), "FROM" for base entries.
	Keyword string `json:"keyword,omitempty"`
	// BuildArgs are the build-arg values the entry records (RUN only).
	BuildArgs []Arg `json:"build_args,omitempty"`
}

// Mapped reports whether the entry points at a Dockerfile line.
func (e EntryMapping) Mapped() bool { return e.Kind == KindBase || e.Kind == KindInstruction }

// Location renders "Dockerfile:4-6 (build)", or "" when unmapped.
func (e EntryMapping) Location() string {
	if !e.Mapped() {
		return ""
	}
	s := e.File + ":" + e.Lines.String()
	if e.Stage != "" {
		s += " (" + e.Stage + ")"
	}
	return s
}

// Warning is a problem found while mapping, with the Dockerfile line and
// history entry it concerns (0 and -1 when none).
type Warning struct {
	Line    int    `json:"line,omitempty"`
	Entry   int    `json:"entry"`
	Message string `json:"message"`
}

func (w Warning) String() string { return w.Message }

// Mapping maps an image history onto a Dockerfile.
type Mapping struct {
	// Source says where the mapping came from: "dockerfile" or "provenance".
	Source string `json:"source"`
	File   string `json:"file"`
	// Target is the label of the stage the image was matched against.
	Target  string  `json:"target"`
	Builder Builder `json:"builder,omitempty"`
	// Entries has one element per history entry, in history order.
	Entries  []EntryMapping `json:"entries"`
	Warnings []Warning      `json:"warnings,omitempty"`
	// Mapped counts entries mapped to a line (base entries included);
	// Total counts the entries that should be (exporter entries excluded).
	Mapped int `json:"mapped"`
	Total  int `json:"total"`
}

// MatchRate is Mapped/Total, 1 for an empty history.
func (m *Mapping) MatchRate() float64 {
	if m.Total == 0 {
		return 1
	}
	return float64(m.Mapped) / float64(m.Total)
}

// Options tune Map.
type Options struct {
	// Target is the stage that was built (name or index); "" is the last.
	Target string
	// BuildArgs are --build-arg values known from outside the image. Values
	// the history records win over ARG defaults without them.
	BuildArgs map[string]string
}

// Map maps every history entry of an image to the instruction that wrote
// it. Entries before the stage chain's first instruction are the base
// image's. When the Dockerfile stops matching the history, Map warns with
// the first mismatch and maps nothing after it. The error is only for a
// Target that names no stage.
func (f *File) Map(hist []Entry, opts Options) (*Mapping, error) {
	target, err := f.Stage(opts.Target)
	if err != nil {
		return nil, err
	}
	m := f.mapTarget(hist, target, opts)
	if m.Mapped < m.Total {
		for i := range f.Stages {
			s := &f.Stages[i]
			if s == target {
				continue
			}
			if alt := f.mapTarget(hist, s, opts); alt.Total > 0 && alt.Mapped == alt.Total && len(alt.Warnings) == 0 {
				m.Warnings = append(m.Warnings, Warning{Entry: -1, Line: s.From.Start,
					Message: fmt.Sprintf("the image matches target %q (FROM at %s:%d) fully: was it built with --target %s?", s.Label(), f.Path, s.From.Start, s.Label())})
				break
			}
		}
	}
	return m, nil
}

// expectation is one chain instruction with its stage.
type expectation struct {
	stage *Stage
	in    *Instruction
}

func (f *File) mapTarget(hist []Entry, target *Stage, opts Options) *Mapping {
	chain := f.Chain(target)
	var exp []expectation
	for _, s := range chain {
		for i := range s.Instructions {
			exp = append(exp, expectation{stage: s, in: &s.Instructions[i]})
		}
	}
	rec := make([]recorded, len(hist))
	var pos []int // indices of entries that are not the exporter's
	m := &Mapping{Source: "dockerfile", File: f.Path, Target: target.Label(), Entries: make([]EntryMapping, len(hist))}
	for i, e := range hist {
		m.Entries[i].Index = i
		if e.Comment == commentExporter {
			m.Entries[i].Kind = KindExporter
			continue
		}
		rec[i] = parseEntry(e)
		pos = append(pos, i)
	}
	m.Total = len(pos)
	buildArgs := f.harvestBuildArgs(rec, opts.BuildArgs)

	h, n := len(pos), len(exp)
	bestB, bestL := -1, -1
	var bestArgs [][]Arg
	b0 := h - n
	try := func(b int) {
		l, args := f.align(rec, pos, b, exp, buildArgs)
		better := l > bestL || (l == bestL && abs(b-b0) < abs(bestB-b0))
		if better {
			bestB, bestL, bestArgs = b, l, args
		}
	}
	if b0 >= 0 {
		try(b0)
	}
	if bestL < n {
		for b := 0; b <= h; b++ {
			try(b)
		}
	}
	root := chain[0]
	if bestL <= 0 && n > 0 {
		first := exp[0].in
		m.Warnings = append(m.Warnings, Warning{Entry: -1, Line: first.Lines.Start,
			Message: fmt.Sprintf("%s does not match the image: no history entry matches %s:%d %s; nothing mapped", f.Path, f.Path, first.Lines.Start, short(first.Text))})
		return m
	}
	for _, i := range pos[:bestB] {
		m.Entries[i] = EntryMapping{Index: i, Kind: KindBase, File: f.Path, Lines: root.From, Stage: root.Label(), Keyword: "FROM"}
	}
	builders := map[Builder]int{}
	for k := 0; k < bestL; k++ {
		i := pos[bestB+k]
		e := exp[k]
		m.Entries[i] = EntryMapping{Index: i, Kind: KindInstruction, File: f.Path, Lines: e.in.Lines,
			Stage: e.stage.Label(), Keyword: e.in.Keyword, BuildArgs: bestArgs[k]}
		builders[rec[i].builder]++
	}
	m.Mapped = bestB + bestL
	if builders[BuilderBuildKit] >= builders[BuilderLegacy] && builders[BuilderBuildKit] > 0 {
		m.Builder = BuilderBuildKit
	} else if builders[BuilderLegacy] > 0 {
		m.Builder = BuilderLegacy
	}
	switch {
	case bestL < n:
		in := exp[bestL].in
		msg := fmt.Sprintf("%s does not match the image from %s:%d (%s)", f.Path, f.Path, in.Lines.Start, short(in.Text))
		entry := -1
		if bestB+bestL < h {
			entry = pos[bestB+bestL]
			msg += fmt.Sprintf(": history entry %d is %q", entry, short(hist[entry].CreatedBy))
		} else {
			msg += ": the image history ends before it"
		}
		msg += "; nothing mapped from there on (was the Dockerfile edited after the build, or another target built?)"
		m.Warnings = append(m.Warnings, Warning{Entry: entry, Line: in.Lines.Start, Message: msg})
	case bestB+bestL < h:
		entry := pos[bestB+bestL]
		m.Warnings = append(m.Warnings, Warning{Entry: entry, Line: exp[n-1].in.Lines.End,
			Message: fmt.Sprintf("history entries from %d on (%q) are not in %s: left unmapped", entry, short(hist[entry].CreatedBy), f.Path)})
	}
	return m
}

// harvestBuildArgs collects the build-arg values RUN entries record, over
// the values given from outside.
func (f *File) harvestBuildArgs(rec []recorded, given map[string]string) map[string]string {
	out := map[string]string{}
	for _, r := range rec {
		if r.keyword != "RUN" || !strings.HasPrefix(r.body, "|") {
			continue
		}
		count, rest, _ := strings.Cut(r.body[1:], " ")
		n, err := strconv.Atoi(count)
		if err != nil {
			continue
		}
		toks := strings.SplitN(rest, " ", n+1)
		for i := 0; i < n && i < len(toks); i++ {
			if k, v, ok := strings.Cut(toks[i], "="); ok && validArgName(k) {
				out[k] = v
			}
		}
	}
	for k, v := range given {
		out[k] = v
	}
	return out
}

// state is what the builder knows while it walks the chain.
type state struct {
	env   map[string]string
	known map[string]bool
	shell []string
	wd    string
}

// align counts how many expectations match the entries pos[b:], in order,
// and returns the build args each matched entry records.
func (f *File) align(rec []recorded, pos []int, b int, exp []expectation, buildArgs map[string]string) (int, [][]Arg) {
	st := &state{env: map[string]string{}, known: map[string]bool{}, shell: []string{"/bin/sh", "-c"}, wd: ""}
	global := map[string]Arg{}
	for _, a := range f.MetaArgs {
		v := a
		if bv, ok := buildArgs[a.Key]; ok {
			v.Value, v.HasValue = bv, true
		}
		global[a.Key] = v
		st.known[a.Key] = true
	}
	var args [][]Arg
	var stage *Stage
	for k, e := range exp {
		if e.stage != stage {
			stage = e.stage
			// A stage FROM an image starts from its config; from a stage,
			// it inherits env, shell and workdir (BuildKit keeps them).
			if stage.Parent < 0 {
				st.env, st.shell, st.wd = map[string]string{}, []string{"/bin/sh", "-c"}, ""
			}
		}
		if b+k >= len(pos) {
			return k, args
		}
		r := rec[pos[b+k]]
		ok, a := f.matches(e.in, r, st)
		if !ok {
			return k, args
		}
		args = append(args, a)
		f.apply(e.in, r, st, global, buildArgs)
	}
	return len(exp), args
}

// matches reports whether recorded entry r can have been written by in.
func (f *File) matches(in *Instruction, r recorded, st *state) (bool, []Arg) {
	if r.keyword != in.Keyword {
		return false, nil
	}
	x := func(s string) string { return f.expand(s, st.env) }
	switch c := in.Command.(type) {
	case *instructions.RunCommand:
		return matchRun(c, r.body, st)
	case *instructions.CopyCommand:
		return matchCopy(r, x, c.SourcesAndDest, c.Parents, c.Chown, c.Chmod), nil
	case *instructions.AddCommand:
		return matchCopy(r, x, c.SourcesAndDest, false, c.Chown, c.Chmod), nil
	case *instructions.WorkdirCommand:
		p := x(c.Path)
		if path.IsAbs(p) {
			return r.body == path.Clean(p), nil
		}
		if st.wd != "" {
			return r.body == path.Join(st.wd, p), nil
		}
		return r.body == path.Join("/", p) || strings.HasSuffix(r.body, "/"+path.Clean(p)), nil
	case *instructions.EnvCommand:
		return matchPairs(r.body, c.Env, x), nil
	case *instructions.LabelCommand:
		for _, kv := range c.Labels {
			if !strings.Contains(r.body, x(kv.Key)+"=") {
				return false, nil
			}
		}
		return true, nil
	case *instructions.ArgCommand:
		fields := strings.Fields(r.body)
		if len(fields) < len(c.Args) {
			return false, nil
		}
		for i, kv := range c.Args {
			if k, _, _ := strings.Cut(fields[i], "="); k != kv.Key {
				return false, nil
			}
		}
		return true, nil
	case *instructions.CmdCommand:
		return r.body == execString(c.ShellDependantCmdLine, st.shell), nil
	case *instructions.EntrypointCommand:
		return r.body == execString(c.ShellDependantCmdLine, st.shell), nil
	case *instructions.UserCommand:
		return r.body == x(c.User), nil
	case *instructions.ExposeCommand:
		for _, p := range c.Ports {
			num, _, _ := strings.Cut(x(p), "/")
			if !strings.Contains(r.body, num) {
				return false, nil
			}
		}
		return true, nil
	}
	return true, nil
}

// apply updates the walk's state after in matched r.
func (f *File) apply(in *Instruction, r recorded, st *state, global map[string]Arg, buildArgs map[string]string) {
	switch c := in.Command.(type) {
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			st.known[kv.Key] = true
			switch {
			case buildArgs[kv.Key] != "":
				st.env[kv.Key] = buildArgs[kv.Key]
			case kv.Value != nil:
				st.env[kv.Key] = f.expand(*kv.Value, st.env)
			default:
				if g, ok := global[kv.Key]; ok && g.HasValue {
					st.env[kv.Key] = g.Value
				}
			}
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			st.env[kv.Key] = f.expand(kv.Value, st.env)
		}
	case *instructions.WorkdirCommand:
		st.wd = r.body
	case *instructions.ShellCommand:
		st.shell = append([]string(nil), c.Shell...)
	}
}

// runCommand is the command text a builder records for a RUN, after the
// build args and shell: BuildKit's dispatchRun rules for heredocs.
func runCommand(c *instructions.RunCommand) string {
	args := c.CmdLine
	if len(c.Files) > 0 && len(args) == 1 && c.PrependShell {
		if hd := parser.MustParseHeredoc(args[0]); hd != nil {
			data := c.Files[0].Data
			if strings.HasPrefix(data, "#!") {
				return path.Join("/dev/pipes/", c.Files[0].Name)
			}
			if c.Files[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			return data
		}
		full := args[0]
		for _, file := range c.Files {
			full += "\n" + file.Data + file.Name
		}
		return full
	}
	return strings.Join(args, " ")
}

func matchRun(c *instructions.RunCommand, body string, st *state) (bool, []Arg) {
	cmd := runCommand(c)
	if c.PrependShell {
		cmd = strings.Join(st.shell, " ") + " " + cmd
	}
	head, ok := strings.CutSuffix(body, cmd)
	if !ok || (head != "" && !strings.HasSuffix(head, " ")) {
		return false, nil
	}
	args, ok := splitBuildArgs(head, st.known)
	return ok, args
}

func matchCopy(r recorded, x func(string) string, sd instructions.SourcesAndDest, parents bool, chown, chmod string) bool {
	dest := x(sd.DestPath)
	if r.builder == BuilderLegacy {
		// "file:<sha> in /dest": the sources are hashed.
		return strings.HasSuffix(strings.TrimSpace(r.body), " in "+dest)
	}
	var parts []string
	if parents {
		parts = append(parts, "--parents")
	}
	if chown != "" {
		parts = append(parts, "--chown="+x(chown))
	}
	if chmod != "" {
		parts = append(parts, "--chmod="+x(chmod))
	}
	for _, s := range sd.SourcePaths {
		parts = append(parts, x(s))
	}
	for _, s := range sd.SourceContents {
		parts = append(parts, "<<"+s.Path)
	}
	parts = append(parts, dest)
	return r.body == strings.Join(parts, " ")
}

func matchPairs(body string, kvs instructions.KeyValuePairs, x func(string) string) bool {
	var want []string
	exact := true
	for _, kv := range kvs {
		want = append(want, kv.Key+"="+x(kv.Value))
		if strings.Contains(kv.Value, "$") {
			exact = false
		}
	}
	if body == strings.Join(want, " ") {
		return true
	}
	if exact {
		return false
	}
	for _, kv := range kvs {
		if !strings.Contains(body, kv.Key+"=") {
			return false
		}
	}
	return true
}

// execString renders CMD/ENTRYPOINT the way both builders record them:
// Go's %q of the argv, the shell prepended for the shell form.
func execString(c instructions.ShellDependantCmdLine, sh []string) string {
	args := c.CmdLine
	if c.PrependShell {
		args = append(append([]string(nil), sh...), strings.Join(args, " "))
	}
	return fmt.Sprintf("%q", args)
}

func short(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return s
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
