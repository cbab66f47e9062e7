package pipeline

import (
	"testing"

	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/index"
)

// TestFileReplacesDirectoryInOneLayer: a layer that writes directory
// app/d with a file in it and then a regular file app/d ends, as Docker's
// extraction does (moby pkg/archive UnpackLayer: an existing path is
// removed, RemoveAll, unless both are directories), with app/d a file and
// app/d/f gone; and the reverse order (a file, then a directory of the same
// name with a child) ends with the directory.
func TestFileReplacesDirectoryInOneLayer(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []imagetest.Entry
		file    bool // app/d ends a regular file
	}{
		{"dir then file", []imagetest.Entry{{Path: "app/d", Type: imagetest.Dir}, {Path: "app/d/f", Size: 700}, {Path: "app/d", Size: 300}}, true},
		{"file then dir", []imagetest.Entry{{Path: "app/d", Size: 300}, {Path: "app/d", Type: imagetest.Dir}, {Path: "app/d/f", Size: 700}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := loadSpec(t, imagetest.Image{Layers: []imagetest.Layer{{Entries: c.entries, CreatedBy: "COPY . /app # buildkit"}}}, "docker-archive").Image.FS
			d, ok := fs.Lookup("app/d")
			if !ok {
				t.Fatal("app/d is missing")
			}
			_, child := fs.Lookup("app/d/f")
			if isFile := d.Kind == index.File; isFile != c.file || child == c.file {
				t.Errorf("app/d is a %s, app/d/f present %v; want a file %v and the child present %v", d.Kind, child, c.file, !c.file)
			}
		})
	}
}
