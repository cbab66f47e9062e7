package reporttest

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Command is a workflow command read back with the runner's rules.
type Command struct {
	Command string
	Props   map[string]string
	Message string
}

// unescapeData and unescapeProperty undo actions/toolkit command.ts's
// escapeData and escapeProperty (%25 last, so "%253A" stays "%3A").
func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}

func unescapeProperty(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

// ParseCommand reads one workflow command line back as the runner does.
func ParseCommand(t testing.TB, line string) Command {
	t.Helper()
	rest, ok := strings.CutPrefix(line, "::")
	if !ok {
		t.Fatalf("not a command: %q", line)
	}
	head, msg, ok := strings.Cut(rest, "::")
	if !ok {
		t.Fatalf("no message separator: %q", line)
	}
	cmd, props, _ := strings.Cut(head, " ")
	p := Command{Command: cmd, Props: map[string]string{}, Message: unescapeData(msg)}
	if props != "" {
		for _, kv := range strings.Split(props, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("property %q in %q", kv, line)
			}
			p.Props[k] = unescapeProperty(v)
		}
	}
	return p
}

// testdata/sarif/sarif-schema-2.1.0.json is the OASIS schema, from
// oasis-tcs/sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json
// (commit a560296ca8c921f3bdb8d4a8db57ab83dae968a7).
//
// sarifSchema compiles it, found beside this file (report/testdata).
func sarifSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(here), "..", "testdata", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ValidateSARIF checks data against the SARIF 2.1.0 schema; the error says
// where it does not hold.
func ValidateSARIF(t testing.TB, data []byte) error {
	t.Helper()
	s := sarifSchema(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}
