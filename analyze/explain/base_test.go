package explain

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The histories below are written by hand in the forms the images and
// builders write (docker history --no-trunc of the official images).
func TestDetectBase(t *testing.T) {
	bk := "buildkit.dockerfile.v0"
	// The user's own steps, built with BuildKit the day of the test.
	own := []HistoryEntry{
		{Created: at("2026-11-30T10:00:00Z"), CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y golang-go git ca-certificates # buildkit", Comment: bk},
		{Created: at("2026-11-30T10:02:00Z"), CreatedBy: "WORKDIR /src", Comment: bk},
		{Created: at("2026-11-30T10:02:01Z"), CreatedBy: "COPY . . # buildkit", Comment: bk},
		{Created: at("2026-11-30T10:03:00Z"), CreatedBy: "RUN /bin/sh -c go build -o /usr/local/bin/app . # buildkit", Comment: bk},
		{Created: at("2026-11-30T10:03:00Z"), CreatedBy: `CMD ["/usr/local/bin/app"]`, Comment: bk, EmptyLayer: true},
	}
	with := func(base ...HistoryEntry) []HistoryEntry { return append(base, own...) }
	tests := []struct {
		name string
		cfg  Config
		want Base
	}{
		{"debian bookworm (debuerreotype)", Config{History: with(
			HistoryEntry{Created: at("2024-11-11T00:00:00Z"), CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'", Comment: "debuerreotype 0.15"},
		)}, Base{Steps: 1, Layers: 1, Heuristic: HeuristicImport, Evidence: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'", Source: SourceHeuristic}},
		{"debian bullseye, legacy builder", Config{History: with(
			HistoryEntry{Created: at("2022-10-25T01:20:34Z"), CreatedBy: "/bin/sh -c #(nop) ADD file:b4fcb6f0f3c9a6b8e0f4c8b5e3e1d6a5c8a9b4f0e1d2c3b4a5f6e7d8c9b0a1f2 in / "},
			HistoryEntry{Created: at("2022-10-25T01:20:35Z"), CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true},
		)}, Base{Steps: 2, Layers: 1, Heuristic: HeuristicImport, Evidence: "/bin/sh -c #(nop) ADD file:b4fcb6f0f3c9a6b8e0f4c8b5e3e1d6a5c8a9b4f0e1d2c3b4a5f6e7d8c9b0a1f2 in /", Source: SourceHeuristic}},
		{"ubuntu 22.04", Config{History: with(
			HistoryEntry{Created: at("2024-09-11T16:25:14Z"), CreatedBy: "/bin/sh -c #(nop)  ARG RELEASE", EmptyLayer: true},
			HistoryEntry{Created: at("2024-09-11T16:25:14Z"), CreatedBy: "/bin/sh -c #(nop)  ARG LAUNCHPAD_BUILD_ARCH", EmptyLayer: true},
			HistoryEntry{Created: at("2024-09-11T16:25:14Z"), CreatedBy: "/bin/sh -c #(nop)  LABEL org.opencontainers.image.ref.name=ubuntu", EmptyLayer: true},
			HistoryEntry{Created: at("2024-09-11T16:25:14Z"), CreatedBy: "/bin/sh -c #(nop)  LABEL org.opencontainers.image.version=22.04", EmptyLayer: true},
			HistoryEntry{Created: at("2024-09-11T16:25:16Z"), CreatedBy: "/bin/sh -c #(nop) ADD file:ebe009f86035c175ba244badd298a2582914415cf62783d510eab3a311a5d4e1 in / "},
			HistoryEntry{Created: at("2024-09-11T16:25:17Z"), CreatedBy: `/bin/sh -c #(nop)  CMD ["/bin/bash"]`, EmptyLayer: true},
		)}, Base{Steps: 6, Layers: 1, Heuristic: HeuristicImport, Evidence: "/bin/sh -c #(nop) ADD file:ebe009f86035c175ba244badd298a2582914415cf62783d510eab3a311a5d4e1 in /", Source: SourceHeuristic}},
		{"alpine 3.20, BuildKit", Config{History: with(
			HistoryEntry{Created: at("2024-09-06T12:05:36Z"), CreatedBy: "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz / # buildkit", Comment: bk},
			HistoryEntry{Created: at("2024-09-06T12:05:36Z"), CreatedBy: `CMD ["/bin/sh"]`, Comment: bk, EmptyLayer: true},
		)}, Base{Steps: 2, Layers: 1, Heuristic: HeuristicImport, Evidence: "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz / # buildkit", Source: SourceHeuristic}},
		// golang:1.22-bookworm as the base: its own steps came months
		// after debian's import. Only the import is sure to be the base;
		// the golang steps count as the image's own (their bytes are
		// flagged by the toolchain rules either way).
		{"golang on debian", Config{History: with(
			HistoryEntry{Created: at("2024-11-11T00:00:00Z"), CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'", Comment: "debuerreotype 0.15"},
			HistoryEntry{Created: at("2024-12-03T19:04:04Z"), CreatedBy: "RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends ca-certificates curl gnupg netbase sq wget; rm -rf /var/lib/apt/lists/* # buildkit", Comment: bk},
			HistoryEntry{Created: at("2024-12-03T19:05:00Z"), CreatedBy: "ENV GOLANG_VERSION=1.22.10", Comment: bk, EmptyLayer: true},
		)}, Base{Steps: 1, Layers: 1, Heuristic: HeuristicImport, Evidence: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'", Source: SourceHeuristic}},
		// distroless: bazel writes the epoch as the creation time.
		{"distroless", Config{History: append([]HistoryEntry{
			{Created: at("1970-01-01T00:00:00Z"), CreatedBy: "bazel build ...", Comment: ""},
			{Created: at("1970-01-01T00:00:00Z"), CreatedBy: "bazel build ...", Comment: ""},
			{Created: at("1970-01-01T00:00:00Z"), CreatedBy: "bazel build ...", Comment: ""},
		}, HistoryEntry{Created: at("2026-11-30T10:04:00Z"), CreatedBy: "COPY /usr/local/bin/app /app # buildkit", Comment: bk})},
			Base{Steps: 3, Layers: 3, Heuristic: HeuristicFixedTime, Evidence: "3 entries created 1970-01-01T00:00:00Z", Source: SourceHeuristic}},
		{"scratch", Config{History: []HistoryEntry{
			{Created: at("2026-11-30T10:04:00Z"), CreatedBy: "COPY /usr/local/bin/app /app # buildkit", Comment: bk},
			{Created: at("2026-11-30T10:04:00Z"), CreatedBy: `ENTRYPOINT ["/app"]`, Comment: bk, EmptyLayer: true},
		}}, Base{Heuristic: HeuristicNone, Source: SourceNone}},
		{"docker import", Config{History: with(
			HistoryEntry{Created: at("2025-03-01T08:00:00Z"), Comment: "Imported from -"},
		)}, Base{Steps: 1, Layers: 1, Heuristic: HeuristicDockerImport, Evidence: "Imported from -", Source: SourceHeuristic}},
		// A company base built by a tool that leaves no import marker.
		{"time gap", Config{History: with(
			HistoryEntry{Created: at("2026-06-01T09:00:00Z"), CreatedBy: "RUN /bin/sh -c microdnf install -y shadow-utils # buildkit", Comment: bk},
			HistoryEntry{Created: at("2026-06-01T09:01:00Z"), CreatedBy: "USER 1001", Comment: bk, EmptyLayer: true},
		)}, Base{Steps: 2, Layers: 1, Heuristic: HeuristicTimeGap, Evidence: "created 2026-06-01, then 2026-11-30", Source: SourceHeuristic}},
		{"annotations", Config{
			Annotations: map[string]string{AnnotationBaseName: "docker.io/library/debian:bookworm", AnnotationBaseDigest: "sha256:10901ccd8d249047f9761845b4594f121edef079cfd8224edebd9ea726f0a7f6"},
			History:     with(HistoryEntry{Created: at("2024-11-11T00:00:00Z"), CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'", Comment: "debuerreotype 0.15"}),
		}, Base{Name: "docker.io/library/debian:bookworm", Digest: "sha256:10901ccd8d249047f9761845b4594f121edef079cfd8224edebd9ea726f0a7f6",
			Steps: 1, Layers: 1, Heuristic: HeuristicImport, Evidence: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'", Source: SourceHeuristic}},
		// `docker import -m "…"`: the comment is the message; no
		// created_by.
		{"docker import -m", Config{History: with(
			HistoryEntry{Created: at("2025-03-01T08:00:00Z"), Comment: "bookworm minbase, debootstrap 1.0.128"},
		)}, Base{Steps: 1, Layers: 1, Heuristic: HeuristicDockerImport, Evidence: "bookworm minbase, debootstrap 1.0.128", Source: SourceHeuristic}},
		{"docker import, no comment", Config{History: with(
			HistoryEntry{Created: at("2025-03-01T08:00:00Z")},
		)}, Base{Steps: 1, Layers: 1, Heuristic: HeuristicDockerImport, Evidence: "a first layer with no created_by", Source: SourceHeuristic}},
		// A builder that writes no created_by anywhere says nothing of
		// which entry came first.
		{"no created_by anywhere", Config{History: []HistoryEntry{
			{Created: at("2026-11-30T10:00:00Z"), Comment: "layer 1"},
			{Created: at("2026-11-30T10:00:01Z"), Comment: "layer 2"},
		}}, Base{Heuristic: HeuristicNone, Source: SourceNone}},
		// A toolchain added as a tar in the middle of the history, the
		// way rootfs-style images are assembled, is the image's own
		// step; only the import at the bottom is the base.
		{"ADD rootfs.tar / mid-history", Config{History: []HistoryEntry{
			{Created: at("2026-11-30T10:00:00Z"), CreatedBy: "ADD rpmroot.tar / # buildkit", Comment: bk},
			{Created: at("2026-11-30T10:00:00Z"), CreatedBy: `CMD ["/bin/bash"]`, Comment: bk, EmptyLayer: true},
			{Created: at("2026-11-30T10:01:00Z"), CreatedBy: "ADD toolchain.tar / # buildkit", Comment: bk},
			{Created: at("2026-11-30T10:02:00Z"), CreatedBy: "COPY app.c /src/ # buildkit", Comment: bk},
		}}, Base{Steps: 2, Layers: 1, Heuristic: HeuristicImport, Evidence: "ADD rpmroot.tar / # buildkit", Source: SourceHeuristic}},
		{"ADD toolchain.tar / over a base with no marker", Config{History: with(
			HistoryEntry{Created: at("2026-11-30T09:59:00Z"), CreatedBy: "RUN /bin/sh -c echo base # buildkit", Comment: bk},
			HistoryEntry{Created: at("2026-11-30T09:59:30Z"), CreatedBy: "ADD toolchain.tar / # buildkit", Comment: bk},
		)}, Base{Heuristic: HeuristicNone, Source: SourceNone}},
		{"no history", Config{Labels: map[string]string{AnnotationBaseName: "alpine:3.20"}}, Base{Name: "alpine:3.20", Heuristic: HeuristicNone, Source: SourceNone}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, DetectBase(tt.cfg)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
