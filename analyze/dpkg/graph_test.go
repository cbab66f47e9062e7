package dpkg

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

func TestParseRelations(t *testing.T) {
	tests := []struct {
		field string
		want  []pkggraph.Dep
	}{
		{"libc6 (>= 2.34), libgcc-s1 (>= 3.0)", []pkggraph.Dep{
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "libc6", Op: ">=", Version: "2.34"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "libgcc-s1", Op: ">=", Version: "3.0"}}},
		}},
		// rustc's Recommends in bookworm: a package twice, with bounds.
		{"cargo (>= 0.64.0~~), cargo (<< 0.65.0~~), llvm-14", []pkggraph.Dep{
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "cargo", Op: ">=", Version: "0.64.0~~"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "cargo", Op: "<<", Version: "0.65.0~~"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "llvm-14"}}},
		}},
		// git: alternatives and a multi-arch qualifier.
		{"perl, liberror-perl, git-man (>> 1:2.39.2), libc6 (>= 2.34) | libc6.1", []pkggraph.Dep{
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "perl"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "liberror-perl"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "git-man", Op: ">>", Version: "1:2.39.2"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "libc6", Op: ">=", Version: "2.34"}, {Name: "libc6.1"}}},
		}},
		{"python3:any (>= 3.11~), nodejs:amd64", []pkggraph.Dep{
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "python3", Arch: "any", Op: ">=", Version: "3.11~"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "nodejs", Arch: "amd64"}}},
		}},
		// Source-package syntax: architecture lists and build profiles.
		{"libfoo-dev [amd64 arm64] <!nocheck>, bar (= 1) | baz [!i386]", []pkggraph.Dep{
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "libfoo-dev"}}},
			{Kind: pkggraph.Depends, Alternatives: []pkggraph.Relation{{Name: "bar", Op: "=", Version: "1"}, {Name: "baz"}}},
		}},
		{"", nil},
		{" , ", nil},
	}
	for _, tt := range tests {
		got := ParseRelations(pkggraph.Depends, tt.field)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseRelations(%q) (-want +got):\n%s", tt.field, diff)
		}
	}
}

func TestReadGraphMalformed(t *testing.T) {
	for _, body := range []string{"Package: a\n continuation\nthis is not a field\n", " leading continuation\n", "\x00\x01\x02binary"} {
		_, err := ReadGraph(map[string][]byte{Status: []byte(body)})
		if !errors.Is(err, pkggraph.ErrMalformed) || !strings.Contains(err.Error(), Status) {
			t.Errorf("ReadGraph(%q) error = %v, want ErrMalformed naming %s", body, err, Status)
		}
	}
	if g, err := ReadGraph(map[string][]byte{"etc/os-release": []byte("ID=debian")}); g != nil || err != nil {
		t.Errorf("ReadDpkg without a database = %v, %v; want nil, nil", g, err)
	}
}
