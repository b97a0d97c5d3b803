#!/usr/bin/env bash
# CI step of the guest agent's typed commands, the listener and descriptor passing (issue 10), run by .ci/run after the
# solution's tests (so the file-based programs reuse the Debug build of the projects they reference):
#  - samples/scripts/listener.cs: one QmpListener serving three QEMUs, against QEMU 7.2 and QEMU 10.0.2;
#  - samples/scripts/fd-passing.cs: add-fd, a block node on /dev/fdset/N, qemu-io writes, read back from the file,
#    against QEMU 7.2 and QEMU 10.0.2;
#  - samples/scripts/guest-typed.cs: the typed guest agent commands against a real qemu-ga (read-only commands only).
# QEMU 10.0.2 is the one .ci/qemu10.sh unpacked (QMP_QEMU10, or ${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-10.0.2).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "qga: $*" >&2; status=1; }

# Waits until a Unix socket accepts connections (QEMU and qemu-ga give no other sign, and a connect between their bind
# and listen is refused).
wait_socket() {
    for _ in $(seq 100); do
        [ -S "$1" ] && python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

qemus=("7.2|qemu-system-x86_64|")
qemu10=${QMP_QEMU10:-${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-10.0.2/usr/bin/qemu-system-x86_64}
if [ -x "$qemu10" ]; then
    qemus+=("10.0|$qemu10|-L $(dirname "$qemu10")/../share/qemu")
else
    fail "QEMU 10.0 not found at $qemu10 (bash .ci/qemu10.sh fetches it)"
fi

for entry in "${qemus[@]}"; do
    IFS='|' read -r label binary extra <<<"$entry"
    # shellcheck disable=SC2086 # $extra is a list of arguments
    if timeout 300 dotnet run samples/scripts/listener.cs -- "$binary" $extra | tee "$work/listener-$label.txt"; then
        [ "$(grep -c '^accepted vm-' "$work/listener-$label.txt")" -eq 3 ] || fail "listener.cs on QEMU $label did not accept 3 QEMUs"
        grep -q '^quit 3 QEMUs' "$work/listener-$label.txt" || fail "listener.cs on QEMU $label did not quit them"
    else
        fail "listener.cs on QEMU $label failed"
    fi

    sock="$work/fd-$label.sock"
    # shellcheck disable=SC2086
    "$binary" $extra -machine none -nodefaults -display none -S -qmp "unix:$sock,server=on,wait=off" > "$work/qemu-$label.log" 2>&1 &
    pids+=($!)
    wait_socket "$sock" || fail "QEMU $label did not create $sock"
    if timeout 300 dotnet run samples/scripts/fd-passing.cs -- "unix:$sock" | tee "$work/fd-$label.txt"; then
        grep -q 'are 0x5a' "$work/fd-$label.txt" || fail "fd-passing.cs on QEMU $label did not read QEMU's bytes back"
    else
        fail "fd-passing.cs on QEMU $label failed"
    fi
done

# The typed guest agent commands against Debian's qemu-ga, with everything but what the program reads blocked.
blocked=$(qemu-ga -b help | grep '^guest-' | grep -vxE 'guest-(sync-delimited|sync|ping|info|get-osinfo|get-host-name|get-time|get-timezone)' | paste -sd, -)
qemu-ga -m unix-listen -p "$work/qga.sock" -t "$work" -f "$work/qga.pid" -b "$blocked" &
pids+=($!)
wait_socket "$work/qga.sock" || fail "qemu-ga did not create its socket"
if timeout 300 dotnet run samples/scripts/guest-typed.cs -- "unix:$work/qga.sock" | tee "$work/typed.txt"; then
    grep -q "^host:     $(hostname)$" "$work/typed.txt" || fail "guest-typed.cs did not print this host's name"
    grep -q '^agent:    qemu-ga ' "$work/typed.txt" || fail "guest-typed.cs did not print the agent's version"
else
    fail "guest-typed.cs failed"
fi

[ "$status" -eq 0 ] && echo "qga: listener, fd-passing and typed guest agent programs passed"
exit "$status"
