// Package analyze turns walked images into answers: it maps history entries
// to layers, builds the final filesystem with the writer of every path,
// attributes every byte (surviving, deleted or overwritten) to the
// instruction that wrote it (Build), classifies what an image should not
// carry (Classify), summarizes one image (Summarize) and compares two
// (Compare). It is pure: it reads index.Image values and returns values,
// with no I/O of its own.
//
// The vocabulary it speaks (Image, Classification, Flag, ...) is package
// model's, which every package imports directly. The concerns it draws on
// live in sub-packages, each pure as well: pkgdb (the package databases
// and which file bodies to capture), rules (the classification rules and
// default.yaml), hygiene (findings, secret shapes, redaction) and budget
// (limits, the size grammar, validation and evaluation).
package analyze
