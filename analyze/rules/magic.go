package rules

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/imgdiff/imgdiff/layers/index"
)

// maxHead is how much of a file header and magic matchers look at.
const maxHead = index.HeadSize

// magics are the binary formats a rule's `magic` can name, each a test of
// a file's first bytes (its head, index.HeadSize bytes at most) with the
// words a flag's evidence shows.
var magics = map[string]*magic{
	// An ELF file of type ET_REL: what a compiler writes and a linker
	// reads; nothing loads one at run time (a program is ET_EXEC or
	// ET_DYN, a shared library ET_DYN).
	"elf-relocatable": {"ELF relocatable object (ET_REL)", 18, func(b []byte) bool {
		if len(b) < 18 || !bytes.HasPrefix(b, []byte("\x7fELF")) {
			return false
		}
		var order binary.ByteOrder
		switch b[5] { // EI_DATA
		case 1:
			order = binary.LittleEndian
		case 2:
			order = binary.BigEndian
		default:
			return false
		}
		return order.Uint16(b[16:18]) == 1 // e_type
	}},
	// A Unix ar archive, as static libraries are ("!<thin>" a thin one,
	// which names the objects of a build tree): read by the linker only.
	"ar-archive": {"ar archive (static library)", 8, func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("!<arch>\n")) || bytes.HasPrefix(b, []byte("!<thin>\n"))
	}},
}

type magic struct {
	what string
	// size is how many leading bytes test reads: all the walk keeps of
	// a file that only magic rules name (see HeadLen).
	size int
	test func([]byte) bool
}

func magicNames() []string {
	names := make([]string, 0, len(magics))
	for n := range magics {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// headEvidence says which of s's header strings or magics the head holds,
// in a flag's words, and whether one does.
func headEvidence(s *Spec, head []byte) (string, bool) {
	if len(head) > maxHead {
		head = head[:maxHead] // a body captured whole: its head only
	}
	for _, m := range s.Magic {
		if mg := magics[m]; mg != nil && mg.test(head) {
			return "magic: " + mg.what, true
		}
	}
	for _, h := range s.Header {
		if bytes.Contains(head, []byte(h)) {
			return "header: " + strconv.Quote(h), true
		}
	}
	return "", false
}
