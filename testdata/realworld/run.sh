#!/usr/bin/env bash
# The acceptance of `imgdiff suggest` on projects nobody here wrote (docs/suggest.md,
# "Projects nobody here wrote"). Not part of CI: it needs checkouts of public
# projects (never committed here) and builds them. The checkouts' submodules
# must be checked out too (jq: vendor/oniguruma).
#
#   testdata/realworld/run.sh CHECKOUTS [PROJECT...]
#
# CHECKOUTS holds one checkout per project, named as its projects/NAME.conf says
# (dir=), at the commit it names. For each project, run.sh:
#  1. tags the stand-in base images the Dockerfile names (standins.sh);
#  2. builds the project's own multi-stage image (its Dockerfile, with the
#     conf's sed edits for stand-in names: digests, Debian package names) and
#     its single-stage equivalent (tosingle: the build stage + the final
#     stage's instructions);
#  3. runs `imgdiff suggest SINGLE --dockerfile Dockerfile.single`, builds the
#     suggestion (BuildKit) and checks it: it builds; it runs like the single
#     image (with --network none: exit status or still running after RUN_SECS,
#     TCP ports listened on, the first lines of stdout and of stderr; the conf's smoke command's
#     status and output); ΔS(single, suggested) against ΔS(single, multi) by
#     `imgdiff compare`; the predicted size against the built one
#     (`suggest --check`); and, where this imgdiff has it, `suggest --verify`
#     (its verdict first in the row: pass, fail, cannot build);
#  4. prints one Markdown table row per project (and keeps every file in
#     $WORK/NAME: Dockerfiles, suggestion, prediction, logs).
# Environment: IMGDIFF (default: imgdiff on PATH), DOCKER (/usr/bin/docker),
# WORK (/tmp/realworld), PREFIX (hprojects: the images' names, PREFIX-NAME:multi|single|suggested), KEEP=1 keeps the images, REUSE=1 reuses the kept multi-stage and
# single-stage images (to measure another imgdiff on the same images), RUN_SECS (5).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkouts=$(cd "${1:?usage: run.sh CHECKOUTS [PROJECT...]}" && pwd); shift
docker=${DOCKER:-/usr/bin/docker}
imgdiff=${IMGDIFF:-imgdiff}
work=${WORK:-/tmp/realworld}
run_secs=${RUN_SECS:-5}
prefix=${PREFIX:-hprojects}
export DOCKER_BUILDKIT=1
tosingle=$work/tosingle
mkdir -p "$work"
(cd "$here/../.." && go build -o "$tosingle" ./testdata/realworld/tosingle) || exit 2

projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=($(cd "$here/projects" && ls *.conf | sed 's/\.conf$//'))

