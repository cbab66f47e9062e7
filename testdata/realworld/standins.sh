#!/usr/bin/env bash
# Builds the local stand-ins for base images that cannot be pulled here and
# tags them with the names Dockerfiles use. Usage:
#   standins.sh [NAME=FLAVOUR ...]      e.g. golang:1.26=golang gcr.io/distroless/static:nonroot=distroless-static-nonroot
# Flavours: golang, node, node-full, debian, distroless-{static,base,cc}[-nonroot|-debug], alpine.
# Each flavour is built once (image hprojects-standin/FLAVOUR) from the
# Debian bookworm base imgdiff-e2e/bookworm:base (testdata/e2e/run.sh makes
# it) plus Debian packages, and the host's Go tree / Node.js for golang / node.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
docker=${DOCKER:-/usr/bin/docker}
export DOCKER_BUILDKIT=1
ctx=$(mktemp -d); trap 'rm -rf "$ctx"' EXIT

have() { "$docker" image inspect "$1" >/dev/null 2>&1; }

flavour() { # builds hprojects-standin/$1 unless present
  local f=$1 img=hprojects-standin/$1
  have "$img" && return 0
  echo "standins: building $img" >&2
  case $f in
    golang)
      rm -rf "$ctx/go" && cp -a "$(go env GOROOT)" "$ctx/go" && cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
      "$docker" build -q --network host -f "$here/standins/golang.Dockerfile" -t "$img" "$ctx" >/dev/null ;;
    node|node-full)
      local nm; nm=$(dirname "$(readlink -f "$(command -v npm)")"); nm=${nm%/npm/bin}
      rm -rf "$ctx/node_modules" && mkdir -p "$ctx/node_modules" && cp -a "$nm/npm" "$ctx/node_modules/"
      [ -d "$nm/corepack" ] && cp -a "$nm/corepack" "$ctx/node_modules/"
      cp "$(readlink -f "$(command -v node)")" "$ctx/node" && cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
      "$docker" build -q --network host ${f#node} --build-arg FULL=$([ "$f" = node-full ] && echo 1) \
        -f "$here/standins/node.Dockerfile" -t "$img" "$ctx" >/dev/null ;;
    debian) "$docker" tag imgdiff-e2e/bookworm:base "$img" ;;
    distroless-*)
      local kind=${f#distroless-} pkgs="base-files netbase tzdata media-types" debug= user=
      case $kind in *-nonroot) user=65532; kind=${kind%-nonroot};; *-debug) debug=1; kind=${kind%-debug};; esac
      case $kind in base) pkgs="$pkgs libc6 libssl3";; cc) pkgs="$pkgs libc6 libssl3 libgcc-s1 libstdc++6 libgomp1";; static) ;; *) echo "unknown flavour $f" >&2; exit 2;; esac
      "$docker" build -q --network host --build-arg PKGS="$pkgs" --build-arg DEBUG=$debug \
        -f "$here/standins/distroless.Dockerfile" -t "$img.tmp" "$ctx" >/dev/null
      local extra=()
      [ -n "$user" ] && extra+=(--change "USER $user" --change "WORKDIR /home/nonroot")
      [ -n "$debug" ] && extra+=(--change 'ENTRYPOINT ["/busybox/sh"]')
      if [ ${#extra[@]} -gt 0 ]; then
        printf 'FROM %s\n%s\n' "$img.tmp" "$(printf '%s\n' "${extra[@]}" | grep -v -- '^--change$')" > "$ctx/Dockerfile.flavour"
        "$docker" build -q -f "$ctx/Dockerfile.flavour" -t "$img" "$ctx" >/dev/null
        "$docker" rmi "$img.tmp" >/dev/null
      else "$docker" tag "$img.tmp" "$img" && "$docker" rmi "$img.tmp" >/dev/null; fi ;;
    alpine) rm -rf "$ctx/alpine-shims" && cp -a "$here/standins/alpine-shims" "$ctx/"
      "$docker" build -q --network host -f "$here/standins/alpine.Dockerfile" -t "$img" "$ctx" >/dev/null ;;
    *) echo "standins: unknown flavour $f" >&2; exit 2 ;;
  esac
}

for pair in "$@"; do
  name=${pair%%=*} f=${pair#*=}
  flavour "$f"
  "$docker" tag "hprojects-standin/$f" "$name"
  echo "standin $name = hprojects-standin/$f"
done
