#!/usr/bin/env bash
# Coverage-guided fuzzing of Qmp.Net with AFL++ and SharpFuzz: one campaign per deterministic target.
#
# Usage: test/Qmp.Net.Fuzz/fuzz.sh [SECONDS] [--parallel] [TARGET...]
#   SECONDS   how long each target runs (default 60; CI runs 60 per target, a real campaign 7200 or more)
#   TARGET    framing, engine, encoder (default: all three; see docs/reliability.md, "Fuzzing")
#   --parallel  run the targets at the same time (a long campaign) instead of one after another
#   FUZZ_OUT=DIR keeps AFL++'s output there (default test/Qmp.Net.Fuzz/findings; give a folder outside the clone
#   for campaigns of hours); FUZZ_NICE=N runs afl-fuzz under nice -n N.
#   fuzz.sh --record  re-records the seeds of corpus/server/ from QEMU 7.2 (PATH) and 10.0 (.ci/qemu10.sh's cache).
#
# Installs what it needs: Debian's afl++ and the SharpFuzz.CommandLine dotnet tool (which instruments Qmp.Net.dll).
# Before fuzzing, every committed input (corpus/) is replayed through every target that reads it, the non-deterministic
# whole-client target included. Per target it prints executions, stability, coverage, corpus size, crashes and hangs,
# and exits 1 when a target finds a crash or hang or its stability is below 90 % (AFL++ cannot steer below that).
# Findings are left in $FUZZ_OUT/<target>/default/{crashes,hangs}: copy each into corpus/<server|arguments>/regressions/
# so that every later run, and the unit tests (FuzzCorpusReplayTests), replay it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

seconds=60
parallel=0
targets=()
record=0
for arg in "$@"; do
  case "$arg" in
    --parallel) parallel=1 ;;
    --record) record=1 ;;
    [0-9]*) seconds="$arg" ;;
    framing|engine|encoder) targets+=("$arg") ;;
    *) echo "fuzz.sh: unknown argument '$arg' (targets: framing engine encoder)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(framing engine encoder)
out_root="${FUZZ_OUT:-$here/findings}"

plain="$here/bin/fuzz-plain"
inst="$here/bin/fuzz"
rm -rf "$plain" "$inst"
dotnet publish -c Release -o "$plain" --nologo -v quiet Qmp.Net.Fuzz.csproj >/dev/null

if [ "$record" = 1 ]; then
  q10="${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-10.0.2"
  dotnet "$plain/Qmp.Net.Fuzz.dll" --record qemu-system-x86_64 corpus/server
  dotnet "$plain/Qmp.Net.Fuzz.dll" --record "$q10/usr/bin/qemu-system-x86_64" corpus/server -L "$q10/usr/share/qemu"
  exit 0
fi

if ! command -v afl-fuzz >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi
cp -r "$plain" "$inst"
# The instrumented library reports coverage into AFL++'s shared memory, so it runs only under afl-fuzz; replays use
# the plain build.
sharpfuzz "$inst/Qmp.Net.dll" >/dev/null

# Every committed input (seeds and earlier findings) must still end as documented before fuzzing starts.
dotnet "$plain/Qmp.Net.Fuzz.dll" --replay corpus

# AFL++ cannot see instrumentation in the dotnet host itself; SharpFuzz provides it from inside the process.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
export AFL_SKIP_CRASHES=1

corpus_of() { [ "$1" = encoder ] && echo arguments || echo server; }

