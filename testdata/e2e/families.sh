#!/usr/bin/env bash
# Package families for the e2e: roots whose package databases are written
# by the family's own tools, from Debian bookworm's real .debs, so that the
# e2e checks imgdiff on rpm and distroless images as on Debian ones.
#
#   families.sh CACHE FAMILY CTX
#
# writes into the build context CTX (testdata/dockerfiles/FAMILY, copied):
#   base.tar       the base root: libc6, bash, coreutils and what they need
#   toolchain.tar  what installing the C toolchain adds to it (the files and
#                  the package database as the family's tool rewrote it)
#   app            the program the images ship
#   truth.txt      the database's own answer, read with the family's tool:
#                  "toolchain BYTES" (the toolchain packages' file bytes)
#                  and "package NAME" lines
#
# FAMILY is
#   rpm         .debs repackaged with rpmbuild (payload uncompressed, no
#               strip, no build-id links: the bytes stay Debian's), installed
#               with Debian's rpm 4.18 (`rpm --root R --dbpath /var/lib/rpm`,
#               which writes rpmdb.sqlite), --nodeps --noscripts (the
#               dependencies are Debian names, which the packages Require
#               all the same: imgdiff reads the graph from them)
#   distroless  the .debs unpacked with dpkg-deb, each package's control
#               stanza in var/lib/dpkg/status.d/NAME and its md5sums in
#               status.d/NAME.md5sums, no var/lib/dpkg/status: as Google's
#               distroless images are made
#   apk         the .debs unpacked, lib/apk/db/installed and etc/apk/world
#               written by apkdb.py to apk's documented installed-database
#               format (no apk code is packaged for Debian, nor served by
#               the module proxy: chainguard's go-apk is not)
#
# The .debs, the rpms and the finished tars are cached in
# CACHE/families-v1: bump the version when the recipe changes.
set -euo pipefail

CACHE=$1 FAMILY=$2 CTX=$3
CACHE=$CACHE/families-v1
DEBS=$CACHE/debs
mkdir -p "$DEBS" "$CACHE/rpms"

# The base packages and the C toolchain (gcc-12 and make with their
# bookworm Depends, no Recommends).
BASE_PKGS=(libc6 libgcc-s1 bash coreutils libacl1 libattr1 libselinux1 libpcre2-8-0 libgmp10 libtinfo6 base-files)
TOOL_PKGS=(gcc-12 cpp-12 gcc-12-base binutils binutils-common binutils-x86-64-linux-gnu libbinutils libctf0
	libctf-nobfd0 libgprofng0 libjansson4 libgcc-12-dev libc6-dev libc-dev-bin linux-libc-dev libcrypt-dev
	libnsl-dev libtirpc-dev rpcsvc-proto libisl23 libmpc3 libmpfr6 libasan8 libtsan2 libubsan1 liblsan0
	libitm1 libquadmath0 libcc1-0 libgomp1 libatomic1 libstdc++6 libzstd1 zlib1g libtirpc3 libgssapi-krb5-2
	libkrb5-3 libkrb5support0 libk5crypto3 libcom-err2 libkeyutils1 libssl3 libnsl2 make)

fetch_debs() {
	local missing=() p
	for p in "${BASE_PKGS[@]}" "${TOOL_PKGS[@]}"; do
		compgen -G "$DEBS/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return
	(cd "$DEBS" && apt-get download -q "${missing[@]}" >/dev/null 2>&1) ||
		{ echo "families: apt-get download ${missing[*]} failed" >&2; exit 1; }
}

deb_of() { compgen -G "$DEBS/${1}_*.deb" | head -n 1; }

# deps DEB: the package names of Depends and Pre-Depends (the first of
# each set of alternatives), one a line.
deps() {
	dpkg-deb -f "$1" Pre-Depends Depends | sed -E 's/^[A-Za-z-]+: //' | tr ',' '\n' |
		sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/^ +//; s/ +$//' | grep -v '^$' || true
}

