#!/bin/sh
# Cold start of a short-lived Qmp.Net program (issue 22): benchmarks/Qmp.Net.ColdStart (connect, one query-status, exit)
# published three ways (plain JIT, ReadyToRun, Native AOT), each started RUNS times (default 5) in turn against one QEMU 7.2;
# prints the medians as a Markdown table. Usage: benchmarks/coldstart.sh [RUNS]   (from the repository's root)
set -eu
runs=${1:-5}
out=${COLDSTART_DIR:-/tmp/qmpnet-coldstart}
qemu=${QEMU_SYSTEM_X86_64:-qemu-system-x86_64}
rm -rf "$out"
mkdir -p "$out"
for mode in jit r2r aot; do
    case $mode in
        jit) props="--self-contained false" ;;
        r2r) props="--self-contained false -p:PublishReadyToRun=true" ;;
        aot) props="-p:PublishAot=true" ;;
    esac
    # shellcheck disable=SC2086
    if ! timeout 900 dotnet publish benchmarks/Qmp.Net.ColdStart -c Release -r linux-x64 $props -o "$out/$mode" >"$out/publish-$mode.log" 2>&1; then
        echo "coldstart: publishing $mode failed (see $out/publish-$mode.log); left out" >&2
        rm -rf "${out:?}/$mode"
    fi
done
sock="$out/qmp.sock"
"$qemu" -machine none -nodefaults -display none -S -qmp "unix:$sock,server=on,wait=off" &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true' EXIT
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.2
for run in $(seq "$runs"); do
    for mode in jit r2r aot; do
        [ -x "$out/$mode/Qmp.Net.ColdStart" ] || continue
        start=$(date +%s%N)
        line=$("$out/$mode/Qmp.Net.ColdStart" "$sock")
        end=$(date +%s%N)
        echo "$mode $line $(( (end - start) / 1000 ))" >>"$out/times"
    done
done
echo "Load average: $(cut -d' ' -f1-3 /proc/loadavg); median of $runs runs each, the builds taking turns; $(du -sh "$out/aot" 2>/dev/null | cut -f1) for the AOT folder."
echo
echo "| Build | process start → reply | Main → reply | spawn → exit |"
echo "|-------|----------------------:|-------------:|-------------:|"
for mode in jit r2r aot; do
    grep "^$mode " "$out/times" >/dev/null 2>&1 || continue
    median() { grep "^$mode " "$out/times" | awk -v f="$1" '{print $f}' | sort -n | awk '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m}'; }
    printf '| %s | %s ms | %s ms | %s ms |\n' "$mode" "$(median 3)" "$(median 4)" "$(median 5 | awk '{printf "%.0f", $1/1000}')"
done