probe=${PROBE:-imgdiff-e2e/bookworm:base}
# masktime replaces timestamps in output lines (two runs never print the same ones).
masktime() {
  sed -E -e 's/[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]+)?(Z|[+-][0-9:]{4,5})?)?/<time>/g' \
    -e 's/(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT/<time>/g' \
    -e 's/[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?/<time>/g' \
    -e 's/"(time|pid|hostname)":("[^"]*"|[0-9]+)/"\1":<masked>/g' -e 's/\b[0-9a-f]{12}\b/<container>/g'
}
# behaviour IMAGE ARGS... -> a file of facts: exit/running, listening ports, first lines.
behaviour() {
  local img=$1 out=$2; shift 2
  local c; c=$("$docker" run -d --network none "$img" "$@" 2>"$out.err") || { echo "run-error: $(head -c 200 "$out.err")" > "$out"; return; }
  sleep "$run_secs"
  local running pid code ports
  running=$("$docker" inspect -f '{{.State.Running}}' "$c")
  if [ "$running" = true ]; then
    # listening TCP sockets (state 0A), read in the container's network namespace
    # by a helper container (the image under test may have no shell)
    ports=$("$docker" run --rm --network "container:$c" "$probe" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
      awk '$4=="0A"{split($2,a,":"); print a[2]}' | while read -r h; do echo $((16#$h)); done | sort -un | tr '\n' ' ')
    echo "state: running" > "$out"; echo "ports: $ports" >> "$out"
  else
    code=$("$docker" inspect -f '{{.State.ExitCode}}' "$c"); echo "state: exited $code" > "$out"
  fi
  # stdout and stderr apart: their interleaving in one stream is a race
  "$docker" logs "$c" 2>/dev/null | head -n 3 | masktime | sed 's/^/out: /' >> "$out"
  "$docker" logs "$c" 2>&1 >/dev/null | head -n 3 | masktime | sed 's/^/err: /' >> "$out"
  "$docker" rm -f "$c" >/dev/null 2>&1
}
smoke() { # IMAGE OUT ARGS...
  local img=$1 out=$2; shift 2
  local ep=$1; shift
  timeout 60 "$docker" run --rm --network none --entrypoint "$ep" "$img" "$@" > "$out.raw" 2>&1; echo "smoke exit: $?" > "$out"
  head -n 3 "$out.raw" | masktime | sed 's/^/smoke: /' >> "$out"
}
size() { "$docker" image inspect -f '{{.Size}}' "$1"; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

echo "| project | language / base → final / builder | stand-ins | builds? | runs like original | ΔS suggested / ΔS project multi | prediction error | notes |"
echo "|---|---|---|---|---|---|---|---|"
for name in "${projects[@]}"; do
  conf=$here/projects/$name.conf
  # conf keys (shell variables, data only): dir commit dockerfile context target build bases
  # sed (edits of the project's Dockerfile for stand-ins), run_sub (tosingle -run-sub, ';;'-separated),
  # run_args (arguments of the run comparison), smoke (the smoke command's arguments), lang, notes
  dir= commit= dockerfile=Dockerfile context=. target= build= bases= sed= run_sub= run_args= smoke= lang= notes=
  # shellcheck disable=SC1090
  . "$conf"
  w=$work/$name; rm -rf "$w"; mkdir -p "$w"
  src=$checkouts/$dir
  row() { echo "| $name | $lang | $stand | $1 | $2 | $3 | $4 | $5 |"; }
  stand=$(echo "$bases" | tr ' ' '\n' | sed -n 's/=.*//p' | paste -sd, | sed 's/,/, /g')
  if [ ! -d "$src" ]; then row "no checkout" - - - "$src missing"; continue; fi
  head=$(git -C "$src" rev-parse HEAD 2>/dev/null)
  [ "$head" = "$commit" ] || notes="checkout at ${head:0:12}, conf names ${commit:0:12}; $notes"
  "$here/standins.sh" $bases > "$w/standins.log" 2>&1 || { row "stand-ins failed" - - - "$(tail -1 "$w/standins.log")"; continue; }
  cp "$src/$dockerfile" "$w/Dockerfile.project"
  [ -n "$sed" ] && sed -i -E "$sed" "$w/Dockerfile.project"
  tflag=(); [ -n "$target" ] && tflag=(--target "$target")
  multi=$prefix-$name:multi single=$prefix-$name:single sugg=$prefix-$name:suggested
  # the final stage's base image configuration, for the single-stage conversion
  fbase=$("$tosingle" -f "$w/Dockerfile.project" ${target:+-target "$target"} ${build:+-build "$build"} 2>/dev/null | sed -n 's/^# --- the final stage .* (FROM \(.*\)), on the build stage ---$/\1/p')
  bargs=()
  if [ -n "$fbase" ] && [ "$fbase" != scratch ] && "$docker" image inspect "$fbase" >/dev/null 2>&1; then
    bargs=(-base-entrypoint "$("$docker" image inspect -f '{{json .Config.Entrypoint}}' "$fbase")"
           -base-cmd "$("$docker" image inspect -f '{{json .Config.Cmd}}' "$fbase")"
           -base-user "$("$docker" image inspect -f '{{.Config.User}}' "$fbase")"
           -base-workdir "$("$docker" image inspect -f '{{.Config.WorkingDir}}' "$fbase")")
  fi
  subs=(); IFS=$'\n'; for s in $(echo "$run_sub" | sed 's/;;/\n/g'); do [ -n "$s" ] && subs+=(-run-sub "$s"); done; unset IFS
  "$tosingle" -f "$w/Dockerfile.project" ${target:+-target "$target"} ${build:+-build "$build"} "${bargs[@]}" "${subs[@]}" > "$w/Dockerfile.single" 2> "$w/tosingle.err"
  rc=$?
  has_multi=1
  if [ $rc = 3 ]; then has_multi=0; cp "$w/Dockerfile.project" "$w/Dockerfile.single"; elif [ $rc != 0 ]; then row "conversion failed" - - - "$(head -1 "$w/tosingle.err")"; continue; fi
  t0=$SECONDS
  if [ $has_multi = 1 ] && ! { [ -n "${REUSE:-}" ] && "$docker" image inspect "$multi" >/dev/null 2>&1; }; then
    nice -n 10 "$docker" build --network host -f "$w/Dockerfile.project" "${tflag[@]}" -t "$multi" "$src/$context" > "$w/build-multi.log" 2>&1 || { row "project's own build failed" - - - "$(tail -3 "$w/build-multi.log" | tr '\n|' '  ')"; continue; }
  fi
  stflag=(); [ $has_multi = 0 ] && stflag=("${tflag[@]}")
  { [ -n "${REUSE:-}" ] && "$docker" image inspect "$single" >/dev/null 2>&1; } ||
  nice -n 10 "$docker" build --network host -f "$w/Dockerfile.single" "${stflag[@]}" -t "$single" "$src/$context" > "$w/build-single.log" 2>&1 || { row "single-stage build failed" - - - "$(tail -3 "$w/build-single.log" | tr '\n|' '  ')"; continue; }
  sargs=(); [ $has_multi = 0 ] && [ -n "$target" ] && sargs=(--target "$target")
  (cd "$w" && "$imgdiff" suggest "docker-daemon:$single" --dockerfile Dockerfile.single "${sargs[@]}" --output-file Dockerfile.suggested -o json 2> prediction.json) || { row "suggest failed" - - - "$(tail -1 "$w/prediction.json")"; continue; }
  nice -n 10 "$docker" build --network host -f "$w/Dockerfile.suggested" -t "$sugg" "$src/$context" > "$w/build-suggested.log" 2>&1 || { row "**no**: suggestion does not build" - - - "$(grep -m1 -E 'ERROR|error:' "$w/build-suggested.log" | cut -c1-160 | tr '|' ' ')"; continue; }
  # behaviour: the single-stage image against the suggestion
  eval "rargs=($run_args)"; eval "sargs_smoke=($smoke)"
  behaviour "$single" "$w/run-single.txt" "${rargs[@]}"; behaviour "$sugg" "$w/run-suggested.txt" "${rargs[@]}"
  verdict=same; why=
  if ! diff -q "$w/run-single.txt" "$w/run-suggested.txt" >/dev/null; then verdict="**differs**"; why="run: $(diff "$w/run-single.txt" "$w/run-suggested.txt" | grep '^[<>]' | head -4 | tr '\n|' '  ')"; fi
  if [ -n "$smoke" ]; then
    smoke "$single" "$w/smoke-single.txt" "${sargs_smoke[@]}"; smoke "$sugg" "$w/smoke-suggested.txt" "${sargs_smoke[@]}"
    if ! diff -q "$w/smoke-single.txt" "$w/smoke-suggested.txt" >/dev/null; then verdict="**differs**"; why="$why smoke: $(diff "$w/smoke-single.txt" "$w/smoke-suggested.txt" | grep '^[<>]' | head -4 | tr '\n|' '  ')"; fi
  fi
  # ΔS and the prediction
  "$imgdiff" compare "docker-daemon:$single" "docker-daemon:$sugg" -o json > "$w/compare-suggested.json" 2>/dev/null
  ds_s=$(json "$w/compare-suggested.json" "d['delta']['size']" 2>/dev/null || echo "?")
  ratio="n/a (no multi-stage Dockerfile)"
  if [ $has_multi = 1 ]; then
    "$imgdiff" compare "docker-daemon:$single" "docker-daemon:$multi" -o json > "$w/compare-multi.json" 2>/dev/null
    ds_m=$(json "$w/compare-multi.json" "d['delta']['size']" 2>/dev/null || echo "?")
    ratio=$(python3 -c "import sys; s,m=float(sys.argv[1]),float(sys.argv[2]); print('%.0f%% (%.1f / %.1f MB)%s' % (100*s/m, s/1e6, m/1e6, '' if s>=0.9*m else ' **<90%**'))" "$ds_s" "$ds_m" 2>/dev/null || echo "? ($ds_s / $ds_m)")
  else
    ratio="n/a: single-stage project (ΔS $(python3 -c "import sys; print('%.1f MB' % (float(sys.argv[1])/1e6))" "$ds_s" 2>/dev/null))"
  fi
  (cd "$w" && "$imgdiff" suggest "docker-daemon:$single" --dockerfile Dockerfile.single "${sargs[@]}" --check "docker-daemon:$sugg" -o json > check.json 2> check.err)
  perr=$(json "$w/check.json" "'%+.1f%% (predicted %.1f MB, built %.1f MB)' % (d['sizeErrorPercent'], d['sizes']['predicted']/1e6, d['sizes']['built']/1e6)" 2>/dev/null || echo "? (check.json)")
  # imgdiff's own proof, where this imgdiff has it
  if [[ $("$imgdiff" suggest --help 2>/dev/null) == *--verify* ]]; then
    (cd "$w" && "$imgdiff" suggest "docker-daemon:$single" --dockerfile Dockerfile.single "${sargs[@]}" --verify \
      --docker "$docker" --context-dir "$src/$context" --build-network host ${smoke:+--smoke "$smoke"} > verify.txt 2> verify.err)
    vrc=$?
    case $vrc in 0) v="pass";; 1) v="**fail**";; 2) v="**cannot build**";; *) v="exit $vrc";; esac
    verdict="verify: $v; harness: $verdict"
  fi
  row "yes ($((SECONDS - t0)) s)" "$verdict${why:+: $why}" "$ratio" "$perr" "$notes"
  [ -n "${KEEP:-}" ] || "$docker" rmi "$single" "$sugg" ${has_multi:+$([ $has_multi = 1 ] && echo "$multi")} >/dev/null 2>&1
done
