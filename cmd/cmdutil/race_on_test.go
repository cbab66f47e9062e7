//go:build race

package cmdutil

// raceEnabled: the race detector makes sync.Pool drop what it is given,
// so pooled buffers are allocated again and allocation counts grow.
const raceEnabled = true
