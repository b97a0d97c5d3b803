#!/usr/bin/env bash
# Refreshes the fact-only schema snapshots in Schemas/ from Debian's qemu source packages: a private apt configuration
# with deb-src lines downloads the sources (apt-get source --download-only), dpkg-source unpacks them with Debian's
# patches, and the generator's `snapshot` step keeps the facts of qapi/qapi-schema.json and qga/qapi-schema.json (names,
# types, members, since, features, conditions) and none of their prose. Needs dpkg-dev (dpkg-source).
#
#   bash src/Qmp.Net.QapiGen/refresh-schema.sh            # then: dotnet run --project src/Qmp.Net.QapiGen -- generate --out src/Qmp.Net.Qapi/Generated
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# name  suite  source version  QEMU version  snapshot suffix
RELEASES=(
    "bookworm 1:7.2+dfsg-7+deb12u18 7.2.22 7.2"
    "trixie 1:10.0.13+ds-0+deb13u1 10.0.13 10.0"
)

# shellcheck source=../../.ci/private-apt.sh
. "$ROOT/.ci/private-apt.sh"
mirror=$(debian_mirror)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
private_apt_init "$work/apt"
for r in "${RELEASES[@]}"; do
    read -r suite _ _ _ <<<"$r"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >> "$work/apt/sources.list"
done
apt-get "${PRIVATE_APT[@]}" -qq update

dotnet build "$HERE" -c Release -v q -nologo >/dev/null
gen="$HERE/bin/Release/net10.0/Qmp.Net.QapiGen.dll"
for r in "${RELEASES[@]}"; do
    read -r suite version qemu suffix <<<"$r"
    mkdir -p "$work/$suite"
    (cd "$work/$suite" && apt-get "${PRIVATE_APT[@]}" -qq source --download-only "qemu=$version" \
        && dpkg-source -x --no-check ./*.dsc src >/dev/null)
    dotnet "$gen" snapshot --root "$work/$suite/src/qapi/qapi-schema.json" --qemu "$qemu" \
        --source "Debian qemu $version" --out "$HERE/Schemas/qemu-$suffix.json"
    dotnet "$gen" snapshot --root "$work/$suite/src/qga/qapi-schema.json" --qemu "$qemu" \
        --source "Debian qemu $version" --out "$HERE/Schemas/qga-$suffix.json"
done
