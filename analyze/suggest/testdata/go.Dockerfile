# Suggested by imgdiff from hello-svc:single and Dockerfile.
# Build it with BuildKit (Docker's default builder since 23.0; DOCKER_BUILDKIT=1
# before): its RUN --mount=type=cache lines need it.
# The original build is kept as the build stage; the final stage holds
# what the app needs at run time only. Decisions are commented with their
# evidence; what could not be decided is asked at the end.
ARG BASE=debian:bookworm-slim

# the original build, as the build stage
FROM ${BASE} AS build
# cache mounts added for apt: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends golang-go
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod main.go main_test.go ./
# cache mounts added for go: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/root/go/pkg/mod go test ./... && go build -o /usr/local/bin/hello-svc .
EXPOSE 8080
CMD ["/usr/local/bin/hello-svc"]

# the final stage: base scratch, every binary copied is static (no PT_INTERP, no DT_NEEDED: /usr/local/bin/hello-svc)
FROM scratch
# golang-1.19-go, golang-go: 50 MB of build-tool packages stay in the build stage
# 5 kB of source files the build wrote stay in the build stage
# 29 MB of cache files the build wrote stay in the build stage
# build-only settings left in the build stage: CGO_ENABLED
WORKDIR /src
# /usr/local: 7.0 MB, written by the build and not flagged
COPY --from=build /usr/local /usr/local
EXPOSE 8080
# non-root: the original ran as root; the copied files stay root-owned, readable by this user
USER 65532:65532
CMD ["/usr/local/bin/hello-svc"]
