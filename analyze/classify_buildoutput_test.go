package analyze

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// buildTreeRow is one file of testdata/buildtree/jq.txt.
type buildTreeRow struct {
	want model.Flag // Category and Rule only
	size int64
	path string
	head []byte
}

// readBuildTree reads testdata/buildtree/jq.txt: a build tree shaped
// like jq's /app after make check, each file with the flag it must get.
func readBuildTree(t *testing.T) []buildTreeRow {
	t.Helper()
	f, err := os.Open("testdata/buildtree/jq.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []buildTreeRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.SplitN(line, " ", 4)
		if len(fields) != 4 {
			t.Fatalf("jq.txt: %q", line)
		}
		size, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			t.Fatalf("jq.txt: %q: %v", line, err)
		}
		head, err := strconv.Unquote(fields[3])
		if err != nil || int64(len(head)) > size || len(head) > index.HeadSize {
			t.Fatalf("jq.txt: %q: %v (a head is at most the size and index.HeadSize)", line, err)
		}
		var want model.Flag
		if fields[0] != "-" {
			cat, rule, _ := strings.Cut(fields[0], "/")
			want = model.Flag{Category: model.Category(cat), Rule: rule}
		}
		rows = append(rows, buildTreeRow{want: want, size: size, path: fields[2], head: []byte(head)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// buildTreeLayer is the layer a single-stage build of jq.txt's tree
// leaves, with what the walk keeps of each file: its first
// index.HeadSize bytes when WantHead names it (rules.WantHead, through
// the pipeline), which jq.txt gives.
func buildTreeLayer(rows []buildTreeRow) *index.Layer {
	var entries []index.Entry
	contents := map[string][]byte{}
	for _, r := range rows {
		entries = append(entries, reg(r.path, r.size))
		contents[r.path] = r.head
	}
	l := testLayer(entries, nil, nil)
	l.Contents = contents
	return l
}

// TestBuildOutputFlagged: what a build leaves in its tree is flagged
// build-tool from its first bytes, by the rule jq.txt names, and the
// look-alikes (a hand-written Makefile, a text file named .o, a page
// named .a) are not; compare puts the build output's bytes in the
// build-tool term, not in other.
func TestBuildOutputFlagged(t *testing.T) {
	rows := readBuildTree(t)
	base := testLayer([]index.Entry{reg("usr/lib/x86_64-linux-gnu/libc.so.6", 1_900_000)}, nil, nil)
	single, err := Build(testImage([]v1.History{{CreatedBy: "ADD rootfs"}, {CreatedBy: "RUN autoreconf -i && ./configure && make && make check"}}, base, buildTreeLayer(rows)))
	if err != nil {
		t.Fatal(err)
	}
	c := Classify(single, nil)
	var want = map[model.Category]int64{}
	for _, r := range rows {
		got := flagOf(t, single, c, r.path)
		if got.Category != r.want.Category || got.Rule != r.want.Rule {
			t.Errorf("%s: %s/%s (%s), want %s/%s", r.path, got.Category, got.Rule, got.Evidence, r.want.Category, r.want.Rule)
		}
		want[r.want.Category] += r.size
	}

	// The project's own multi-stage image: the base and the binary,
	// with AUTHORS and COPYING, at the root (moved files, in no term).
	moved := map[string]bool{"app/jq": true, "app/AUTHORS": true, "app/COPYING": true}
	var final []index.Entry
	for _, r := range rows {
		if moved[r.path] {
			final = append(final, reg(index.Base(r.path), r.size))
			want[r.want.Category] -= r.size
		}
	}
	multi := testImage([]v1.History{{CreatedBy: "ADD rootfs"}, {CreatedBy: "COPY /app/jq /app/AUTHORS /app/COPYING / # buildkit"}}, base, testLayer(final, nil, nil))
	multi.Layers[0].Identity = single.Layers[0].Identity
	b, err := Build(multi)
	if err != nil {
		t.Fatal(err)
	}
	cmpn, err := Compare(single, b, c, Classify(b, nil), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[model.Category]int64{}
	for _, term := range cmpn.Decomposition.Terms {
		got[model.Category(term.Name)] = term.Bytes
	}
	for _, cat := range []model.Category{model.BuildTool, model.Source, model.Other} {
		w := want[cat]
		if cat == model.Other {
			w = want[""]
		}
		if got[cat] != w {
			t.Errorf("term %s: %d bytes, want %d", cat, got[cat], w)
		}
	}
	if got[model.BuildTool] < 8<<20 {
		t.Errorf("build-tool term %d bytes: the fixture's build output is over 8 MB", got[model.BuildTool])
	}
}
