// Package analyze turns walked images into answers: it maps history entries
// to layers, builds the final filesystem with the writer of every path,
// attributes every byte (surviving, deleted or overwritten) to the
// instruction that wrote it (Build), classifies what an image should not
// carry (Classify), summarizes one image (Summarize) and compares two
// (Compare). It is pure: it reads index.Image values and returns values,
// with no I/O of its own.
//
// It owns the engine: the layer stack and the byte attribution (build.go,
// layerstack.go), the totals and verdict of a classification (totals.go),
// the summary and the comparison (compare.go, compare_other.go), and the
// join of a Dockerfile's mapping to an image's evidence.
//
// The vocabulary it speaks (Image, Classification, Flag, ...) is package
// model's, which every package imports directly. The concerns it draws on
// live in sub-packages, each pure as well: classify (each file's category
// and evidence), pkgdb (the package databases, combining dpkg, apk and rpm,
// and which file bodies to capture), rules (the classification rules and
// default.yaml), hygiene (findings, secret shapes, redaction), explain (the
// terms of a size difference) and dockerfile (Dockerfiles and history).
// budget (limits and their evaluation) sits above it.
package analyze
