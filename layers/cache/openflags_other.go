//go:build !unix

package cache

// entryOpenFlags: the entry is still refused when fstat says it is not a
// regular file, and read up to its size.
const entryOpenFlags = 0
