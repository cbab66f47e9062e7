//go:build !race

package cmdutil

// raceEnabled: see race_on_test.go.
const raceEnabled = false
