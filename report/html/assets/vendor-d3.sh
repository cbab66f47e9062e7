#!/usr/bin/env bash
# Refreshes the vendored d3-hierarchy (the squarified treemap layout the
# HTML report draws with): `make vendor-d3` or
# `report/html/assets/vendor-d3.sh [VERSION]`. It packs the package with
# npm, checks the tarball against the integrity the registry publishes,
# copies the minified UMD build and the licence here, and records the
# version and checksums in d3-hierarchy.VERSION.
set -euo pipefail
version=${1:-3.1.3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
want=$(npm view "d3-hierarchy@$version" dist.integrity)
tgz=$(npm pack --silent "d3-hierarchy@$version")
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$want" != "$got" ]; then
	echo "vendor-d3: $tgz: integrity $got, the registry says $want" >&2
	exit 1
fi
tar xzf "$tgz" package/dist/d3-hierarchy.min.js package/LICENSE
cp package/dist/d3-hierarchy.min.js "$here/d3-hierarchy.min.js"
cp package/LICENSE "$here/d3-hierarchy.LICENSE"
{
	echo "package: d3-hierarchy@$version"
	echo "tarball: $tgz"
	echo "tarball-integrity: $got"
	echo "d3-hierarchy.min.js sha256: $(sha256sum "$here/d3-hierarchy.min.js" | cut -d' ' -f1)"
	echo "d3-hierarchy.LICENSE sha256: $(sha256sum "$here/d3-hierarchy.LICENSE" | cut -d' ' -f1)"
} >"$here/d3-hierarchy.VERSION"
echo "vendored d3-hierarchy@$version"
