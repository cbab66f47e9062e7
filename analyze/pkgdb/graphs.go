package pkgdb

import (
	"errors"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/apk"
	"github.com/imgdiff/imgdiff/analyze/dpkg"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
	"github.com/imgdiff/imgdiff/analyze/rpm"
)

// GraphWants reports whether the graph readers need the body of the file
// at canonical path p: the dpkg status (or distroless status.d stanzas),
// apt's extended_states, apk's installed and world, and the rpm
// databases. The capture set adds these to what it keeps.
func GraphWants(p string) bool {
	switch p {
	case dpkg.Status, dpkg.AptExtendedStates, apk.Installed, apk.World,
		rpm.Sqlite, rpm.SqliteUsr, rpm.BerkeleyDB, rpm.BerkeleyDBUsr, rpm.Ndb, rpm.NdbUsr:
		return true
	}
	if name, ok := strings.CutPrefix(p, dpkg.StatusDir); ok {
		return name != "" && !strings.Contains(name, "/") && !strings.HasSuffix(name, ".md5sums")
	}
	return false
}

// Graphs reads every package database of an image's captured files (dpkg,
// apk, rpm) into one graph each, in that order; an image has one, usually.
// A database that cannot be parsed is an error naming it, the others are
// still returned.
func Graphs(contents map[string][]byte) ([]*pkggraph.Graph, error) {
	var out []*pkggraph.Graph
	var errs []error
	for _, read := range []func(map[string][]byte) (*pkggraph.Graph, error){dpkg.ReadGraph, apk.ReadGraph, rpm.ReadGraph} {
		g, err := read(contents)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if g != nil {
			out = append(out, g)
		}
	}
	return out, errors.Join(errs...)
}
