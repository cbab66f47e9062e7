package store

import (
	"fmt"
	"os"
	"syscall"
)

// fingerprint names the version of a file fi describes: device, inode,
// size, modification and change time. The change time is set by the
// kernel on every write, chmod or utimes, so no user can give another
// file (or this one, rewritten) the same fingerprint.
func fingerprint(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d:%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}
