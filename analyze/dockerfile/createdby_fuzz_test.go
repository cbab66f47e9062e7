package dockerfile

import (
	"strings"
	"testing"
)

// FuzzParseCreatedBy: a history entry's created_by is whatever the image
// says. Whatever it holds, the instruction's keyword is empty or one of
// Dockerfile's, and its arguments are a piece of the input (parsing
// removes shells, build args and markers; it never makes text up).
func FuzzParseCreatedBy(f *testing.F) {
	for _, s := range []string{
		"/bin/sh -c #(nop)  COPY file:8f1c in /app ",
		"/bin/sh -c apt-get update && apt-get install -y gcc",
		"|2 A=1 B=2 /bin/sh -c make",
		"RUN /bin/sh -c apt-get update # buildkit",
		"RUN |1 TOKEN=x /bin/sh -c make # buildkit",
		"COPY /out/app /app # buildkit",
		"ENV A=b",
		"|99999999999999999999 x",
		"|3 a",
		"cmd /S /C dir",
		"/bin/sh -c #(nop) ",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := ParseCreatedBy(s)
		if in.Name != "" && !knownInstructions[in.Name] {
			t.Fatalf("ParseCreatedBy(%q) keyword %q is not a Dockerfile instruction", s, in.Name)
		}
		if !strings.Contains(s, in.Args) {
			t.Fatalf("ParseCreatedBy(%q) args %q are not from the input", s, in.Args)
		}
		// RUN is the one keyword a legacy shell line implies.
		if in.Name != "" && in.Name != "RUN" && !strings.Contains(s, in.Name) {
			t.Fatalf("ParseCreatedBy(%q) keyword %q is not in the input", s, in.Name)
		}
		if again := ParseCreatedBy(s); again != in {
			t.Fatalf("ParseCreatedBy(%q) is not deterministic", s)
		}
	})
}
