#!/usr/bin/env bash
# CI step of the typed QAPI layer (issue 8), run by .ci/run before the tests:
#  fetches the second QEMU generation (QEMU 10.0.2, .ci/qemu10.sh, which also unpacks qemu-storage-daemon 10.0.2 through
#     .ci/storage10.sh) for the integration tests and installs qemu-img (qemu-utils) for their images when missing;
#  builds Qmp.Net.Qapi for net8.0 and runs its tests there on the real .NET 8 runtime (self-contained, below);
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
# .NET 8 (issue 19): Qmp.Net.Qapi's net8.0 build and the tests of test/Qmp.Net.Qapi.Tests/Net8 (serialization, the
# compile-time `required` check, the real-QEMU tests) on the real .NET 8 runtime. No .NET 8 runtime is installed: the
# project runs self-contained on Microsoft.NETCore.App.Runtime.linux-x64 8.0.x from NuGet; RuntimeTests prints the
# Environment.Version it ran on. Bounded: a few minutes of build, about a minute of tests.
if ! timeout 900 dotnet test test/Qmp.Net.Qapi.Tests/Net8 --logger "console;verbosity=normal" > /tmp/qapi-net8.log 2>&1; then
    tail -n 60 /tmp/qapi-net8.log >&2
    echo "qapi: the net8.0 tests failed (log: /tmp/qapi-net8.log)" >&2
    status=1
else
    grep -E "Environment.Version|Passed!|Total tests" /tmp/qapi-net8.log || true
fi
exit "$status"