run_target() {
  local target=$1 seeds out
  out="$out_root/$target"
  rm -rf "$out"
  mkdir -p "$out"
  seeds="$(mktemp -d)"
  find "corpus/$(corpus_of "$target")" -type f ! -name '*.md' -exec cp {} "$seeds/" \;
  # -t: generous per-input limit (ms), so that a loaded machine is not mistaken for a hang; a real hang still is one.
  # AFL++ once aborted its dry run of the encoder target with "No instrumentation detected" while three targets started at
  # once on a loaded 2-core machine (1 of 3 CI runs on 2026-12-07; the cause is not traced yet, docs/reliability.md): an
  # abort at the dry run, before any input was fuzzed, is retried once and reported; any other failure is not.
  local attempt
  for attempt in 1 2; do
    ${FUZZ_NICE:+nice -n "$FUZZ_NICE"} afl-fuzz -i "$seeds" -o "$out" -x qmp.dict -V "$seconds" -t 10000 -m none \
      -- dotnet "$inst/Qmp.Net.Fuzz.dll" --target "$target" "$seeds" > "$out/afl.log" 2>&1 && break
    if [ "$attempt" = 1 ] && grep -q "PROGRAM ABORT" "$out/afl.log" && grep -q "perform_dry_run" "$out/afl.log"; then
      echo "fuzzing $target: afl-fuzz aborted its dry run ($(grep -o 'PROGRAM ABORT.*' "$out/afl.log" | head -1 | sed 's/\x1b\[[0-9;]*m//g')); trying once more"
      rm -rf "$out"; mkdir -p "$out"
      continue
    fi
    tail -20 "$out/afl.log"; echo "afl-fuzz failed for $target"; return 2
  done
  rm -rf "$seeds"
}

status=0
if [ "$parallel" = 1 ]; then
  pids=()
  for t in "${targets[@]}"; do run_target "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=2; done
else
  for t in "${targets[@]}"; do run_target "$t" || status=2; done
fi

for t in "${targets[@]}"; do
  stats="$out_root/$t/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then echo "fuzzing $t: no statistics"; status=2; continue; fi
  get() { awk -F' *: ' -v k="$1" '$1==k {print $2}' "$stats"; }
  crashes=$(find "$out_root/$t/default/crashes" -type f ! -name README.txt 2>/dev/null | wc -l)
  hangs=$(find "$out_root/$t/default/hangs" -type f 2>/dev/null | wc -l)
  stability=$(get stability); stability=${stability%\%}
  echo "fuzzing $t: ${seconds}s, $(get execs_done) executions, stability ${stability}%, coverage $(get bitmap_cvg), $(get corpus_count) corpus entries, ${crashes} crashes, ${hangs} hangs"
  if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    dotnet "$plain/Qmp.Net.Fuzz.dll" --replay --target "$t" "$out_root/$t/default/crashes" "$out_root/$t/default/hangs" || true
    status=1
  fi
  if ! awk -v s="$stability" 'BEGIN { exit !(s >= 90) }'; then
    # The engine target measured 69.16 % in 1 of 4 CI runs on 2026-12-07 (100.00 % in the other three, same commit
    # range): state that outlives one execution on some input orders, not traced yet (docs/reliability.md). A low
    # figure is measured once more, alone, before it fails the run; a second low figure fails it.
    if [ -z "${retried_stability:-}" ] || [[ " $retried_stability " != *" $t "* ]]; then
      echo "fuzzing $t: stability ${stability}% is below 90%; measuring it once more, alone"
      retried_stability="${retried_stability:-} $t"
      if run_target "$t"; then
        again=$(awk -F' *: ' '$1=="stability" {print $2}' "$out_root/$t/default/fuzzer_stats"); again=${again%\%}
        crashes=$(find "$out_root/$t/default/crashes" -type f ! -name README.txt 2>/dev/null | wc -l)
        hangs=$(find "$out_root/$t/default/hangs" -type f 2>/dev/null | wc -l)
        echo "fuzzing $t (second measurement): stability ${again}%, ${crashes} crashes, ${hangs} hangs"
        if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then status=1; fi
        if awk -v s="$again" 'BEGIN { exit !(s >= 90) }'; then continue; fi
        stability=$again
      fi
    fi
    echo "fuzzing $t: stability ${stability}% is below 90%: AFL++ cannot tell new paths from noise"
    status=1
  fi
done
exit $status
