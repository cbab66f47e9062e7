#!/usr/bin/env bash
# End-to-end test of imgdiff against a real Docker engine and a real registry.
#
# Builds single- and multi-stage images from testdata/dockerfiles with both of
# Docker's builders (legacy and BuildKit: two history formats), writes every
# image out through every transport imgdiff reads (docker save archive, OCI
# layout, registry, the daemon itself), then runs the Go e2e test
# (cmd/imgdiff/e2e_test.go), which checks imgdiff's figures against docker's
# own to the byte.
#
# It starts its OWN containerd, dockerd and registry on private sockets, a
# private data root and a free loopback port, and stops them and removes
# everything at the end, on failure and on Ctrl-C too. It never talks to a
# system-wide daemon or /var/run/docker.sock.
#
# Run as root (dockerd needs it). Environment:
#   IMGDIFF_E2E_CACHE  where the debootstrapped base image is cached between
#                      runs (default /var/cache/imgdiff-e2e)
#   IMGDIFF_E2E_KEEP=1 keep the work dir (images, archives, logs) after the run,
#                      until the next run removes it
#   IMGDIFF_E2E_HOLD=1 once the images are ready, keep the daemons up and wait
#                      (for running the Go test by hand; Ctrl-C cleans up)
#   IMGDIFF_E2E_RUN    -run pattern for go test (default E2E)
#   IMGDIFF_E2E_APPS   the apps to build, space-separated (default all of
#                      them: go goscratch node c python java rpm distroless apk);
#                      the Go test checks what the manifest lists. rpm, distroless
#                      and apk are package families (families.sh): roots made with
#                      rpm, as distroless images are, and with an apk database,
#                      from Debian's own .debs
#   IMGDIFF_E2E_LEGACY_APPS  the apps the legacy builder builds as well as
#                      BuildKit (default: go node c)
#   IMGDIFF_E2E_PODMAN_APP  the app whose BuildKit pair is loaded into Podman
#                      too (default goscratch, else the first app built)
#
# Besides dockerd (on a unix socket and on a TLS tcp port of 127.0.0.1 with
# --tlsverify and certificates made here), it starts Podman's
# Docker-compatible service on a private socket and storage
# (`podman system service`), for the engine tests (TestE2EEngines).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DOCKERFILES=$REPO/testdata/dockerfiles

# The base image is debootstrapped once per machine and cached as a tarball.
# Bump BASE_VERSION when the recipe in make_base_rootfs changes.
BASE_VERSION=bookworm-minbase-v1
BASE_IMAGE=imgdiff-e2e/bookworm:base
CACHE_DIR=${IMGDIFF_E2E_CACHE:-/var/cache/imgdiff-e2e}
MIRROR=http://deb.debian.org/debian

# Each app has a single- and a multi-stage Dockerfile in testdata/dockerfiles.
read -r -a APPS <<<"${IMGDIFF_E2E_APPS:-go goscratch node c python java rpm distroless apk}"
VARIANTS=(single multi)
BUILDERS=(buildkit legacy)
# The apps the legacy builder builds too. Its history format does not
# depend on the language, so Go, Node and C cover it; Python and Java
# (BuildKit only) are there for what imgdiff flags, and building them twice
# would cost a fifth of the run's 15-minute budget.
read -r -a LEGACY_APPS <<<"${IMGDIFF_E2E_LEGACY_APPS:-go node c}"

# IMAGES: every image the run builds, as "APP VARIANT BUILDER"; each
# builder builds its apps in this order, single-stage first.
IMAGES=()
list_images() {
	local app variant builder
	for app in "${APPS[@]}"; do
		for variant in "${VARIANTS[@]}"; do
			for builder in "${BUILDERS[@]}"; do
				if [[ $builder == buildkit || " ${LEGACY_APPS[*]} " == *" $app "* ]]; then
					IMAGES+=("$app $variant $builder")
				fi
			done
		done
	done
}
list_images
PODMAN_APP=${IMGDIFF_E2E_PODMAN_APP:-goscratch}
[[ " ${APPS[*]} " == *" $PODMAN_APP "* ]] || PODMAN_APP=${APPS[0]}

# Debian's docker client: it has both the legacy builder and BuildKit
# (DOCKER_BUILDKIT=1) built in. A newer client elsewhere on PATH may lack
# buildx, which BuildKit builds need there.
DOCKER=/usr/bin/docker

export PATH=/usr/local/go/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgdiff-e2e.XXXXXX")
RUN=$WORK/run   # sockets, pid files, daemon state
DATA=$WORK/data # docker and containerd data roots, registry storage
OUT=$WORK/out   # archives, OCI layout, the manifest the Go test reads
LOGS=$WORK/logs
mkdir -p "$RUN" "$DATA" "$OUT" "$LOGS"

# Everything docker-related goes to our own daemon and our own client config
# (so a push never writes to the user's ~/.docker).
export DOCKER_HOST=unix://$RUN/docker.sock
export DOCKER_CONFIG=$WORK/docker-config
mkdir -p "$DOCKER_CONFIG"

