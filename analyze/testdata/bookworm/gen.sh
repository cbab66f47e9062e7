#!/bin/sh
# Regenerates this fixture from the dpkg database of a Debian bookworm
# (amd64) machine that has build-essential and python3-dev installed:
# the packages' status stanzas and .list files verbatim, and the type and
# size of each listed file as installed (paths resolved through the
# merged-/usr symlinks, so lib/... becomes usr/lib/...).
set -eu
cd "$(dirname "$0")"
PKGS="binutils binutils-common binutils-x86-64-linux-gnu libbinutils libctf0 libctf-nobfd0 libgprofng0
cpp cpp-12 gcc gcc-12 g++ g++-12 libgcc-12-dev libstdc++-12-dev libc6-dev linux-libc-dev libcrypt-dev
libnsl-dev libtirpc-dev libc-dev-bin make libasan8 libtsan2 libubsan1 liblsan0 libcc1-0 libisl23 libmpc3
build-essential python3.11-dev libpython3.11-dev python3-dev libpython3-dev libexpat1-dev zlib1g-dev
libc6 libgcc-s1 libstdc++6 gcc-12-base ca-certificates libpython3.11-stdlib python3.11-minimal
libpython3.11-minimal libgomp1 libatomic1 libquadmath0 libmpfr6 libgmp10 libjansson4"
rm -rf info status files.txt
mkdir info
for p in $PKGS; do
	awk -v p="$p" 'BEGIN{RS="";ORS="\n\n"} {n=split($0,l,"\n"); for(i=1;i<=n;i++) if(l[i]=="Package: " p) print}' /var/lib/dpkg/status >>status
	for l in /var/lib/dpkg/info/"$p".list /var/lib/dpkg/info/"$p":amd64.list; do
		[ -f "$l" ] && cp "$l" info/
	done
done
cat info/*.list | sort -u | while read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ -d "$f" ] && continue # directories, and the merged-/usr links to them
	real="$(realpath "$(dirname "$f")")/$(basename "$f")"
	if [ -L "$f" ]; then
		echo "L $(readlink "$f") ${real#/}"
	elif [ -f "$f" ]; then
		echo "F $(stat -c %s "$f") ${real#/}"
	fi
done | sort -k3 -u >files.txt
