//go:build unix

package cache

import "syscall"

// entryOpenFlags open an entry without blocking on a FIFO and without
// following a link.
const entryOpenFlags = syscall.O_NONBLOCK | syscall.O_NOFOLLOW
