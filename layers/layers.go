// Package layers reads container images without extracting them: it
// parses image references, dispatches each to its source (one package
// each: dockerarchive, ocilayout, registry, and the engine through
// engine and dockerarchive), and walks their layer tar streams in parallel
// into per-layer file indexes (package index), optionally through an
// on-disk cache. It knows tar, compression, transports and caches; it
// knows nothing of categories, attribution or budgets.
package layers

import (
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/source"
)

// The values every source produces, defined in package source (where the
// sources, which never import layers, can make them); named here too so
// that callers of Open and Walk need no second import.
type (
	Image      = source.Image
	Layer      = source.Layer
	Blob       = source.Blob
	Identity   = source.Identity
	Identified = source.Identified
	Prefetcher = source.Prefetcher
)

// Unknown marks a size the source does not have (index.Unknown).
const Unknown = index.Unknown
