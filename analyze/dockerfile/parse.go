package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Lines is an inclusive range of 1-based line numbers in a Dockerfile.
type Lines struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// String renders the range as "4" or "4-6".
func (l Lines) String() string {
	if l.End <= l.Start {
		return strconv.Itoa(l.Start)
	}
	return fmt.Sprintf("%d-%d", l.Start, l.End)
}

// Instruction is one instruction of a stage, as BuildKit's parser read it.
type Instruction struct {
	// Keyword is the upper-case instruction name (RUN, COPY, ...).
	Keyword string
	// Lines is where the instruction is, continuation lines and heredoc
	// bodies included.
	Lines Lines
	// Text is the instruction as written, continuation lines joined.
	Text string
	// Command is BuildKit's parsed form (*instructions.RunCommand, ...).
	Command instructions.Command
}

// Stage is one FROM block.
type Stage struct {
	// Name is the stage's AS name, or "" when it has none.
	Name string
	// Index is the stage's position in the file, from 0.
	Index int
	// From is the FROM line's range.
	From Lines
	// BaseName is the FROM argument with the global ARGs expanded.
	BaseName string
	// Parent is the index of the earlier stage this one is built FROM, or
	// -1 when it starts from an image (or scratch).
	Parent int
	// Platform is the FROM --platform value as written.
	Platform string
	// Instructions are the stage's instructions after FROM, in order.
	Instructions []Instruction
}

// Label names the stage the way reports show it: its name, else "stage N".
func (s *Stage) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return "stage " + strconv.Itoa(s.Index)
}

// File is a parsed Dockerfile.
type File struct {
	// Path is the name given to Parse, carried into every mapping.
	Path string
	// Stages are the FROM blocks in file order.
	Stages []Stage
	// MetaArgs are the ARGs declared before the first FROM with their
	// default values ("" when none).
	MetaArgs []Arg
	// EscapeToken is the escape character (\ unless a directive changes it).
	EscapeToken rune
	lines       []string
}

// Arg is a build argument with its value, and whether it has one.
type Arg struct {
	Key      string
	Value    string
	HasValue bool
}

// ErrNoStage is returned for a Dockerfile without FROM.
var ErrNoStage = errors.New("no FROM instruction")

// Parse parses a Dockerfile with BuildKit's parser. path is only recorded.
func Parse(path string, data []byte) (*File, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("parse %s: %w", path, ErrNoStage)
	}
	f := &File{Path: path, EscapeToken: res.EscapeToken, lines: strings.Split(string(data), "\n")}
	for _, ma := range metaArgs {
		for _, kv := range ma.Args {
			a := Arg{Key: kv.Key}
			if kv.Value != nil {
				a.Value, a.HasValue = *kv.Value, true
			}
			f.MetaArgs = append(f.MetaArgs, a)
		}
	}
	for i := range stages {
		st := &stages[i]
		s := Stage{Name: st.Name, Index: i, From: rangeOf(st.Location), Parent: -1, Platform: st.Platform}
		for _, c := range st.Commands {
			if run, ok := c.(*instructions.RunCommand); ok {
				// Parse the --mount flags (BuildKit defers it to expansion).
				if err := run.Expand(func(w string) (string, error) { return w, nil }); err != nil {
					return nil, fmt.Errorf("parse %s: line %d: %w", path, rangeOf(c.Location()).Start, err)
				}
			}
			s.Instructions = append(s.Instructions, Instruction{
				Keyword: strings.ToUpper(c.Name()),
				Lines:   rangeOf(c.Location()),
				Text:    commandText(c),
				Command: c,
			})
		}
		f.Stages = append(f.Stages, s)
	}
	f.resolveBases(nil)
	return f, nil
}

// resolveBases expands each FROM with the global ARGs (overridden by
// buildArgs) and links stages built FROM an earlier stage.
func (f *File) resolveBases(buildArgs map[string]string) {
	env := map[string]string{}
	for _, a := range f.MetaArgs {
		if v, ok := buildArgs[a.Key]; ok {
			env[a.Key] = v
		} else if a.HasValue {
			env[a.Key] = f.expand(a.Value, env)
		}
	}
	for i := range f.Stages {
		s := &f.Stages[i]
		s.Parent = -1
		raw := ""
		if stageRaw, ok := fromArgument(f, s); ok {
			raw = stageRaw
		}
		s.BaseName = f.expand(raw, env)
		for j := 0; j < i; j++ {
			if p := &f.Stages[j]; (p.Name != "" && strings.EqualFold(p.Name, s.BaseName)) || s.BaseName == strconv.Itoa(j) {
				s.Parent = j
			}
		}
	}
}

// fromArgument returns the image argument of the stage's FROM as written.
func fromArgument(f *File, s *Stage) (string, bool) {
	text := f.text(s.From)
	fields := strings.Fields(text)
	for i := 1; i < len(fields); i++ {
		if strings.HasPrefix(fields[i], "--") {
			continue
		}
		return fields[i], true
	}
	return "", false
}

func (f *File) expand(word string, env map[string]string) string {
	if !strings.ContainsAny(word, "$") {
		return word
	}
	out, _, err := shell.NewLex(f.EscapeToken).ProcessWord(word, envGetter(env))
	if err != nil {
		return word
	}
	return out
}

// text returns the source lines of r joined by newlines.
func (f *File) text(r Lines) string {
	if r.Start < 1 || r.End > len(f.lines) || r.End < r.Start {
		return ""
	}
	return strings.Join(f.lines[r.Start-1:r.End], "\n")
}

// Stage returns the stage named name (case-insensitive) or with that
// index; "" is the last stage.
func (f *File) Stage(name string) (*Stage, error) {
	if name == "" {
		return &f.Stages[len(f.Stages)-1], nil
	}
	for i := range f.Stages {
		if strings.EqualFold(f.Stages[i].Name, name) {
			return &f.Stages[i], nil
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < len(f.Stages) {
		return &f.Stages[n], nil
	}
	return nil, fmt.Errorf("target %q: %w", name, ErrNoSuchStage)
}

// ErrNoSuchStage is returned for a --target naming no stage.
var ErrNoSuchStage = errors.New("no such stage")

// Chain returns the stages the target is built from, root first: the
// target, the stage it is FROM, and so on back to the one FROM an image.
func (f *File) Chain(target *Stage) []*Stage {
	var chain []*Stage
	seen := map[int]bool{}
	for s := target; s != nil && !seen[s.Index]; {
		seen[s.Index] = true
		chain = append([]*Stage{s}, chain...)
		if s.Parent < 0 {
			break
		}
		s = &f.Stages[s.Parent]
	}
	return chain
}

func rangeOf(loc []parser.Range) Lines {
	if len(loc) == 0 {
		return Lines{}
	}
	r := Lines{Start: loc[0].Start.Line, End: loc[0].End.Line}
	for _, l := range loc {
		if l.Start.Line < r.Start {
			r.Start = l.Start.Line
		}
		if l.End.Line > r.End {
			r.End = l.End.Line
		}
	}
	return r
}

func commandText(c instructions.Command) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return c.Name()
}

// envGetter adapts a map to BuildKit's shell.EnvGetter.
type envGetter map[string]string

func (e envGetter) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envGetter) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	return keys
}

// Snippet returns the source text of lines r, for fingerprints and
// quotes; "" when r is outside the file.
func (f *File) Snippet(r Lines) string {
	return f.text(r)
}
