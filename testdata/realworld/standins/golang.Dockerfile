# Stand-in for golang:VERSION (Debian bookworm): Debian's buildpack-deps-scm
# packages, gcc and make, and the host's Go tree (context: go/ = /usr/local/go).
# The host's CA bundle replaces Debian's so that `go mod download` reaches the
# module proxy through the local re-signing proxy.
FROM imgdiff-e2e/bookworm:base
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates curl git gcc libc6-dev make pkg-config netbase procps xz-utils openssh-client \
    && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY go /usr/local/go
ENV GOLANG_VERSION=standin GOTOOLCHAIN=local GOPATH=/go
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go
WORKDIR /go
