#!/usr/bin/env bash
# CI step of the typed QAPI layer (issue 8), run by .ci/run before the tests:
#  fetches the second QEMU generation (QEMU 10.0.2, .ci/qemu10.sh, which also unpacks qemu-storage-daemon 10.0.2 through
#     .ci/storage10.sh) for the integration tests and installs qemu-img (qemu-utils) for their images when missing;
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

# The generated files' reproducibility is checked once, by the test
# Generator/SupersetTests.The_committed_generated_files_are_what_the_generator_writes (run with the tests by .ci/run):
# it regenerates QMP and guest agent files in-process and compares every file under src/Qmp.Net.Qapi/Generated.
exit "$status"
