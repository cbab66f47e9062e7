package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// writeJSON writes the model itself: the JSON is the versioned model
// (schemaVersion, docs/json.md), indented for diffs and people.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing json: %w", err)
	}
	return nil
}
