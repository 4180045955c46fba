#!/usr/bin/env bash
# Runs the fuzz targets one after the other, each for a fixed time, with
# AddressSanitizer (cargo fuzz's default), and reports for each: executions,
# time, coverage, and whether it crashed. Exits non-zero if any target
# crashed (or failed to build or run).
#
#     fuzz/run.sh [seconds-per-target] [target...]
#         seconds-per-target  default 1800
#         target              parse_message, relay_nesting, handle_frame
#                             (default: all three)
#
# Inputs: fuzz/corpus/<target>/ (the committed seeds, read only) and
# fuzz/corpus-work/<target>/ (what the fuzzer found so far: grows, ignored by
# git). Crashes: fuzz/artifacts/<target>/ (ignored by git). Logs:
# fuzz/corpus-work/logs/<target>.log.
#
# Environment: FUZZ_TOOLCHAIN (default nightly), FUZZ_ARGS (more libFuzzer
# flags, e.g. "-dict=... -max_len=8192").
set -uo pipefail

FUZZ_DIR="$(cd "$(dirname "$0")" && pwd)"
ALL=(parse_message relay_nesting handle_frame)
SECS="${1:-1800}"
[ $# -gt 0 ] && shift
case "$SECS" in
  '' | *[!0-9]*) echo "run.sh: seconds-per-target must be a number, got '$SECS'" >&2; exit 2 ;;
esac
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
for t in "${TARGETS[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "run.sh: no target '$t' (${ALL[*]})" >&2; exit 2; }
done
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"
command -v cargo-fuzz >/dev/null || { echo "run.sh: cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }

cd "$FUZZ_DIR"
echo "== building (cargo +$TOOLCHAIN fuzz build)"
if ! cargo "+$TOOLCHAIN" fuzz build >"$FUZZ_DIR/.build.log" 2>&1; then
  tail -40 "$FUZZ_DIR/.build.log" >&2
  echo "run.sh: build failed" >&2
  exit 2
fi
rm -f "$FUZZ_DIR/.build.log"

mkdir -p corpus-work/logs
failed=0
summary=()
for t in "${TARGETS[@]}"; do
  work="$FUZZ_DIR/corpus-work/$t"
  seeds="$FUZZ_DIR/corpus/$t"
  artifacts="$FUZZ_DIR/artifacts/$t"
  log="$FUZZ_DIR/corpus-work/logs/$t.log"
  mkdir -p "$work" "$seeds" "$artifacts"
  before="$(ls "$artifacts")"
  echo "== $t: ${SECS}s (log: ${log#"$FUZZ_DIR"/})"
  start=$(date +%s)
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  cargo "+$TOOLCHAIN" fuzz run "$t" "$work" "$seeds" -- \
    -max_total_time="$SECS" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  [ -n "$execs" ] || execs="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
  last="$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -1)"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")"
  ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")"
  corp="$(sed -nE 's/.* corp: ([0-9]+\/[0-9a-zA-Z]+).*/\1/p' <<<"$last")"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)"
  # Fuzzing time as libFuzzer counts it (wall time also has any rebuild).
  fuzzed="$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)"
  new="$(comm -13 <(echo "$before") <(ls "$artifacts"))"
  if [ "$rc" -eq 0 ] && [ -z "$new" ]; then
    verdict="no crash"
  else
    verdict="CRASHED (exit $rc)"
    failed=1
  fi
  line="$(printf '%-14s execs %-10s time %5ss (wall %ss)  cov %-5s ft %-6s corpus %-10s rss %sMB  %s' \
    "$t" "${execs:-?}" "${fuzzed:-?}" "$elapsed" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$verdict")"
  summary+=("$line")
  echo "$line"
  if [ "$verdict" != "no crash" ]; then
    for f in $new; do
      echo "   artifact: fuzz/artifacts/$t/$f"
      size=$(stat -c %s "$artifacts/$f")
      echo "   input ($size bytes, hex$([ "$size" -le 2048 ] || echo ", first 2048 bytes")):"
      echo "   $(head -c 2048 "$artifacts/$f" | od -An -v -tx1 | tr -d ' \n')"
    done
    # The panic or sanitizer report and its stack.
    grep -nE "panicked at|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY:" "$log" | head -5 | sed 's/^/   /'
    awk '/panicked at|==[0-9]+== ?ERROR/{p=1} /^note: Some details/{exit} p&&n<60{print "   " $0; n++}' "$log"
    echo "   reproduce: cargo +$TOOLCHAIN fuzz run $t fuzz/artifacts/$t/<file>"
  fi
done

echo
echo "== summary (${SECS}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
