#!/usr/bin/env bash
# Coverage-guided fuzzing of Qmp.Net's message reader and greeting/negotiation path with AFL++ and SharpFuzz.
# Usage: test/Qmp.Net.Fuzz/fuzz.sh [SECONDS]   (default 60; CI runs 60, a real campaign hours)
# Installs what it needs: Debian's afl++ and the SharpFuzz.CommandLine dotnet tool (which instruments Qmp.Net.dll).
# Exits 1 when AFL++ finds an input that crashes or hangs the client; the inputs are left in
# test/Qmp.Net.Fuzz/findings/default/{crashes,hangs}: copy each into corpus/regressions/ so every run replays it.
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if ! command -v afl-fuzz >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

out="$here/bin/fuzz"
plain="$here/bin/fuzz-plain"
rm -rf "$out" "$plain" findings
dotnet publish -c Release -o "$plain" --nologo -v quiet Qmp.Net.Fuzz.csproj >/dev/null
cp -r "$plain" "$out"
# The instrumented library reports coverage into AFL++'s shared memory, so it runs only under afl-fuzz;
# replays use the plain build.
sharpfuzz "$out/Qmp.Net.dll" >/dev/null

# Every committed input (seeds and earlier findings) must still end as documented before fuzzing starts.
dotnet "$plain/Qmp.Net.Fuzz.dll" --replay corpus

# AFL++ cannot see instrumentation in the dotnet host itself; SharpFuzz provides it from inside the process.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
seeds="$(mktemp -d)"
find corpus -type f -exec cp {} "$seeds/" \;
afl-fuzz -i "$seeds" -o findings -V "$seconds" -t 6000 -m none -- dotnet "$out/Qmp.Net.Fuzz.dll" > findings.log 2>&1 || {
  tail -20 findings.log; echo "afl-fuzz failed"; exit 2; }

stats=findings/default/fuzzer_stats
execs=$(awk -F': ' '/^execs_done/{print $2}' "$stats")
paths=$(awk -F': ' '/^corpus_count/{print $2}' "$stats")
crashes=$(find findings/default/crashes -type f ! -name README.txt 2>/dev/null | wc -l)
hangs=$(find findings/default/hangs -type f 2>/dev/null | wc -l)
echo "fuzzing: ${seconds}s, ${execs} executions, ${paths} corpus entries, ${crashes} crashes, ${hangs} hangs"
if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
  dotnet "$plain/Qmp.Net.Fuzz.dll" --replay findings/default/crashes findings/default/hangs || true
  exit 1
fi
