// Package dockerfile owns what imgdiff knows about Dockerfiles: it parses
// one with BuildKit's own parser, resolves the stage chain behind the built
// target, maps every image history entry to the instruction (file, lines,
// stage) that wrote it, reads BuildKit provenance attestations for the same
// mapping without a Dockerfile, runs the Dockerfile checks that use the
// image's evidence, and parses a history entry's created_by into the
// instruction it records (ParseCreatedBy).
//
// It is pure: it takes bytes and values and does no I/O.
package dockerfile
