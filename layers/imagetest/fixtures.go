package imagetest

import "errors"

// WriteFixtures writes the fixture set to dir.
func WriteFixtures(dir string) error { return errors.New("fixtures: not yet") }