# rpm_of NAME: the rpm repackaging NAME's .deb, built once.
rpm_of() {
	local name=$1 deb ver rver x spec out
	deb=$(deb_of "$name")
	ver=$(dpkg-deb -f "$deb" Version)
	rver=${ver#*:}
	rver=${rver//-/_}
	out=$(compgen -G "$CACHE/rpms/$name-$rver-1.*.rpm" | head -n 1 || true)
	if [[ -n $out ]]; then
		echo "$out"
		return
	fi
	x=$CACHE/work/$name
	rm -rf "$x" && mkdir -p "$x/root"
	dpkg-deb -x "$deb" "$x/root"
	spec=$x/$name.spec
	{
		echo "%global debug_package %{nil}"
		echo "%global __os_install_post %{nil}"
		echo "%global _build_id_links none"
		echo "%global _binary_payload w0.ufdio"
		echo "Name: $name"
		echo "Version: $rver"
		echo "Release: 1"
		echo "Summary: $name, Debian bookworm's, repackaged for imgdiff's e2e"
		echo "License: see /usr/share/doc/$name/copyright"
		echo "Group: $(dpkg-deb -f "$deb" Section)"
		echo "AutoReqProv: no"
		deps "$deb" | sort -u | sed 's/^/Requires: /'
		echo "%description"
		echo "$name from Debian bookworm."
		echo "%install"
		echo "cp -a $x/root/. %{buildroot}/"
		echo "%files"
		echo "%defattr(-,root,root,-)"
		(cd "$x/root" && find . ! -type d | sed -E 's|^\.||; s|.*|"&"|')
	} >"$spec"
	rpmbuild --quiet -bb --define "_topdir $x/top" --define "_rpmdir $CACHE/rpms" \
		--define "_build_name_fmt %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm" "$spec" >"$x/rpmbuild.log" 2>&1 ||
		{ tail -n 20 "$x/rpmbuild.log" >&2; echo "families: rpmbuild of $name failed" >&2; exit 1; }
	rm -rf "$x"
	compgen -G "$CACHE/rpms/$name-$rver-1.*.rpm" | head -n 1
}

# tar_root DIR OUT [LIST]: a layer tar of DIR (of the paths in LIST only),
# sorted, numeric owners, a fixed mtime: the same bytes on every run.
tar_root() {
	local dir=$1 out=$2
	if (($# > 2)); then
		tar -C "$dir" --numeric-owner --owner=0 --group=0 --mtime=@1700000000 --sort=name --no-recursion -cf "$out" -T "$3"
	else
		tar -C "$dir" --numeric-owner --owner=0 --group=0 --mtime=@1700000000 --sort=name -cf "$out" .
	fi
}

# added BEFORE AFTER: the paths in AFTER's listing that BEFORE's lacks,
# and the files whose content changed (the package database).
added() { comm -13 "$1" "$2"; }
listing() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }

rpm_family() {
	local r=$CACHE/root-rpm rpms=() p n
	rm -rf "$r" && mkdir -p "$r"
	local R=(rpm --root "$r" --dbpath /var/lib/rpm)
	"${R[@]}" --initdb
	for p in "${BASE_PKGS[@]}"; do rpms+=("$(rpm_of "$p")"); done
	"${R[@]}" -i --nodeps --noscripts --nosignature --replacefiles "${rpms[@]}"
	listing "$r" >"$CACHE/before"
	tar_root "$r" "$CTX/base.tar"
	rpms=()
	for p in "${TOOL_PKGS[@]}"; do
		"${R[@]}" -q "$p" >/dev/null 2>&1 || rpms+=("$(rpm_of "$p")")
	done
	"${R[@]}" -i --nodeps --noscripts --nosignature --replacefiles "${rpms[@]}"
	listing "$r" >"$CACHE/after"
	{ added "$CACHE/before" "$CACHE/after"; (cd "$r" && find ./var/lib/rpm -type f); } | LC_ALL=C sort -u >"$CACHE/list"
	tar_root "$r" "$CTX/toolchain.tar" "$CACHE/list"
	local total=0
	: >"$CTX/truth.txt"
	for p in "${TOOL_PKGS[@]}"; do
		"${R[@]}" -q "$p" >/dev/null 2>&1 || continue
		if grep -qx "$p" <(printf '%s\n' "${BASE_PKGS[@]}"); then continue; fi
		n=$("${R[@]}" -q --qf '%{SIZE}' "$p")
		total=$((total + n))
		echo "package $p" >>"$CTX/truth.txt"
	done
	echo "toolchain $total" >>"$CTX/truth.txt"
}

# distroless_install ROOT NAME: unpacks NAME's .deb into ROOT and writes
# its status.d stanza and md5sums.
distroless_install() {
	local r=$1 name=$2 deb
	deb=$(deb_of "$name")
	dpkg-deb -x "$deb" "$r"
	mkdir -p "$r/var/lib/dpkg/status.d"
	dpkg-deb -f "$deb" >"$r/var/lib/dpkg/status.d/$name"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums >"$r/var/lib/dpkg/status.d/$name.md5sums" 2>/dev/null ||
		rm -f "$r/var/lib/dpkg/status.d/$name.md5sums"
}

distroless_family() {
	local r=$CACHE/root-distroless p
	rm -rf "$r" && mkdir -p "$r"
	for p in "${BASE_PKGS[@]}"; do distroless_install "$r" "$p"; done
	listing "$r" >"$CACHE/before"
	tar_root "$r" "$CTX/base.tar"
	for p in "${TOOL_PKGS[@]}"; do
		[[ -e $r/var/lib/dpkg/status.d/$p ]] || distroless_install "$r" "$p"
	done
	listing "$r" >"$CACHE/after"
	added "$CACHE/before" "$CACHE/after" >"$CACHE/list"
	tar_root "$r" "$CTX/toolchain.tar" "$CACHE/list"
	deb_truth
}

apk_family() {
	local r=$CACHE/root-apk p debs=()
	rm -rf "$r" && mkdir -p "$r"
	for p in "${BASE_PKGS[@]}"; do
		dpkg-deb -x "$(deb_of "$p")" "$r"
		debs+=("$(deb_of "$p")")
	done
	python3 "$(dirname "$0")/apkdb.py" "$r" "${BASE_PKGS[*]}" "${debs[@]}"
	listing "$r" >"$CACHE/before"
	tar_root "$r" "$CTX/base.tar"
	for p in "${TOOL_PKGS[@]}"; do
		grep -qx "$p" <(printf '%s\n' "${BASE_PKGS[@]}") && continue
		dpkg-deb -x "$(deb_of "$p")" "$r"
		debs+=("$(deb_of "$p")")
	done
	# `apk add gcc-12 make`: the world gains what was asked for.
	python3 "$(dirname "$0")/apkdb.py" "$r" "${BASE_PKGS[*]} gcc-12 make" "${debs[@]}"
	listing "$r" >"$CACHE/after"
	{ added "$CACHE/before" "$CACHE/after"; echo ./lib/apk/db/installed; echo ./etc/apk/world; } | LC_ALL=C sort -u >"$CACHE/list"
	tar_root "$r" "$CTX/toolchain.tar" "$CACHE/list"
	deb_truth
}

# deb_truth: truth.txt from the toolchain .debs' own file lists (regular
# file sizes and symlink target lengths, as dpkg-deb lists their data).
deb_truth() {
	local p n total=0
	: >"$CTX/truth.txt"
	for p in "${TOOL_PKGS[@]}"; do
		if grep -qx "$p" <(printf '%s\n' "${BASE_PKGS[@]}"); then continue; fi
		n=$(dpkg-deb --fsys-tarfile "$(deb_of "$p")" | tar -tv | awk '$1 ~ /^-/ {s += $3} $1 ~ /^l/ {s += length($0) - index($0, " -> ") - 3} END {print s + 0}')
		total=$((total + n))
		echo "package $p" >>"$CTX/truth.txt"
	done
	echo "toolchain $total" >>"$CTX/truth.txt"
}

mkdir -p "$CTX"
cp /usr/bin/true "$CTX/app"
# The roots are the same bytes on every run (fixed .debs, sorted tars, a
# fixed mtime): made once, then copied from the cache.
done=$CACHE/out-$FAMILY
if [[ -f $done/truth.txt ]]; then
	cp "$done/base.tar" "$done/toolchain.tar" "$done/truth.txt" "$CTX/"
	exit 0
fi
case $FAMILY in
rpm | distroless | apk) ;;
*) echo "families: unknown family $FAMILY" >&2; exit 2 ;;
esac
fetch_debs
"${FAMILY}_family"
rm -rf "$done.tmp" && mkdir -p "$done.tmp"
cp "$CTX/base.tar" "$CTX/toolchain.tar" "$done.tmp/"
cp "$CTX/truth.txt" "$done.tmp/" # last: its presence says the rest is there
rm -rf "$done" && mv "$done.tmp" "$done"
rm -rf "$CACHE/root-$FAMILY"
