package view

import (
	"fmt"
)

// What the reports say of an image read from a snapshot: of which image,
// when it was taken and how old it was when the report was made (all in
// the JSON's "snapshot").

// Age says how old in the largest whole unit: "3 days", "1 hour",
// "0 minutes" (a clock behind the snapshot's counts as 0).
func Age(seconds int64) string {
	units := []struct {
		name string
		secs int64
	}{{"day", 86400}, {"hour", 3600}, {"minute", 60}}
	for _, u := range units {
		if n := seconds / u.secs; n >= 1 || u.name == "minute" {
			n = max(n, 0)
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return ""
}