CONTAINERD_PID= DOCKERD_PID= REGISTRY_PID= REGISTRY= HOLD_PID= SUMMARY=
PODMAN_PID= PODMAN_HOST=unix://$RUN/podman.sock TLS_HOST= TLS_DIR=$RUN/tls
CURRENT_PHASE= PHASE_START=
PHASES=()

log() { printf 'e2e: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# secs MS: milliseconds as seconds with one decimal.
secs() { printf '%d.%ds' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# phase NAME FUNC: runs FUNC and prints how long it took.
phase() {
	local name=$1 start took
	shift
	log "== $name"
	start=$(now_ms)
	CURRENT_PHASE=$name PHASE_START=$start
	"$@"
	CURRENT_PHASE=
	took=$(($(now_ms) - start))
	PHASES+=("$(printf '%-12s %8s' "$name" "$(secs "$took")")")
	log "== $name done in $(secs "$took")"
}

# show_log FILE: the tail of a log, for a failure message.
show_log() {
	[[ -f $1 ]] || return 0
	log "--- last lines of $1:"
	tail -n 40 "$1" >&2 || true
}

# ---------------------------------------------------------------- install

# Packages this script needs, by the command that proves each is there.
declare -A NEED=(
	[dockerd]=docker.io [containerd]=containerd [runc]=runc
	[docker-registry]=docker-registry [skopeo]=skopeo
	[debootstrap]=debootstrap [curl]=curl [jq]=jq [git]=git
	[podman]=podman [openssl]=openssl [rpmbuild]=rpm [python3]=python3
)

install_packages() {
	local missing=() cmd
	for cmd in "${!NEED[@]}"; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
	done
	[[ -x $DOCKER ]] || missing+=(docker.io)
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	if ((${#missing[@]} == 0)); then
		log "all packages present"
		return
	fi
	log "installing: ${missing[*]}"
	# Installing docker.io or containerd would start their system services;
	# this run uses its own daemons, so keep the system's from starting
	# (policy-rc.d is Debian's switch for that), unless one is already set.
	local policy=/usr/sbin/policy-rc.d ours=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && ours=1
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOGS/apt.log" 2>&1 ||
		{ [[ -n $ours ]] && rm -f "$policy"; show_log "$LOGS/apt.log"; die "apt-get install failed"; }
	[[ -n $ours ]] && rm -f "$policy"
	return 0
}

# ------------------------------------------------------------------ start

# wait_for SECONDS PID DESCRIPTION CMD...: retries CMD until it succeeds,
# the process PID dies, or time runs out.
wait_for() {
	local deadline=$((SECONDS + $1)) pid=$2 what=$3
	shift 3
	until "$@" >/dev/null 2>&1; do
		kill -0 "$pid" 2>/dev/null || return 1
		((SECONDS < deadline)) || { log "$what did not come up in time"; return 1; }
		sleep 0.2
	done
}

start_daemons() {
	# Our own containerd: left to itself, dockerd would attach to a system
	# containerd whenever /run/containerd/containerd.sock exists.
	mkdir -p "$RUN/containerd" "$DATA/containerd"
	cat >"$RUN/containerd.toml" <<-EOF
		version = 2
		root = "$DATA/containerd"
		state = "$RUN/containerd"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$RUN/containerd/containerd.sock"
		[ttrpc]
		  address = "$RUN/containerd/containerd.sock.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
	EOF
	containerd --config "$RUN/containerd.toml" >"$LOGS/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	wait_for 30 "$CONTAINERD_PID" containerd test -S "$RUN/containerd/containerd.sock" ||
		{ show_log "$LOGS/containerd.log"; die "containerd did not start"; }

	# A daemon.json of our own, so /etc/docker/daemon.json does not apply,
	# and the daemon's key file stays in our run dir, not /etc/docker.
	printf '{"deprecated-key-path": "%s"}\n' "$RUN/key.json" >"$RUN/daemon.json"
	# The same dockerd answers on a loopback TLS port too, demanding a
	# client certificate (--tlsverify): the tcp:// engine of the tests.
	make_certs
	TLS_HOST=tcp://127.0.0.1:$(free_port)
	dockerd --config-file "$RUN/daemon.json" \
		--containerd "$RUN/containerd/containerd.sock" \
		--iptables=false --ip-masq=false --bridge=none \
		--storage-driver=overlay2 \
		-H "$DOCKER_HOST" -H "$TLS_HOST" \
		--tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/server.pem" --tlskey "$TLS_DIR/server-key.pem" \
		--data-root "$DATA/docker" --exec-root "$RUN/exec" \
		--pidfile "$RUN/docker.pid" >"$LOGS/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	wait_for 60 "$DOCKERD_PID" dockerd "$DOCKER" version ||
		{ show_log "$LOGS/dockerd.log"; die "dockerd did not start"; }
	log "dockerd $("$DOCKER" version -f '{{.Server.Version}}') on $DOCKER_HOST and $TLS_HOST (TLS)"

	start_podman
	start_registry
}

# make_certs: a CA, dockerd's server certificate for 127.0.0.1, a client
# certificate (client/ holds ca.pem, cert.pem, key.pem as DOCKER_CERT_PATH
# wants them), and a client directory trusting another CA (wrong-ca/).
make_certs() {
	local d=$TLS_DIR ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	mkdir -p "$d/client" "$d/wrong-ca"
	{
		openssl req -x509 "${ec[@]}" -days 2 -subj /CN=imgdiff-e2e-ca -keyout "$d/ca-key.pem" -out "$d/ca.pem"
		openssl req -x509 "${ec[@]}" -days 2 -subj /CN=imgdiff-e2e-other-ca -keyout "$d/wrong-ca/ca-key.pem" -out "$d/wrong-ca/ca.pem"
		openssl req "${ec[@]}" -subj /CN=127.0.0.1 -keyout "$d/server-key.pem" -out "$d/server.csr"
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 \
			-extfile "$d/server.ext" -out "$d/server.pem"
		openssl req "${ec[@]}" -subj /CN=imgdiff-e2e-client -keyout "$d/client/key.pem" -out "$d/client.csr"
		printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
		openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 \
			-extfile "$d/client.ext" -out "$d/client/cert.pem"
	} >"$LOGS/openssl.log" 2>&1 || { show_log "$LOGS/openssl.log"; die "making the TLS certificates failed"; }
	cp "$d/ca.pem" "$d/client/ca.pem"
	cp "$d/client/cert.pem" "$d/client/key.pem" "$d/wrong-ca/"
}

# start_podman: Podman's Docker-compatible API on a private socket and
# storage, beside dockerd.
start_podman() {
	mkdir -p "$DATA/podman" "$RUN/podman"
	podman --root "$DATA/podman" --runroot "$RUN/podman" --storage-driver overlay \
		--events-backend file --cgroup-manager cgroupfs \
		system service --time=0 "$PODMAN_HOST" >"$LOGS/podman.log" 2>&1 &
	PODMAN_PID=$!
	wait_for 30 "$PODMAN_PID" podman curl -fsS --unix-socket "$RUN/podman.sock" http://podman/_ping ||
		{ show_log "$LOGS/podman.log"; die "podman system service did not start"; }
	log "podman $(podman --version | awk '{print $3}') on $PODMAN_HOST"
}

# load_podman: the BuildKit pair of one app, from the very archives docker
# saved, into Podman (which names them localhost/imgdiff-e2e/APP:TAG).
load_podman() {
	local app=$PODMAN_APP variant t0
	t0=$(now_ms)
	for variant in "${VARIANTS[@]}"; do
		curl -fsS --unix-socket "$RUN/podman.sock" -X POST -H 'Content-Type: application/x-tar' \
			--data-binary "@$OUT/archives/$app-$variant-buildkit.tar" http://podman/images/load >>"$LOGS/podman-load.log" 2>&1 ||
			{ show_log "$LOGS/podman-load.log"; die "loading $app-$variant-buildkit into podman failed"; }
	done
	log "podman load of the $app pair (while the pushes run): $(secs $(($(now_ms) - t0)))"
}

# free_port: a loopback port nothing listens on now. Racy by nature; the
# registry start retries on a bind failure.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

start_registry() {
	local attempt port
	mkdir -p "$DATA/registry"
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$RUN/registry.yml" <<-EOF
			version: 0.1
			log:
			  level: warn
			  accesslog:
			    disabled: true
			storage:
			  filesystem:
			    rootdirectory: $DATA/registry
			http:
			  addr: 127.0.0.1:$port
			  secret: imgdiff-e2e-$port
		EOF
		/usr/bin/docker-registry serve "$RUN/registry.yml" >"$LOGS/registry.log" 2>&1 &
		REGISTRY_PID=$!
		if wait_for 20 "$REGISTRY_PID" registry curl -fsS "http://127.0.0.1:$port/v2/"; then
			REGISTRY=127.0.0.1:$port
			log "registry on $REGISTRY (attempt $attempt)"
			return
		fi
		wait "$REGISTRY_PID" 2>/dev/null || true
		REGISTRY_PID=
	done
	show_log "$LOGS/registry.log"
	die "registry did not start"
}

# ------------------------------------------------------------- base image

# make_base_rootfs DIR: a minimal Debian bookworm, set up the way Debian's
# official images are (no fsync in dpkg, no .deb or package lists kept), so
# apt-get inside builds is as fast as on debian:bookworm-slim.
make_base_rootfs() {
	local dir=$1
	debootstrap --variant=minbase bookworm "$dir" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 ||
		{ show_log "$LOGS/debootstrap.log"; die "debootstrap failed"; }
	echo force-unsafe-io >"$dir/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
	cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<-'EOF'
		DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
	EOF
	echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
	echo 'Acquire::GzipIndexes "true";' >"$dir/etc/apt/apt.conf.d/docker-gzip-indexes"
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*_*
}

base_image() {
	local tarball=$CACHE_DIR/$BASE_VERSION.tar
	if [[ -s $tarball ]]; then
		log "base rootfs from cache: $tarball"
	else
		log "debootstrap $BASE_VERSION (cached afterwards in $tarball)"
		make_base_rootfs "$WORK/rootfs"
		mkdir -p "$CACHE_DIR"
		# Write aside and rename: an interrupted run must not leave a
		# truncated tarball that later runs would trust.
		tar -C "$WORK/rootfs" --numeric-owner --sort=name -cf "$tarball.tmp.$$" .
		mv "$tarball.tmp.$$" "$tarball"
		rm -rf "$WORK/rootfs"
	fi
	"$DOCKER" import "$tarball" "$BASE_IMAGE" >/dev/null
}

# ----------------------------------------------------------------- builds

# prepare_contexts: copies each app's build context into the work dir, and
# fills the Node app's npm-cache/ on the host: containers here cannot reach
# the npm registry over TLS (the host's CA re-signs it), so the Dockerfiles
# install from that cache with `npm ci --offline`.
prepare_contexts() {
	local app tmp
	for app in "${APPS[@]}"; do
		cp -r "$DOCKERFILES/$app" "$WORK/ctx-$app"
	done
	prepare_families
	[[ " ${APPS[*]} " == *" node "* ]] || return 0
	tmp=$WORK/npm-prefetch
	mkdir -p "$tmp"
	cp "$DOCKERFILES/node/package.json" "$DOCKERFILES/node/package-lock.json" "$tmp/"
	(cd "$tmp" && npm ci --cache "$WORK/ctx-node/npm-cache" --ignore-scripts \
		--no-audit --no-fund --loglevel=error >"$LOGS/npm-prefetch.log" 2>&1) ||
		{ show_log "$LOGS/npm-prefetch.log"; die "npm ci on the host failed"; }
	rm -rf "$tmp" "$WORK/ctx-node/npm-cache/_logs"
}

# prepare_families: the package-family apps' roots (families.sh, its
# packages cached in CACHE_DIR), each base imported as an image of its own
# with `docker import -m`: both images of a pair are built on it.
prepare_families() {
	local app t0
	for app in "${APPS[@]}"; do
		[[ $app == rpm || $app == distroless || $app == apk ]] || continue
		t0=$(now_ms)
		"$REPO/testdata/e2e/families.sh" "$CACHE_DIR" "$app" "$WORK/ctx-$app" >"$LOGS/families-$app.log" 2>&1 ||
			{ show_log "$LOGS/families-$app.log"; die "families.sh $app failed"; }
		"$DOCKER" import -m "$app root made by families.sh" "$WORK/ctx-$app/base.tar" "imgdiff-e2e/$app:base" >/dev/null
		rm "$WORK/ctx-$app/base.tar"
		log "$app root and base image: $(secs $(($(now_ms) - t0)))"
	done
}

# build_args APP: the --build-arg values of APP's builds, one a line (the
# manifest lists them too: the suggest test builds with the same).
build_args() {
	echo "BASE=$BASE_IMAGE"
	[[ $1 == node ]] && echo NPM_FLAGS=--offline
	[[ $1 == rpm || $1 == distroless || $1 == apk ]] && echo "FAMILY_BASE=imgdiff-e2e/$1:base"
	return 0
}

# build APP VARIANT BUILDER
build() {
	local app=$1 variant=$2 builder=$3 tag log args=() a
	tag=imgdiff-e2e/$app:$variant-$builder
	log=$LOGS/build-$app-$variant-$builder.log
	args=(build --network host -f "$WORK/ctx-$app/Dockerfile.$variant" -t "$tag")
	while read -r a; do args+=(--build-arg "$a"); done < <(build_args "$app")
	# One retry: on a machine shared with other builds, the client's
	# session with the daemon has dropped mid-build ("unexpected EOF")
	# and apt mirrors time out; the retry reuses the cached steps. A
	# build that fails twice fails the run.
	local attempt
	for attempt in 1 2; do
		if build_once "$app" "$builder" "$log" "${args[@]}"; then
			log "built $tag ($SECONDS s into the run)"
			return 0
		fi
		((attempt == 1)) && { cp "$log" "$log.1"; log "build of $tag failed ($(tail -n 1 "$log")); retrying once"; }
	done
	show_log "$log"
	die "build of $tag failed"
}

# build_once APP BUILDER LOG ARGS...: one docker build, its output in LOG.
build_once() {
	local app=$1 builder=$2 log=$3
	shift 3
	if [[ $builder == buildkit ]]; then
		DOCKER_BUILDKIT=1 "$DOCKER" "$@" --progress plain "$WORK/ctx-$app" >"$log" 2>&1
	else
		DOCKER_BUILDKIT=0 "$DOCKER" "$@" "$WORK/ctx-$app" >"$log" 2>&1
	fi
}

# build_all: each builder builds its IMAGES. The two builders do not share a layer cache, so they run side by side; within one builder,
# the single-stage image goes first and the multi-stage build stage reuses
# its cached toolchain layers.
build_all() {
	prepare_contexts
	local builder im app variant b pids=() pid rc=0
	for builder in "${BUILDERS[@]}"; do
		(
			for im in "${IMAGES[@]}"; do
				read -r app variant b <<<"$im"
				if [[ $b == "$builder" ]]; then
					build "$app" "$variant" "$builder"
				fi
			done
		) &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	((rc == 0)) || die "builds failed"
}

# -------------------------------------------------------------- transports

# write_transports: every image as a docker save archive, in the registry,
# and in one shared OCI layout (one tag per image, so the layout's index
# holds several images). The daemon and the bare name:tag need nothing more.
#
# On 2 cores this phase is CPU-bound, so each layer is compressed once:
# docker push gzips the BuildKit images' layers, as users push; skopeo
# copies the legacy builder's images from their archive to the registry
# with zstd layers (so the registry serves both compressions); the layout
# is then filled from the registry, blobs as they are, with no
# recompression. The saves (mostly I/O) overlap the pushes.
write_transports() {
	local im app variant builder tag name pid pids t0 save_ms=0 zstd_ms=0
	mkdir -p "$OUT/archives"
	for app in "${APPS[@]}"; do
		for variant in "${VARIANTS[@]}"; do
			"$DOCKER" tag "imgdiff-e2e/$app:$variant-buildkit" "$REGISTRY/imgdiff-e2e/$app:$variant-buildkit"
		done
	done
	# Two pushes at once: each gzips on one core, and once the saves are
	# done a single push would leave the other core idle.
	push_buildkit single &
	pids=($!)
	push_buildkit multi &
	pids+=($!)
	for im in "${IMAGES[@]}"; do
		read -r app variant builder <<<"$im"
		tag=imgdiff-e2e/$app:$variant-$builder
		name=$app-$variant-$builder
		t0=$(now_ms)
		"$DOCKER" save -o "$OUT/archives/$name.tar" "$tag"
		save_ms=$((save_ms + $(now_ms) - t0))
		[[ $builder == legacy ]] || continue
		# From the archive rather than docker-daemon: the same bytes,
		# without asking the daemon for a second save.
		t0=$(now_ms)
		skopeo copy -q --dest-tls-verify=false --dest-compress-format zstd \
			"docker-archive:$OUT/archives/$name.tar" "docker://$REGISTRY/$tag" \
			>>"$LOGS/skopeo.log" 2>&1 ||
			{ show_log "$LOGS/skopeo.log"; die "skopeo copy of $tag to the registry failed"; }
		zstd_ms=$((zstd_ms + $(now_ms) - t0))
	done
	log "docker save of every image: $(secs "$save_ms"); skopeo copies of the legacy images to the registry, zstd: $(secs "$zstd_ms")"
	# While the pushes run: Podman loads the pair from the archives.
	load_podman
	for pid in "${pids[@]}"; do
		wait "$pid" || die "docker push failed"
	done
	t0=$(now_ms)
	for im in "${IMAGES[@]}"; do
		read -r app variant builder <<<"$im"
		tag=imgdiff-e2e/$app:$variant-$builder
		skopeo copy -q --src-tls-verify=false \
			"docker://$REGISTRY/$tag" "oci:$OUT/oci:$app-$variant-$builder" \
			>>"$LOGS/skopeo.log" 2>&1 ||
			{ show_log "$LOGS/skopeo.log"; die "skopeo copy of $REGISTRY/$tag to the layout failed"; }
	done
	log "skopeo copies from the registry to the layout, blobs as they are: $(secs $(($(now_ms) - t0)))"
	write_manifest
}

# push_buildkit VARIANT: docker push of the BuildKit images of VARIANT.
# Only the registry keeps the REGISTRY/ name, so a bare REGISTRY/name:tag
# must fall back from the engine to it (skopeo never tags the legacy images
# in the engine).
push_buildkit() {
	local variant=$1 app tag t0
	t0=$(now_ms)
	for app in "${APPS[@]}"; do
		tag=$REGISTRY/imgdiff-e2e/$app:$variant-buildkit
		"$DOCKER" push "$tag" >>"$LOGS/push-$variant.log" 2>&1 ||
			{ show_log "$LOGS/push-$variant.log"; die "docker push $tag failed"; }
		"$DOCKER" rmi "$tag" >/dev/null
	done
	log "docker push of the $variant-stage BuildKit images: $(secs $(($(now_ms) - t0)))"
}

# write_manifest: what the Go test reads to know which images exist and
# where each transport's copy is.
write_manifest() {
	local first=1 im app variant builder name args
	{
		printf '{\n  "registry": "%s",\n  "ociLayout": "%s",\n  "base": "%s",\n' "$REGISTRY" "$OUT/oci" "$BASE_IMAGE"
		printf '  "engines": {"podman": "%s", "podmanApp": "%s", "tlsHost": "%s", "tlsCerts": "%s", "wrongCA": "%s"},\n' \
			"$PODMAN_HOST" "$PODMAN_APP" "$TLS_HOST" "$TLS_DIR/client" "$TLS_DIR/wrong-ca"
		printf '  "images": [\n'
		for im in "${IMAGES[@]}"; do
			read -r app variant builder <<<"$im"
			name=$app-$variant-$builder
			args=$(build_args "$app" | sed 's/.*/"&"/' | paste -sd, - | sed 's/,/, /g')
			((first)) || printf ',\n'
			first=0
			printf '    {"app": "%s", "variant": "%s", "builder": "%s", "tag": "%s", "archive": "%s", "ociTag": "%s", "context": "%s", "buildArgs": [%s]}' \
				"$app" "$variant" "$builder" "imgdiff-e2e/$app:$variant-$builder" \
				"$OUT/archives/$name.tar" "$name" "$WORK/ctx-$app" "$args"
		done
		printf '\n  ]\n}\n'
	} >"$OUT/images.json"
}

# ------------------------------------------------------------------ tests

run_tests() {
	cd "$REPO"
	local rc=0 passed failed
	IMGDIFF_E2E_MANIFEST=$OUT/images.json IMGDIFF_E2E_DOCKER=$DOCKER IMGDIFF_E2E_LOGS=$LOGS \
		go test -tags e2e -count=1 -timeout 45m -v ./cmd/imgdiff/ -run "${IMGDIFF_E2E_RUN:-E2E}" 2>&1 |
		tee "$LOGS/go-test.log" || rc=$?
	# Tests and subtests, for the closing line.
	passed=$(grep -cE '^ *--- PASS' "$LOGS/go-test.log" || true)
	failed=$(grep -cE '^ *--- FAIL' "$LOGS/go-test.log" || true)
	SUMMARY="$passed passed, $failed failed"
	((rc == 0)) || die "go test failed (exit $rc)"
}

# html_reports: the HTML report of the Go pair (compare, and analyze of
# the single-stage image) and screenshots of it and of the browser tests'
# views, kept with the logs for people to look at (issue 17). Not a check:
# the browser tests in make test are; a machine without chromium skips it.
html_reports() {
	cd "$REPO"
	local dir=$LOGS/html bin=$WORK/imgdiff-html a b
	mkdir -p "$dir"
	a=$OUT/archives/go-single-buildkit.tar b=$OUT/archives/go-multi-buildkit.tar
	[[ -f $a && -f $b ]] || { log "html: no Go pair built, skipped"; return 0; }
	go build -o "$bin" ./cmd/imgdiff
	"$bin" compare --no-config "docker-archive:$a" "docker-archive:$b" \
		--dockerfile-a testdata/dockerfiles/go/Dockerfile.single --dockerfile-b testdata/dockerfiles/go/Dockerfile.multi \
		-o html --output-file "$dir/go-compare.html"
	"$bin" analyze --no-config "docker-archive:$a" --dockerfile testdata/dockerfiles/go/Dockerfile.single \
		-o html --output-file "$dir/go-single.html"
	if ! command -v chromium >/dev/null; then
		log "html: reports in $dir; no chromium, no screenshots"
		return 0
	fi
	local page
	for page in go-compare go-single; do
		chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1800 \
			--screenshot="$dir/$page.png" "file://$dir/$page.html" >/dev/null 2>&1 ||
			log "html: screenshot of $page failed"
	done
	IMGDIFF_SCREENSHOT_DIR=$dir go test -count=1 -run Browser ./report/html/ >"$dir/browser-tests.log" 2>&1 ||
		log "html: browser tests failed (see $dir/browser-tests.log)"
	log "html: reports and screenshots in $dir"
}

# ------------------------------------------- release, action, own image

# The release the Action downloads under act (issue 25): make release for
# this machine's platform only (the five platforms cost a cold compile
# each); tools/release/e2e_test.go checks the archive, its checksum and the
# binary's --version. The Go e2e tests then test that binary
# (IMGDIFF_E2E_BIN): what users download, compiled once.
RELEASE_VERSION=v0.0.0-e2e
ACT_MODULE=github.com/nektos/act@v0.2.89
ACT_INSTALL_PID= RELEASE_BIN=

release_archive() {
	cd "$REPO"
	local goarch
	goarch=$(go env GOARCH)
	make release VERSION="$RELEASE_VERSION" DIST="$OUT/dist" PLATFORMS="linux/$goarch" \
		>"$LOGS/release.log" 2>&1 || { show_log "$LOGS/release.log"; die "make release failed"; }
	IMGDIFF_E2E_DIST=$OUT/dist IMGDIFF_E2E_VERSION=$RELEASE_VERSION \
		go test -tags e2e -count=1 -run TestReleaseOutput ./tools/release/ >"$LOGS/release-test.log" 2>&1 ||
		{ show_log "$LOGS/release-test.log"; die "the release archive failed its checks"; }
	mkdir -p "$WORK/release"
	tar -xzf "$OUT/dist/imgdiff_${RELEASE_VERSION#v}_linux_$goarch.tar.gz" -C "$WORK/release" imgdiff
	RELEASE_BIN=$WORK/release/imgdiff
	export IMGDIFF_E2E_BIN=${IMGDIFF_E2E_BIN:-$RELEASE_BIN}
}

# act_install_start: go install of act in the background, from the start
# of the run (it overlaps the image builds); action_under_act waits for it.
act_install_start() {
	mkdir -p "$WORK/bin"
	(cd "$REPO" && GOBIN=$WORK/bin exec nice go install "$ACT_MODULE") >"$LOGS/act-install.log" 2>&1 &
	ACT_INSTALL_PID=$!
}

# action_under_act: the repository's GitHub Action under nektos/act, as a
# pull request runs it (cmd/imgdiff/e2e_action_test.go).
action_under_act() {
	cd "$REPO"
	[[ -n $ACT_INSTALL_PID ]] || act_install_start
	wait "$ACT_INSTALL_PID" || { show_log "$LOGS/act-install.log"; die "go install $ACT_MODULE failed"; }
	ACT_INSTALL_PID=
	log "act ready after $(secs $(($(now_ms) - PHASE_START)))"
	local rc=0
	IMGDIFF_ACT=$WORK/bin/act IMGDIFF_E2E_DIST=$OUT/dist IMGDIFF_E2E_VERSION=$RELEASE_VERSION \
		IMGDIFF_E2E_MANIFEST=$OUT/images.json IMGDIFF_E2E_DOCKER=$DOCKER IMGDIFF_E2E_LOGS=$LOGS \
		go test -tags e2e -count=1 -timeout 20m -v -run TestActAction ./cmd/imgdiff/ >"$LOGS/act-test.log" 2>&1 || rc=$?
	grep -E '^(=== RUN|--- |\s+e2e_action_test.go:[0-9]+: act run)' "$LOGS/act-test.log" >&2 || true
	((rc == 0)) || { tail -n 80 "$LOGS/act-test.log" >&2; die "the Action under act failed"; }
}

# self_image: imgdiff's own image (the root Dockerfile, multi-stage) and a
# single-stage build of itself (testdata/selfimage), compared by imgdiff:
# the report is printed and kept in .e2e/self-image.md. No Go image is
# reachable here, so a stand-in for golang:*-bookworm is made from the base
# image, this machine's Go and its CA bundle; the context is the tracked
# files with the modules vendored (builds cannot download).
self_image() {
	cd "$REPO"
	local gi=$WORK/go-image ctx=$WORK/self-ctx bin=${RELEASE_BIN:-$WORK/imgdiff-self} gover
	gover=$(go env GOVERSION)
	mkdir -p "$gi" "$ctx"
	cp -a "$(go env GOROOT)" "$gi/go"
	cp /etc/ssl/certs/ca-certificates.crt "$gi/"
	cat >"$gi/Dockerfile" <<-EOF
		FROM $BASE_IMAGE
		COPY go /usr/local/go
		COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
		ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOTOOLCHAIN=local
	EOF
	DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "imgdiff-e2e/golang:$gover" "$gi" >"$LOGS/self-go-image.log" 2>&1 ||
		{ show_log "$LOGS/self-go-image.log"; die "the Go image stand-in did not build"; }
	rm -rf "$gi"
	git ls-files -z | xargs -0 cp --parents -t "$ctx"
	go mod vendor -o "$ctx/vendor" >"$LOGS/self-vendor.log" 2>&1 || { show_log "$LOGS/self-vendor.log"; die "go mod vendor failed"; }
	local f tag
	for f in testdata/selfimage/Dockerfile.single Dockerfile; do
		tag=imgdiff-e2e/self:multi
		[[ $f == Dockerfile ]] || tag=imgdiff-e2e/self:single
		DOCKER_BUILDKIT=1 "$DOCKER" build --network host -f "$ctx/$f" -t "$tag" \
			--build-arg "GO_IMAGE=imgdiff-e2e/golang:$gover" --build-arg "VERSION=$RELEASE_VERSION" \
			--progress plain "$ctx" >"$LOGS/self-build.log" 2>&1 ||
			{ show_log "$LOGS/self-build.log"; die "docker build -f $f failed"; }
	done
	"$DOCKER" run --rm --network none imgdiff-e2e/self:multi --version | grep -qF "$RELEASE_VERSION" ||
		die "imgdiff's own image does not run --version"
	[[ -x $bin ]] || go build -o "$bin" ./cmd/imgdiff
	mkdir -p "$REPO/.e2e"
	local rc=0
	"$bin" compare --no-config docker-daemon:imgdiff-e2e/self:single docker-daemon:imgdiff-e2e/self:multi \
		--dockerfile-a testdata/selfimage/Dockerfile.single --dockerfile-b Dockerfile \
		-o markdown >"$REPO/.e2e/self-image.md" 2>"$LOGS/self-compare.log" || rc=$?
	((rc <= 1)) || { show_log "$LOGS/self-compare.log"; die "imgdiff compare of its own images failed (exit $rc)"; }
	log "imgdiff on its own image (single-stage build vs the Dockerfile), kept in .e2e/self-image.md:"
	cat "$REPO/.e2e/self-image.md" >&2
}

# ---------------------------------------------------------------- cleanup

# stop PID NAME: SIGTERM, then SIGKILL if it lingers.
stop() {
	local pid=$1 name=$2 i
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.2
	done
	log "$name did not stop in 20s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# cleanup runs on every exit. It must run to its end whatever fails on the
# way: errexit (set -e) still holds inside an EXIT trap, so one failing
# command here (a kill of a background job that already finished: the act
# install is done by the time the tests fail) would end the script with the
# daemons still up and no timings. So errexit (and nounset) are off here, and every step
# tolerates what it finds.
cleanup() {
	local rc=$? start
	set +eu
	trap - EXIT INT TERM
	start=$(now_ms)
	# A phase that failed (or was interrupted) still gets its line.
	if [[ -n $CURRENT_PHASE ]]; then
		PHASES+=("$(printf '%-12s %8s (failed)' "$CURRENT_PHASE" "$(secs $((start - PHASE_START)))")")
	fi
	log "== cleanup"
	stop "$HOLD_PID" hold
	stop "$ACT_INSTALL_PID" "go install act"
	stop "$REGISTRY_PID" registry
	stop "$PODMAN_PID" podman
	stop "$DOCKERD_PID" dockerd
	stop "$CONTAINERD_PID" containerd
	# dockerd unmounts its overlays when it stops; after a SIGKILL some may
	# remain, and rm would fail on them.
	local m
	for m in $(awk -v d="$WORK/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	if ((rc != 0)); then
		# Keep the logs where a developer or CI can find them.
		mkdir -p "$REPO/.e2e"
		rm -rf "$REPO/.e2e/logs"
		cp -r "$LOGS" "$REPO/.e2e/logs" 2>/dev/null || true
		log "logs kept in $REPO/.e2e/logs"
	fi
	if [[ ${IMGDIFF_E2E_KEEP:-} == 1 ]]; then
		log "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	PHASES+=("$(printf '%-12s %8s' cleanup "$(secs $(($(now_ms) - start)))")")
	log "timings:"
	printf '  %s\n' "${PHASES[@]}" >&2
	local total=$((SECONDS))
	log "total ${total}s"
	if ((rc == 0)); then log "PASS"; else log "FAIL (exit $rc)"; fi
	# Last, alone on its line: how many tests and subtests passed.
	if [[ -n $SUMMARY ]]; then printf 'e2e: %s\n' "$SUMMARY"; fi
	exit "$rc"
}

# reap_stale: removes the work dirs of earlier runs that were killed before
# their cleanup ran (their dockerd is gone but its data root may still be
# mounted, and they hold gigabytes).
reap_stale() {
	local dir pid m
	for dir in "${TMPDIR:-/tmp}"/imgdiff-e2e.*; do
		[[ -d $dir && $dir != "$WORK" && -d $dir/run ]] || continue
		pid=$(cat "$dir/run/docker.pid" 2>/dev/null || true)
		[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && continue # a live run
		for m in $(awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
		rm -rf "$dir" && log "removed the leftovers of an earlier run: $dir"
	done
}

main() {
	[[ $(id -u) == 0 ]] || die "run as root: dockerd needs it"
	trap cleanup EXIT
	reap_stale
	# Ctrl-C and TERM exit through the same cleanup.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	phase install install_packages
	act_install_start
	phase start start_daemons
	phase base-image base_image
	phase builds build_all
	phase transports write_transports
	if [[ ${IMGDIFF_E2E_HOLD:-} == 1 ]]; then
		hold
	fi
	phase release release_archive
	phase tests run_tests
	phase html html_reports
	phase action action_under_act
	phase self-image self_image
}

# hold: for working on the Go test. Leaves the daemons up with the images
# ready and prints how to run the test by hand; Ctrl-C (or TERM) stops and
# cleans up.
hold() {
	cat >"$WORK/env.sh" <<-EOF
		export DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG
		export IMGDIFF_E2E_MANIFEST=$OUT/images.json IMGDIFF_E2E_DOCKER=$DOCKER IMGDIFF_E2E_LOGS=$LOGS
	EOF
	log "holding: . $WORK/env.sh && go test -tags e2e -count=1 -v ./cmd/imgdiff/ -run E2E"
	log "Ctrl-C (or kill -TERM $$) stops the daemons and cleans up"
	sleep infinity &
	HOLD_PID=$!
	wait "$HOLD_PID" || true
}

main "$@"
