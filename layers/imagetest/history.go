package imagetest

import (
	"crypto/sha256"
	"encoding/hex"
)

// History created_by strings as Docker writes them, so tests exercise the
// parser on real forms.

// RunBuildKit is a RUN in BuildKit's form: `RUN /bin/sh -c CMD # buildkit`.
func RunBuildKit(cmd string) string { return "RUN /bin/sh -c " + cmd + " # buildkit" }

// BuildKit is any other BuildKit instruction: `COPY . /app # buildkit`. ENV,
// USER, CMD, ... are written without the suffix: use the instruction as is.
func BuildKit(instruction string) string { return instruction + " # buildkit" }

// BuildKitComment is the history comment BuildKit writes.
const BuildKitComment = "buildkit.dockerfile.v0"

// RunLegacy is a RUN as the legacy builder writes it: `/bin/sh -c CMD`.
func RunLegacy(cmd string) string { return "/bin/sh -c " + cmd }

// NopLegacy is a metadata instruction of the legacy builder:
// `/bin/sh -c #(nop)  ENV A=b` (two spaces, as Docker writes them).
func NopLegacy(instruction string) string { return "/bin/sh -c #(nop)  " + instruction }

// CopyLegacy is a COPY of the legacy builder, naming the copied content by a
// digest: `/bin/sh -c #(nop) COPY file:<hex> in /app `. Use "dir" for a
// directory source.
func CopyLegacy(kind, content, dst string) string {
	s := sha256.Sum256([]byte(content))
	return "/bin/sh -c #(nop) COPY " + kind + ":" + hex.EncodeToString(s[:]) + " in " + dst + " "
}

// AddLegacy is the legacy builder's ADD of a rootfs tarball, as base images
// start: `/bin/sh -c #(nop) ADD file:<hex> in / `.
func AddLegacy(content, dst string) string {
	s := sha256.Sum256([]byte(content))
	return "/bin/sh -c #(nop) ADD file:" + hex.EncodeToString(s[:]) + " in " + dst + " "
}
