package main

import (
	"os"
	"sync"
	"testing"
)

// Temp dirs that tests share (the demo pair, the e2e run's binary and
// cache) outlive any one test, so TestMain removes them after all ran.
var (
	sharedMu   sync.Mutex
	sharedDirs []string
)

// sharedTempDir makes a temp dir that TestMain removes at the end.
func sharedTempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	sharedDirs = append(sharedDirs, dir)
	return dir, nil
}

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main() // the interrupt tests run imgdiff as a child process
	}
	code := m.Run()
	for _, dir := range sharedDirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
