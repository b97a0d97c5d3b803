#!/usr/bin/env bash
# CI step of the typed QAPI layer (issue 8), run by .ci/run before the tests:
#  1. fetches the second QEMU generation (QEMU 10.0.2, .ci/qemu10.sh, which also unpacks qemu-storage-daemon 10.0.2 through
#     .ci/storage10.sh) for the integration tests and installs qemu-img (qemu-utils) for their images when missing;
#  2. regenerates src/Qmp.Net.Qapi/Generated (QMP, and the guest agent's commands in Generated/Qga) from the committed
#     schema snapshots into a temporary folder and fails on any difference from the committed files (the generated code
#     must be reproducible).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v qemu-img >/dev/null 2>&1; then
    echo "qapi: installing qemu-utils (qemu-img)"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-utils || status=1
fi

qemu10=$($SUDO bash .ci/qemu10.sh | tail -n 1) || { echo "qapi: fetching QEMU 10.0.2 failed" >&2; status=1; }
[ -n "${qemu10:-}" ] && echo "qapi: second QEMU at $qemu10"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if dotnet run --project src/Qmp.Net.QapiGen -c Release -- generate --out "$out"; then
    if ! diff -r -q "$out" src/Qmp.Net.Qapi/Generated; then
        echo "qapi: src/Qmp.Net.Qapi/Generated differs from what the generator writes; run" >&2
        echo "      dotnet run --project src/Qmp.Net.QapiGen -- generate --out src/Qmp.Net.Qapi/Generated" >&2
        status=1
    else
        echo "qapi: the generated files are reproducible ($(ls "$out" | wc -l) QMP files, $(ls "$out/Qga" | wc -l) guest agent files)"
    fi
else
    echo "qapi: the generator failed" >&2
    status=1
fi
exit "$status"
