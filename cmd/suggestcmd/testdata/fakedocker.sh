#!/bin/sh
# A docker CLI for tests of `imgdiff suggest --verify`: it logs each call
# (DOCKER_BUILDKIT and its arguments) to $FAKE_LOG and answers as the
# engine would, for a container "*server*" that keeps running (every one
# with $FAKE_WAIT_SLEEP set), "*slow*" that exited 4 but whose `docker
# wait` does not answer before the deadline, and any other, which exits 3
# at once.
# $FAKE_VERSION is the client version, $FAKE_BUILDX set means it has buildx.
echo "DOCKER_BUILDKIT=$DOCKER_BUILDKIT $*" >> "$FAKE_LOG"
case "$1" in
--version) echo "Docker version $FAKE_VERSION, build 1"; exit 0 ;;
version) echo "$FAKE_VERSION"; exit 0 ;;
buildx) [ -n "$FAKE_BUILDX" ] && exit 0; echo "docker: 'buildx' is not a docker command." >&2; exit 1 ;;
build) echo "#1 DONE"; exit 0 ;;
create) echo 0123456789abcdef; exit 0 ;;
container)
	case "$3" in
	*smoke*) echo '[{"Id":"x","Path":"/bin/app","Args":["--version"],"State":{"Pid":0}}]' ;;
	*server*) echo '[{"Id":"x","Path":"/bin/app","Args":[],"State":{"Running":true,"Pid":0}}]' ;;
	*slow*) echo '[{"Id":"x","Path":"/bin/app","Args":[],"State":{"Running":false,"ExitCode":4,"Pid":0}}]' ;;
	*) echo '[{"Id":"x","Path":"/bin/app","Args":[],"State":{"Pid":0}}]' ;;
	esac
	exit 0 ;;
start) exit 0 ;;
wait)
	[ -n "$FAKE_WAIT_SLEEP" ] && exec sleep 30
	case "$2" in
	*server*) case "$2" in *smoke*) echo 0; exit 0 ;; esac; exec sleep 30 ;;
	*slow*) exec sleep 30 ;; # the CLI lags: the container exited (4) before the deadline
	*) echo 3; exit 0 ;;
	esac ;;
kill|rm|rmi) exit 0 ;;
logs) echo "out 1"; echo "out 2"; echo "2026-12-06T10:00:00Z err" >&2; exit 0 ;;
run)
	printf '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
	printf '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1 0 100 0 0 10 0\n'
	exit 0 ;;
image) echo 1234; exit 0 ;;
esac
echo "fake docker: $1?" >&2
exit 1
