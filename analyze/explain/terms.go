package explain

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// The words a comparison's terms are explained in.

// TopDir is the directory a file outside any package is grouped by: its
// first two path elements ("usr/local" of usr/local/bin/app, "app" of
// app/server.js).
func TopDir(p string) string {
	parts := strings.SplitN(p, "/", 3)
	switch len(parts) {
	case 1:
		return "."
	case 2:
		return parts[0]
	}
	return parts[0] + "/" + parts[1]
}

// PulledName says a group of packages requested packages pulled in, in
// the words of pkggraph.Group: "npm and the 412 packages it pulled in";
// members are the group's packages (the pullers among them when their own
// bytes are in it).
func PulledName(pullers []string, members map[string]bool) string {
	others := len(members)
	for _, p := range pullers {
		if members[p] {
			others--
		}
	}
	who, pron := strings.Join(pullers, ", "), "it"
	if len(pullers) > 1 {
		pron = "they"
	}
	switch {
	case others <= 0:
		return who
	case others == 1:
		return fmt.Sprintf("%s and the package %s pulled in", who, pron)
	}
	return fmt.Sprintf("%s and the %d packages %s pulled in", who, others, pron)
}

// BaseDetail names both images' bases with their sizes and where each
// was found: "A: debian:12 (117 MB; dockerfile: Dockerfile:1 FROM
// debian:12) → B: no base image (scratch; dockerfile: …)", or, unnamed,
// "117 MB of base layers (heuristic docker import: Imported from -) → …".
func BaseDetail(a, b *model.Image) string {
	side := func(img *model.Image) string {
		base := img.Base
		if base == nil {
			return "no base found (the history does not map to the layers)"
		}
		how := base.Source
		if base.Source == "heuristic" {
			how += " " + base.Heuristic
		}
		if base.Evidence != "" {
			how += ": " + model.Shorten(base.Evidence, 60) // a history entry, on one line
		}
		switch {
		case base.Steps == 0 && base.Source == "none":
			return "no base found"
		case base.Steps == 0:
			return "no base image (scratch; " + how + ")"
		case base.Name != "":
			return fmt.Sprintf("%s (%s; %s)", base.Name, humanize.Bytes(uint64(base.Size)), how)
		}
		return fmt.Sprintf("%s of base layers (%s)", humanize.Bytes(uint64(base.Size)), how)
	}
	return "A: " + side(a) + " → B: " + side(b)
}
