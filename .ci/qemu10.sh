#!/usr/bin/env bash
# Fetches QEMU 10.0.2 (Debian bookworm-backports) beside the machine's own QEMU, without installing it: a private apt
# configuration downloads qemu-system-x86, qemu-system-common and qemu-system-data, and dpkg -x unpacks them into
# ${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-10.0.2. Idempotent: an unpacked copy that runs is kept.
# Prints the path of its qemu-system-x86_64 on the last line; run it with -L <dir>/usr/share/qemu. Also runs
# .ci/storage10.sh (qemu-storage-daemon 10.0.2 in <cache>/qemu-utils-10.0.2).
set -euo pipefail

VERSION="1:10.0.2+ds-2+deb13u1~bpo12+1"
CACHE="${QMP_CACHE_DIR:-/var/cache/qmp-net}"
DEST="$CACHE/qemu-10.0.2"
BIN="$DEST/usr/bin/qemu-system-x86_64"

# The storage daemon of the same release (bookworm-backports' qemu-utils: qemu-storage-daemon, qemu-img, qemu-io,
# qemu-nbd 10.0.2) comes with it, in its own cache folder; its path goes to stderr so that the last line stays ours.
bash "$(dirname "${BASH_SOURCE[0]}")/storage10.sh" >&2

if [ -x "$BIN" ] && "$BIN" -L "$DEST/usr/share/qemu" --version 2>/dev/null | grep -q "version 10\.0\.2"; then
    echo "$BIN"
    exit 0
fi

# shellcheck source=.ci/private-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/private-apt.sh"
mkdir -p "$CACHE"
backports_unpack qemu10 "$DEST.partial" \
    "qemu-system-x86=$VERSION" "qemu-system-common=$VERSION" "qemu-system-data=$VERSION"
rm -rf "$DEST"
mv "$DEST.partial" "$DEST"
"$BIN" -L "$DEST/usr/share/qemu" --version | head -n 1 >&2
echo "$BIN"
