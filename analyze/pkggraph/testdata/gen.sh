#!/bin/sh
# Regenerates the dpkg fixtures: what `apt-get install` (with and without
# Recommends) writes into a Debian bookworm (amd64) image, resolved by apt
# itself against bookworm's real package index.
#
# base-status: the stanzas of a debootstrap minbase system (Priority
# required, Essential, apt, and their Depends/Pre-Depends closure), taken
# verbatim from a bookworm machine's /var/lib/dpkg/status. Then for each
# fixture, `apt-get -s install` against that status lists what apt would
# install; mkstatus.py writes the status file (base + each installed
# package's stanza from `apt-cache show NAME=VERSION`, status fields only,
# "Status: install ok installed" added) and the extended_states apt would
# write (Auto-Installed: 1 for everything but the packages named on the
# command line). no-install-recommends.txt is apt's own resolution of the
# same request with --no-install-recommends: the packages it installs.
#
# Needs: a bookworm machine with apt lists updated.
set -eu
export LC_ALL=C # sort and comm agree with seeds.py on order
cd "$(dirname "$0")"
python3 base.py
sim() {
	apt-get -s -o Dir::State::status="$PWD/base-status" -o Dir::State::extended_states=/dev/null "$@" 2>&1 |
		grep '^Inst' | sed -E 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1 \3/'
}
for spec in "rust:rustc cargo" "node:nodejs npm" "go:golang-go git ca-certificates"; do
	name=${spec%%:*} pkgs=${spec#*:}
	mkdir -p "$name"
	# shellcheck disable=SC2086
	sim install $pkgs >"$name/inst.txt"
	# shellcheck disable=SC2086
	sim install --no-install-recommends $pkgs | awk '{print $1}' | sort >"$name/no-install-recommends.txt"
	# shellcheck disable=SC2086
	(cd "$name" && python3 ../mkstatus.py inst.txt $pkgs && rm inst.txt)
done

# seeds.txt: the build tools the default rules name (seeds.py). For rust
# and go, where no other package depends on a seed, autoremove.txt is apt's
# own answer to "which packages are installed only because build tools need
# them": what `apt-get remove --auto-remove SEEDS` removes besides the seeds
# (Suggests not kept, as apt does not install them).
for name in rust go node; do
	python3 seeds.py "$name/status" >"$name/seeds.txt"
done
for name in rust go; do
	# shellcheck disable=SC2046
	apt-get -s -o Dir::State::status="$PWD/$name/status" -o Dir::State::extended_states="$PWD/$name/extended_states" \
		-o APT::AutoRemove::SuggestsImportant=false remove --auto-remove $(cat "$name/seeds.txt") |
		awk '/^Remv/ {print $2}' | sort | comm -13 "$name/seeds.txt" - >"$name/autoremove.txt"
done
