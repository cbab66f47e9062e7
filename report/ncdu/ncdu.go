// Package ncdu writes the final filesystem of an analysed image in ncdu's
// JSON export format (https://dev.yorhel.nl/ncdu/jsonfmt, major version 1,
// minor version 2), so that `ncdu -f FILE` browses an image the way it
// browses a disk. It owns that format only: the figures come from
// model.Image as they are.
//
// Sizes are content sizes as Docker counts them: "asize" is a regular
// file's length or a symlink's target length, and "dsize" repeats it (an
// image has no disk blocks; ncdu shows dsize unless run with -a, so both
// views give the image's figures). Hard links share an inode number
// ("ino", "hlnkc", "nlink") so that ncdu counts their bytes once, as Docker
// does. The extended fields uid, gid and mode are written (ncdu reads them
// with -e); there is no mtime in the model, so none is written.
package ncdu

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The format version written: 1.2 is the version with "nlink" (ncdu 1.16
// and later; older ones accept it and ignore the field).
const (
	majorVersion = 1
	minorVersion = 2
)

// File-type bits of st_mode, as ncdu's extended mode expects them.
const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
	modeChar    = 0o020000
	modeBlock   = 0o060000
	modeFIFO    = 0o010000
)

// Write writes img's final filesystem to w in ncdu's export format. The
// root directory is named "/".
func Write(w io.Writer, img *model.Image) error {
	if img == nil || img.FS == nil {
		return errors.New("ncdu: image has no filesystem")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	links := hardlinkGroups(img.FS)

	fmt.Fprintf(bw, "[%d,%d,", majorVersion, minorVersion)
	meta := map[string]string{"progname": "imgdiff", "image": img.Ref, "platform": img.Platform}
	if img.Digest != "" {
		meta["digest"] = img.Digest
	}
	if err := writeJSON(bw, meta); err != nil {
		return err
	}
	bw.WriteString(",\n[")
	if err := writeInfo(bw, "/", index.Entry{Kind: index.Dir, Mode: 0o755}, 0, nil); err != nil {
		return err
	}
	// The FS is depth first with every directory before its contents,
	// so the open directories form a stack: close those that are not the
	// next entry's ancestors, then write the entry into the one on top.
	open := []string{"."}
	for i := range img.FS.Len() {
		f := img.FS.At(i)
		parent := path.Dir(f.Path)
		for len(open) > 1 && open[len(open)-1] != parent {
			bw.WriteString("]")
			open = open[:len(open)-1]
		}
		if open[len(open)-1] != parent {
			return fmt.Errorf("ncdu: %s comes before its directory %s", f.Path, parent)
		}
		bw.WriteString(",\n")
		if f.Kind == index.Dir {
			bw.WriteString("[")
			open = append(open, f.Path)
		}
		if err := writeInfo(bw, path.Base(f.Path), f.Entry, f.Bytes, links[f.Path]); err != nil {
			return err
		}
	}
	for range open {
		bw.WriteString("]")
	}
	bw.WriteString("]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing ncdu export: %w", err)
	}
	return nil
}

// inode is a hard-link group: the target file and the links to it.
type inode struct {
	ino   int
	nlink int
	size  int64
}

// hardlinkGroups gives every hard link whose target is in the final
// filesystem, and that target, one shared inode. A link whose target was
// removed holds the bytes itself (analyze moved them to it) and stays a
// plain file.
func hardlinkGroups(fs *model.FS) map[string]*inode {
	groups := map[string]*inode{}
	for _, f := range fs.All() {
		if f.Kind != index.Hardlink {
			continue
		}
		t, ok := fs.Lookup(f.Link)
		if !ok || t.Kind != index.File {
			continue
		}
		g := groups[t.Path]
		if g == nil {
			g = &inode{ino: len(groups) + 1, nlink: 1, size: t.Bytes}
			groups[t.Path] = g
		}
		g.nlink++
		groups[f.Path] = g
	}
	return groups
}

// writeInfo writes one entry's info object.
func writeInfo(bw *bufio.Writer, name string, e index.Entry, bytes int64, link *inode) error {
	bw.WriteString(`{"name":`)
	if err := writeJSON(bw, name); err != nil {
		return err
	}
	size := bytes
	if link != nil {
		size = link.size
	}
	if e.Kind != index.Dir {
		num(bw, "asize", size)
		num(bw, "dsize", size)
	}
	if link != nil {
		num(bw, "ino", int64(link.ino))
		bw.WriteString(`,"hlnkc":true`)
		num(bw, "nlink", int64(link.nlink))
	}
	var typ int64
	switch e.Kind {
	case index.Dir:
		typ = modeDir
	case index.File, index.Hardlink:
		typ = modeFile
	case index.Symlink:
		typ = modeSymlink
	case index.CharDevice:
		typ = modeChar
	case index.BlockDevice:
		typ = modeBlock
	case index.FIFO:
		typ = modeFIFO
	}
	if e.Kind != index.Dir && typ != modeFile {
		bw.WriteString(`,"notreg":true`)
	}
	num(bw, "uid", int64(e.UID))
	num(bw, "gid", int64(e.GID))
	num(bw, "mode", typ|int64(e.Mode&0o7777))
	bw.WriteString("}")
	return nil
}

func num(bw *bufio.Writer, key string, n int64) {
	bw.WriteString(`,"`)
	bw.WriteString(key)
	bw.WriteString(`":`)
	bw.WriteString(strconv.FormatInt(n, 10))
}

func writeJSON(bw *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("ncdu: %w", err)
	}
	bw.Write(b)
	return nil
}
