#!/usr/bin/env bash
# CI step for the qmp tool (issue 9): packs Qmp.Net and Qmp.Net.Shell into a temporary folder, installs the tool from
# that local package into a temporary tool path as a user would, and runs the one-shot checks through the installed
# `qmp` against a QEMU started here: success (exit 0, compact JSON), a QEMU error (exit 1), a refused connection
# (exit 2), bad input (exit 2), and `events --count`. The tmux end-to-end tests run with the solution's tests; tmux is
# installed here when missing so that they can.
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

echo "shell: the installed qmp passed the one-shot checks (success, error 1, refused 2, bad input 2, events --count)"
