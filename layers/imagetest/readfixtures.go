package imagetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ReadFixtures reads the expected.json WriteFixtures wrote to dir: the
// figures the fixture set's images must give.
func ReadFixtures(dir string) (Fixtures, error) {
	var fx Fixtures
	b, err := os.ReadFile(filepath.Join(dir, FixtureExpected))
	if err != nil {
		return fx, fmt.Errorf("fixtures: %w", err)
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		return fx, fmt.Errorf("fixtures: %s: %w", FixtureExpected, err)
	}
	return fx, nil
}
