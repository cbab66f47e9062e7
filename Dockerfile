# imgdiff's own image: build in a Go image, ship the static binary and the
# CA certificates (registries are reached over HTTPS) on scratch, as a
# non-root user. BuildKit:
#
#   docker build --build-arg VERSION=v1.2.3 -t imgdiff .
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock imgdiff analyze docker-daemon:app:latest
#
# GO_IMAGE is any image with Go (of go.mod's version or newer) in PATH and
# /etc/ssl/certs/ca-certificates.crt (golang:*-bookworm has both). The
# build stage is testdata/selfimage/Dockerfile.single line for line, so
# make e2e builds both from one compile and compares them with imgdiff.
ARG GO_IMAGE=golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid= -X github.com/imgdiff/imgdiff/cmd/cmdutil.BuildVersion=${VERSION}" \
      -o /usr/local/bin/imgdiff ./cmd/imgdiff

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/local/bin/imgdiff /imgdiff
# A writable home for the layer cache ($HOME/.cache/imgdiff).
COPY --from=build --chown=65532:65532 /tmp /tmp
USER 65532:65532
ENV HOME=/tmp
ENTRYPOINT ["/imgdiff"]
