#!/usr/bin/env bash
# The workflow samples of samples/scripts (mirror, snapshot, migrate; docs/workflows.md), run as written against QEMUs
# started here with small images made by qemu-img. Bounded: each program has 300 s, the whole step takes well under a
# minute once the scripts are built. Needs qemu-system-x86_64 and qemu-img (Debian's qemu-system-x86 and qemu-utils).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v qemu-img >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-utils
fi

dir=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

# Until QEMU listens on the socket, not only until the file exists: QEMU binds (the file appears) before it listens, and a
# connect in between is refused (seen once in 663 stress runs at load 16). /proc/net/unix flags a listening socket 00010000.
wait_socket() {
    for _ in $(seq 100); do
        awk -v p="$1" '$NF == p && $4 == "00010000" { found = 1 } END { exit !found }' /proc/net/unix && return 0
        sleep 0.1
    done
    return 1
}

# Runs a sample with a bound of 300 s. A sample that is still running then is a hang (one was seen in CI on 7 December
# 2026, after migrate.cs had printed its result: not reproduced in 58 runs since, not traced): before it is killed, the
# managed stacks of every .NET process it started are printed with dotnet-stack (installed once into the cache), so the
# next failure says where it hangs. The step still fails.
run_bounded() {
    "$@" &
    local pid=$! waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "${QMP_SAMPLE_BOUND:-300}" ]; do sleep 1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        echo "CI: '$*' still running after ${waited} s: a hang; the stacks of its .NET processes follow" >&2
        local tools="${QMP_CACHE_DIR:-/var/cache/qmp-net}/tools"
        [ -x "$tools/dotnet-stack" ] || timeout 120 dotnet tool install dotnet-stack --tool-path "$tools" >/dev/null 2>&1 || true
        for child in $(pgrep -P "$pid") $(pgrep -f "samples/scripts" || true); do
            [ -x "$tools/dotnet-stack" ] && timeout 30 "$tools/dotnet-stack" report -p "$child" >&2 2>&1 || true
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 124
    fi
    wait "$pid"
}

qemu-img create -q -f qcow2 "$dir/src.qcow2" 16M
qemu-io -f qcow2 -c "write -P 0xa5 0 1M" "$dir/src.qcow2" >/dev/null
qemu-img create -q -f qcow2 "$dir/tgt.qcow2" 16M
qemu-img create -q -f qcow2 "$dir/disk.qcow2" 16M

# mirror and snapshot: a monitor-only QEMU with three qcow2 nodes.
qemu-system-x86_64 -machine none -nodefaults -display none -S -qmp "unix:$dir/jobs.sock,server=on,wait=off" \
    -blockdev "driver=qcow2,node-name=src,file.driver=file,file.filename=$dir/src.qcow2" \
    -blockdev "driver=qcow2,node-name=tgt,file.driver=file,file.filename=$dir/tgt.qcow2" \
    -blockdev "driver=qcow2,node-name=disk,file.driver=file,file.filename=$dir/disk.qcow2" &
pids+=($!)
wait_socket "$dir/jobs.sock"
run_bounded dotnet run samples/scripts/mirror.cs -- "unix:$dir/jobs.sock" src tgt | tee "$dir/mirror.txt"
grep -q "^mirror done" "$dir/mirror.txt"
run_bounded dotnet run samples/scripts/snapshot.cs -- "unix:$dir/jobs.sock" disk ci1 | tee "$dir/snapshot.txt"
grep -q "^deleted 'ci1'" "$dir/snapshot.txt"

# migrate: two QEMUs with the same machine type, the destination waiting with -incoming defer.
machine=(-machine pc-i440fx-7.2 -m 32 -nodefaults -display none)
qemu-system-x86_64 "${machine[@]}" -qmp "unix:$dir/src-qmp.sock,server=on,wait=off" &
pids+=($!)
qemu-system-x86_64 "${machine[@]}" -incoming defer -qmp "unix:$dir/dst-qmp.sock,server=on,wait=off" &
pids+=($!)
wait_socket "$dir/src-qmp.sock"
wait_socket "$dir/dst-qmp.sock"
run_bounded dotnet run samples/scripts/migrate.cs -- "unix:$dir/src-qmp.sock" "unix:$dir/dst-qmp.sock" "unix:$dir/migration.sock" | tee "$dir/migrate.txt"
grep -q "^migration Completed" "$dir/migrate.txt"
echo "CI: workflow samples passed"
