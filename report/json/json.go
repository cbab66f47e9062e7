// Package json writes the versioned JSON model (docs/json.md) of an
// analysis, a comparison or a fleet.
package json

import (
	"encoding/json"
	"fmt"
	"io"
)

// Write writes the model itself: the JSON is the versioned model
// (schemaVersion, docs/json.md), indented for diffs and people.
func Write(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing json: %w", err)
	}
	return nil
}
