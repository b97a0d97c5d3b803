#!/usr/bin/env bash
# CI step for the qmp tool (issue 9): packs Qmp.Net and Qmp.Net.Shell into a temporary folder, installs the tool from
# that local package into a temporary tool path as a user would, and runs the one-shot checks through the installed
# `qmp` against a QEMU started here: success (exit 0, compact JSON), a QEMU error (exit 1), a refused connection
# (exit 2), bad input (exit 2), `events --count`, and the script features of issue 20 (HMP one-shots and -H, -v, -p,
# size suffixes, -e/--until, events followed while commands come from stdin), then a one-shot, a size suffix, -v and
# --until against qemu-storage-daemon monitors: Debian's 7.2 and, when unpacked in the cache, 10.0.2's
# (${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-utils-10.0.2). The tmux end-to-end tests run with the solution's tests;
# tmux is installed here when missing so that they can.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v tmux >/dev/null 2>&1; then
    echo "shell: tmux not found; installing it"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tmux
fi

if [ "${1:-}" = "--install-only" ]; then
    exit 0
fi

work=$(mktemp -d)
qemu_pid=""
cleanup() {
    if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "shell: FAILED: $*" >&2; exit 1; }

# The tool package depends on the library package: pack both into one local source.
dotnet pack src/Qmp.Net -o "$work/pack" -v quiet >/dev/null
dotnet pack src/Qmp.Net.Shell -o "$work/pack" -v quiet >/dev/null
package=$(ls "$work/pack"/Qmp.Net.Shell.*.nupkg | head -n 1)
version=$(basename "$package" .nupkg)
version=${version#Qmp.Net.Shell.}
dotnet tool install Qmp.Net.Shell --version "$version" --tool-path "$work/tools" --add-source "$work/pack"
qmp="$work/tools/qmp"
"$qmp" --version

sock="$work/qmp.sock"
qemu-system-x86_64 -machine none -nodefaults -display none -S -name ci-shell -qmp "unix:$sock,server=on,wait=off" &
qemu_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "QEMU did not create its monitor socket"

expect_exit() {
    local want=$1; shift
    local got=0
    "$@" >"$work/out" 2>"$work/err" || got=$?
    if [ "$got" -ne "$want" ]; then
        cat "$work/out" "$work/err" >&2
        fail "'$*' exited with $got, expected $want"
    fi
}

# Success: one compact JSON line on stdout.
expect_exit 0 "$qmp" "unix:$sock" query-status
grep -qx '{"status":"prelaunch","singlestep":false,"running":false}' "$work/out" || fail "query-status printed: $(cat "$work/out")"
expect_exit 0 "$qmp" "unix:$sock" --json '{"execute": "query-name"}'
grep -qx '{"name":"ci-shell"}' "$work/out" || fail "--json printed: $(cat "$work/out")"

# QEMU answers with an error: exit 1, class and description on stderr.
expect_exit 1 "$qmp" "unix:$sock" device_del id=nope
grep -q "DeviceNotFound: Device 'nope' not found" "$work/err" || fail "device_del's error was: $(cat "$work/err")"

# Nobody listens: exit 2.
expect_exit 2 "$qmp" "unix:$work/nobody.sock" query-status
grep -q "cannot connect to unix:$work/nobody.sock" "$work/err" || fail "refused connection said: $(cat "$work/err")"

# Bad input: exit 2 with a pointer, before anything is sent.
expect_exit 2 "$qmp" "unix:$sock" query-status bogus=1
grep -q "Unknown member 'bogus'" "$work/err" || fail "bad input said: $(cat "$work/err")"
expect_exit 2 "$qmp" "unix:$sock" query-status 'x=[1,'

# events --count: two RESUME events as JSON lines. A monitor serves one client at a time, so this QEMU has a second
# monitor through which the installed qmp (reading commands from stdin) toggles the run state until the watcher is done.
sock2="$work/events.sock"
ctl="$work/control.sock"
qemu-system-x86_64 -machine none -nodefaults -display none -S -qmp "unix:$sock2,server=on,wait=off" -qmp "unix:$ctl,server=on,wait=off" &
qemu2=$!
for _ in $(seq 100); do [ -S "$ctl" ] && break; sleep 0.1; done
( timeout 60 "$qmp" "unix:$sock2" events --count 2 --name RESUME >"$work/events" 2>"$work/events.err"; echo $? >"$work/events.rc" ) &
watcher=$!
for _ in $(seq 300); do
    [ -s "$work/events.rc" ] && break
    printf 'cont\nstop\n' | "$qmp" "unix:$ctl" >/dev/null 2>&1 || true
    sleep 0.1
done
wait "$watcher" || true
kill "$qemu2" 2>/dev/null || true
wait "$qemu2" 2>/dev/null || true
[ "$(cat "$work/events.rc" 2>/dev/null)" = "0" ] || fail "events --count 2 exited with $(cat "$work/events.rc" 2>/dev/null): $(cat "$work/events.err")"
[ "$(grep -c '"event":"RESUME"' "$work/events")" -eq 2 ] || fail "events --count 2 printed: $(cat "$work/events")"
[ "$(wc -l <"$work/events")" -eq 2 ] || fail "events --count 2 printed more than two lines"

# HMP one-shots: the text as QEMU wrote it, with plain line ends and no JSON quoting; -H reads every word as HMP.
expect_exit 0 "$qmp" "unix:$sock" '!info' status
[ "$(cat "$work/out")" = "VM status: paused (prelaunch)" ] || fail "!info status printed: $(od -c "$work/out" | head -n 3)"
grep -q $'\r' "$work/out" && fail "!info status printed a carriage return"
expect_exit 0 "$qmp" -H "unix:$sock" info name
[ "$(cat "$work/out")" = "ci-shell" ] || fail "-H info name printed: $(cat "$work/out")"

# -p indents even when piped; -v echoes the wire on stderr, sizes expanded, the schema's own traffic left out.
expect_exit 0 "$qmp" -p "unix:$sock" query-name
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "-p printed: $(cat "$work/out")"
expect_exit 0 "$qmp" -v "unix:$sock" migrate-set-parameters max-bandwidth=4M
grep -qx '>> {"execute":"migrate-set-parameters","arguments":{"max-bandwidth":4194304}}' "$work/err" || fail "-v said: $(cat "$work/err")"
grep -q 'query-qmp-schema' "$work/err" && fail "-v echoed the schema query"
expect_exit 0 "$qmp" "unix:$sock" query-migrate-parameters
grep -q '"max-bandwidth":4194304' "$work/out" || fail "max-bandwidth=4M did not arrive as 4194304: $(cat "$work/out")"
expect_exit 2 "$qmp" "unix:$sock" block_resize node-name=x size=1G
grep -q "not of QAPI type size" "$work/err" || fail "a suffix on an int that is not a size said: $(cat "$work/err")"

# -e: the events a command causes on the same connection, RESUME before cont's result as QEMU sent it.
expect_exit 0 "$qmp" -e "unix:$sock" cont
[ "$(sed -n 1p "$work/out" | cut -c1-18)" = '{"event":"RESUME",' ] || fail "-e cont printed: $(cat "$work/out")"
[ "$(sed -n 2p "$work/out")" = '{}' ] || fail "-e cont printed: $(cat "$work/out")"
# ... and followed while commands come from standard input.
printf 'stop\ncont\n' | "$qmp" -e "unix:$sock" >"$work/out" 2>"$work/err" || fail "-e with stdin failed: $(cat "$work/err")"
[ "$(grep -o '"event":"[A-Z]*"' "$work/out" | tr '\n' ' ')" = '"event":"STOP" "event":"RESUME" ' ] || fail "-e with stdin printed: $(cat "$work/out")"

# wait (issue 17): a mirror between two qemu-img images started with one one-shot and awaited with 'wait job --complete'
# (JSON lines when piped, exit 0); a mirror to a too-small target is accepted, then fails: 'wait' exits 1 with QEMU's text.
qemu-img create -q -f qcow2 "$work/src.qcow2" 8M
qemu-img create -q -f qcow2 "$work/dst.qcow2" 8M
qemu-img create -q -f qcow2 "$work/small.qcow2" 1M
for node in src dst small; do
    expect_exit 0 "$qmp" "unix:$sock" --json "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"qcow2\",\"node-name\":\"$node\",\"file\":{\"driver\":\"file\",\"filename\":\"$work/$node.qcow2\"}}}"
done
expect_exit 0 "$qmp" "unix:$sock" blockdev-mirror job-id=m0 device=src target=dst sync=full
expect_exit 0 timeout 120 "$qmp" "unix:$sock" wait job m0 --complete
tail -n 1 "$work/out" | grep -q '"job":"m0","type":"mirror".*"outcome":"success"' || fail "wait job m0 printed: $(cat "$work/out")"
expect_exit 0 "$qmp" "unix:$sock" blockdev-mirror job-id=m1 device=src target=small sync=full auto-dismiss=false
expect_exit 1 timeout 120 "$qmp" "unix:$sock" wait job m1
grep -q "job 'm1' failed: .*different sizes" "$work/err" || fail "wait job m1 said: $(cat "$work/err")"
expect_exit 1 "$qmp" "unix:$sock" wait migration
grep -q "no migration" "$work/err" || fail "wait migration without one said: $(cat "$work/err")"

echo "shell: the installed qmp passed the one-shot checks (success, error 1, refused 2, bad input 2, events --count, HMP, -H, -p, -v, size suffix, -e, wait)"

# qemu-storage-daemon: the same tool on the daemon's monitor (one-shot, size suffix, -v, --until, an HMP line refused).
check_storage_daemon() {
    local daemon=$1 label=$2
    local qsock="$work/qsd-$label.sock" image="$work/qsd-$label.raw"
    "$daemon" --chardev "socket,id=m,path=$qsock,server=on,wait=off" --monitor chardev=m &
    local qsd=$!
    for _ in $(seq 100); do [ -S "$qsock" ] && break; sleep 0.1; done
    [ -S "$qsock" ] || fail "$label: qemu-storage-daemon did not create its monitor socket"
    expect_exit 0 "$qmp" "unix:$qsock" query-block-exports
    [ "$(cat "$work/out")" = "[]" ] || fail "$label: query-block-exports printed: $(cat "$work/out")"
    expect_exit 0 "$qmp" -v "unix:$qsock" --until 'JOB_STATUS_CHANGE status=concluded' --linger 30 \
        blockdev-create job-id=c0 options.driver=file "options.filename=$image" options.size=1M
    grep -q '"size":1048576' "$work/err" || fail "$label: -v did not show the expanded size: $(cat "$work/err")"
    grep -q '"status":"concluded"' "$work/out" || fail "$label: --until printed: $(cat "$work/out")"
    [ "$(stat -c %s "$image")" -eq 1048576 ] || fail "$label: the image is $(stat -c %s "$image") bytes, not 1M"
    expect_exit 0 "$qmp" "unix:$qsock" job-dismiss id=c0
    expect_exit 0 "$qmp" "unix:$qsock" blockdev-add driver=file node-name=f0 "filename=$image"
    expect_exit 0 "$qmp" "unix:$qsock" block-export-add type=vhost-user-blk id=e0 node-name=f0 addr.type=unix \
        "addr.path=$work/vub-$label.sock" logical-block-size=4K
    expect_exit 0 "$qmp" "unix:$qsock" --until BLOCK_EXPORT_DELETED block-export-del id=e0
    grep -q '"event":"BLOCK_EXPORT_DELETED","data":{"id":"e0"}' "$work/out" || fail "$label: block-export-del printed: $(cat "$work/out")"
    expect_exit 2 "$qmp" "unix:$qsock" '!info' block
    grep -q "no command 'human-monitor-command'" "$work/err" || fail "$label: an HMP line said: $(cat "$work/err")"
    kill "$qsd" 2>/dev/null || true
    wait "$qsd" 2>/dev/null || true
    echo "shell: the installed qmp passed the qemu-storage-daemon checks on $label"
}

if command -v qemu-storage-daemon >/dev/null 2>&1; then
    check_storage_daemon qemu-storage-daemon "$(qemu-storage-daemon --version | head -n 1 | grep -o 'version [0-9.]*' | cut -d' ' -f2)"
else
    fail "qemu-storage-daemon not found (Debian package qemu-system-common)"
fi
qsd10="${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-utils-10.0.2/usr/bin/qemu-storage-daemon"
if [ -x "$qsd10" ]; then
    check_storage_daemon "$qsd10" 10.0.2
else
    echo "shell: no qemu-storage-daemon 10.0.2 at $qsd10; its checks are skipped"
fi
