//go:build linux

package cache

import (
	"os"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// TestSpecialEntriesAreMisses pins issue 13 defect 4 for the cache: an
// entry replaced by a FIFO or by a link to /dev/zero is a miss at once
// (not a hang, not memory exhaustion) and is removed.
func TestSpecialEntriesAreMisses(t *testing.T) {
	l := sampleLayer()
	key := testKey(l.DiffID, "")
	for name, plant := range map[string]func(testing.TB, string) string{
		"fifo":      imagetest.FIFO,
		"/dev/zero": imagetest.DevZero,
	} {
		t.Run(name, func(t *testing.T) {
			c := open(t, Options{})
			p := plant(t, c.path(key))
			done := make(chan bool, 1)
			go func() { _, ok := c.Get(key); done <- ok }()
			select {
			case ok := <-done:
				if ok {
					t.Error("hit on a special file")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Get hangs")
			}
			if _, err := os.Lstat(p); !os.IsNotExist(err) {
				t.Errorf("special entry not removed: %v", err)
			}
		})
	}
}
