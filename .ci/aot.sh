#!/usr/bin/env bash
# CI step of native AOT (issue 8, docs/qapi.md "Native AOT"): publishes samples/TypedAot with PublishAot=true for
# linux-x64, fails on any trim or AOT warning (IL2xxx/IL3xxx) in the publish log, then runs the native binary against
# Debian's QEMU 7.2 and, when .ci/qemu10.sh has unpacked it, QEMU 10.0.2. Prints the publish time and the binary's size.
# ILC needs clang (the linker driver) and zlib's development files: installed here when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=()
command -v clang >/dev/null 2>&1 || packages+=(clang)
dpkg -s zlib1g-dev >/dev/null 2>&1 || packages+=(zlib1g-dev)
if [ "${#packages[@]}" -gt 0 ]; then
    echo "aot: installing ${packages[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "aot: FAILED: $*" >&2; exit 1; }

# The sample's csproj makes every ILC/trimmer warning an error and reports each one on its own; the grep below also
# catches one that a future change would demote back to a warning.
start=$(date +%s%N)
if ! dotnet publish samples/TypedAot -c Release -r linux-x64 -o "$work/out" > "$work/publish.log" 2>&1; then
    cat "$work/publish.log"
    fail "dotnet publish samples/TypedAot (PublishAot=true) failed"
fi
millis=$(( ($(date +%s%N) - start) / 1000000 ))
if grep -E "(warning|error) IL[23][0-9]{3}" "$work/publish.log"; then
    fail "the native-AOT publish reported trim/AOT warnings (above)"
fi
binary="$work/out/TypedAot"
[ -x "$binary" ] || fail "no native binary at $binary"
size=$(stat -c %s "$binary")
echo "aot: published in $((millis / 1000)).$(( (millis % 1000) / 100 )) s; native binary $size bytes ($((size / 1048576)).$(( (size % 1048576) * 10 / 1048576 )) MiB); no IL2xxx/IL3xxx warnings"

echo "aot: running the native binary against $(qemu-system-x86_64 --version | head -n 1)"
timeout 120 "$binary" || fail "TypedAot against QEMU 7.2 exited with $?"

qemu10="${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-10.0.2"
if [ -x "$qemu10/usr/bin/qemu-system-x86_64" ]; then
    echo "aot: running the native binary against QEMU 10.0.2 ($qemu10)"
    timeout 120 "$binary" --qemu "$qemu10/usr/bin/qemu-system-x86_64" -L "$qemu10/usr/share/qemu" \
        || fail "TypedAot against QEMU 10.0.2 exited with $?"
elif [ "${QMP_REQUIRE_QEMU:-}" = "1" ]; then
    fail "QEMU 10.0.2 is not unpacked under $qemu10 (.ci/qemu10.sh) and QMP_REQUIRE_QEMU=1"
else
    echo "aot: QEMU 10.0.2 not found under $qemu10; ran against 7.2 only"
fi
echo "aot: the native TypedAot sample passed"
