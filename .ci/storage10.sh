#!/usr/bin/env bash
# Fetches qemu-storage-daemon 10.0.2 (with its qemu-img, qemu-io and qemu-nbd) from Debian bookworm-backports' qemu-utils
# beside the machine's own tools, without installing it: a private apt configuration (.ci/private-apt.sh) downloads
# qemu-utils and dpkg -x unpacks it into ${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-utils-10.0.2. Idempotent: an unpacked
# copy that runs is kept. Run by .ci/qemu10.sh (and so by .ci/qapi.sh, which .ci/run calls before the tests).
# Prints the path of its qemu-storage-daemon on the last line. The daemon needs no module (QEMU_MODULE_DIR is unset):
# its block drivers are built in, and every library it links is in bookworm (checked with ldd below).
set -euo pipefail

VERSION="1:10.0.2+ds-2+deb13u1~bpo12+1"
CACHE="${QMP_CACHE_DIR:-/var/cache/qmp-net}"
DEST="$CACHE/qemu-utils-10.0.2"
BIN="$DEST/usr/bin/qemu-storage-daemon"

runs() {
    [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "version 10\.0\.2" \
        && "$DEST/usr/bin/qemu-img" --version 2>/dev/null | grep -q "version 10\.0\.2"
}

if runs; then
    echo "$BIN"
    exit 0
fi

# shellcheck source=.ci/private-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/private-apt.sh"
mkdir -p "$CACHE"
backports_unpack storage10 "$DEST.partial" "qemu-utils=$VERSION"
missing=$(for b in qemu-storage-daemon qemu-img qemu-io qemu-nbd; do ldd "$DEST.partial/usr/bin/$b"; done | grep "not found" | sort -u || true)
if [ -n "$missing" ]; then
    echo "storage10: libraries missing for the 10.0.2 tools:" >&2
    echo "$missing" >&2
    exit 1
fi
rm -rf "$DEST"
mv "$DEST.partial" "$DEST"
if ! runs; then
    echo "storage10: the unpacked qemu-storage-daemon 10.0.2 does not run" >&2
    exit 1
fi
"$BIN" --version | head -n 1 >&2
echo "$BIN"
