package analyze

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// TestWastedBytesFindings: a directory whiteout wastes its whole subtree,
// an opaque directory hides what lower layers put in it, a file deleted
// while a hard link to it survives wastes nothing, and each hiding step
// gets one finding naming the steps that wrote the bytes.
func TestWastedBytesFindings(t *testing.T) {
	build := testLayer([]index.Entry{
		dir("src"), reg("src/a.c", 3000), dir("src/lib"), reg("src/lib/b.c", 2000), reg("src/lib/c.h", 500),
		dir("cache"), reg("cache/x.bin", 7000),
		reg("data", 4000), hard("data-link", "data"),
	}, nil, nil)
	more := testLayer([]index.Entry{reg("cache/y.bin", 1000)}, nil, nil)
	clean := testLayer([]index.Entry{dir("cache"), reg("cache/z.bin", 10)}, []string{"src", "data"}, []string{"cache"})
	hist := []v1.History{
		{CreatedBy: "COPY . /src # buildkit"},                                                   // 0
		{CreatedBy: "RUN /bin/sh -c make cache # buildkit"},                                     // 1
		{CreatedBy: "RUN /bin/sh -c rm -rf /src /data /cache && touch /cache/z.bin # buildkit"}, // 2
	}
	img, err := Build(testImage(hist, build, more, clean))
	if err != nil {
		t.Fatal(err)
	}
	c := Classify(img, nil)
	var got []model.Finding
	for _, f := range c.Findings {
		if f.ID == hygiene.FindingWasted {
			got = append(got, f)
		}
	}
	// src's subtree (5,500) and cache's lower content (7,000 + 1,000);
	// data's 4,000 bytes live on in data-link.
	const want = 3000 + 2000 + 500 + 7000 + 1000
	if len(got) != 1 || got[0].Step != 2 || got[0].Bytes != want || got[0].Path != "cache/x.bin" ||
		len(got[0].Related) != 2 || got[0].Related[0] != 0 || got[0].Related[1] != 1 {
		t.Errorf("wasted findings %+v, want one at step 2 of %d bytes written by steps 0 and 1", got, want)
	}
	if img.Wasted != want {
		t.Errorf("image wasted %d, want %d", img.Wasted, want)
	}
}
