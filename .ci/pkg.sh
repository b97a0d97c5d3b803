#!/usr/bin/env bash
# The packages, tested as a user gets them (issue 11; docs/packaging.md):
#   1. packs every packable project of Qmp.Net.sln into a temporary local folder;
#   2. checks each .nupkg: MIT licence expression, its readme (present and not empty), description, repository URL and
#      commit (= HEAD), XML docs beside every library, and a matching .snupkg whose PDBs carry SourceLink to that commit;
#   3. creates a fresh console project outside the repository, with its own nuget.config that adds the local folder next
#      to the machine's own sources, references Qmp.Net and Qmp.Net.Testing by version only, restores them into an empty
#      package cache (as a new machine would), and runs it for net10.0 and net8.0 against a real QEMU;
#   4. runs a fresh file-based program (`#:package Qmp.Net@VERSION`, `dotnet run app.cs`) against a QEMU started here.
# and `.ci/pkg.sh docs` builds the docs site with docfx (pinned in .config/dotnet-tools.json), warnings as errors, into
# artifacts/docs/site. Without an argument it does both: `.ci/pkg.sh packages` and `.ci/pkg.sh docs` do one each.
# Exits non-zero when any step fails. Needs qemu-system-x86_64 (.ci/run installs it) and python3.
set -euo pipefail
MODE=${1:-all}
case "$MODE" in all|packages|docs) ;; *) echo "usage: .ci/pkg.sh [packages|docs]" >&2; exit 2 ;; esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The docs site (docs/packaging.md, "The docs site"): API reference from the XML docs of the packages' projects, the
# guides of docs/, the landing page. A broken link, a toc entry without its page or an unresolved cross-reference is a
# warning, and a warning fails. Steps: the Release build of docs/api.slnf (nothing to do when the packages were packed
# just before, as in .ci/run); docfx metadata from those assemblies (.ci/docs/stage-assemblies.py puts them and their
# references in one folder; .ci/docs/metadata-fixes.py corrects what an assembly says less well than the source), or the
# same metadata from the cache when the assemblies' API, XML docs and the configuration are unchanged; the API side bar
# grouped by .ci/docs/api-toc.py; docfx build with the version in every page's footer; wire names into the search index
# and source maps out (.ci/docs/postprocess.py); the pages that must exist; then the browser check (.ci/docs-browser.sh:
# headless Chromium loads pages and searches). QMP_DOCS_METADATA_CACHE=off skips the cache (reads and writes).
if [ "$MODE" = all ] || [ "$MODE" = docs ]; then
    docs_start=$(date +%s)
    if ! python3 -c 'import yaml' 2>/dev/null; then
        echo "docs: installing python3-yaml"
        SUDO=""
        if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-yaml
    fi
    dotnet tool restore
    rm -rf artifacts/docs
    # docfx allocates a lot and briefly: a 256 MB first GC generation, no background GC and no profile-guided
    # re-JIT save about a fifth of its CPU time (measured in docs/packaging.md, "Site size and build time").
    docfx_env=(env DOTNET_GCgen0size=0x10000000 DOTNET_gcConcurrent=0 DOTNET_TieredPGO=0)
    docs_phase() { echo "docs: $1 $(( ($(date +%s%N) - docs_mark) / 1000000 )) ms"; docs_mark=$(date +%s%N); }
    docs_mark=$(date +%s%N)
    docs_version=$(dotnet msbuild src/Qmp.Net/Qmp.Net.csproj -getProperty:Version)
    docs_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    dotnet build docs/api.slnf -c Release -v:q -nologo
    docs_phase "Release build of docs/api.slnf:"
    docs_key=$(python3 .ci/docs/stage-assemblies.py artifacts/docs)
    docs_cache="${QMP_CACHE_DIR:-/var/cache/qmp-net}/docs-metadata"
    if [ "${QMP_DOCS_METADATA_CACHE:-on}" != off ] && [ -s "$docs_cache/$docs_key/api/toc.yml" ] \
        && [ -s "$docs_cache/$docs_key/api-qapi/toc.yml" ]; then
        cp -r "$docs_cache/$docs_key/api" "$docs_cache/$docs_key/api-qapi" artifacts/docs/
        docs_phase "API metadata from the cache ($docs_cache/$docs_key):"
    else
        "${docfx_env[@]}" dotnet docfx metadata docs/docfx.json --warningsAsErrors
        python3 .ci/docs/metadata-fixes.py artifacts/docs
        docs_phase "API metadata from the assemblies (docfx metadata, metadata-fixes.py):"
        # Kept for the next build with the same key (written whole, then renamed; the 4 newest keys stay). A cache that
        # cannot be written only costs the next build this step again.
        if [ "${QMP_DOCS_METADATA_CACHE:-on}" != off ] && mkdir -p "$docs_cache" 2>/dev/null; then
            docs_tmp=$(mktemp -d "$docs_cache/.new.XXXXXX" 2>/dev/null) \
                && cp -r artifacts/docs/api artifacts/docs/api-qapi "$docs_tmp/" \
                && { mv -T "$docs_tmp" "$docs_cache/$docs_key" 2>/dev/null || rm -rf "$docs_tmp"; } \
                || echo "docs: could not write the metadata cache $docs_cache (not an error)"
            ls -1dt "$docs_cache"/*/ 2>/dev/null | tail -n +5 | xargs -r rm -rf
        fi
    fi
    python3 .ci/docs/api-toc.py artifacts/docs
    docs_phase "side bar (api-toc.py):"
    "${docfx_env[@]}" dotnet docfx build docs/docfx.json --warningsAsErrors \
        --metadata _appFooter="Qmp.Net $docs_version · commit $docs_commit · MIT licence"
    docs_phase "docfx build:"
    python3 .ci/docs/postprocess.py artifacts/docs
    docs_phase "postprocess.py:"
    for page in index.html guides/getting-started.html guides/howto-events.html guides/changelog.html api/index.html \
        api/Qmp.Net.QmpClient.html api/Qmp.Net.Testing.QmpTestServer.html api/Qmp.Net.Qapi.QapiCommands.html; do
        if [ ! -s "artifacts/docs/site/$page" ]; then
            echo "docs: artifacts/docs/site/$page was not built" >&2
            exit 1
        fi
    done
    # Every page names the version it documents.
    if ! grep -q "Qmp.Net $docs_version · commit" artifacts/docs/site/guides/getting-started.html; then
        echo "docs: the pages' footer does not name version $docs_version" >&2
        exit 1
    fi
    # The landing page leads to Getting started.
    if ! grep -q 'href="guides/getting-started.html"' artifacts/docs/site/index.html; then
        echo "docs: the landing page has no link to Getting started" >&2
        exit 1
    fi
    echo "docs: site built in $(( $(date +%s) - docs_start )) s, $(du -sm artifacts/docs/site | cut -f1) MB: artifacts/docs/site/index.html"
    bash .ci/docs-browser.sh artifacts/docs/site
fi
if [ "$MODE" = docs ]; then
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qmp-net-pkg.XXXXXX")
QEMU_PID=""
cleanup() {
    if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

FEED="$WORK/feed"
mkdir -p "$FEED"
start=$(date +%s)

VERSION=$(dotnet msbuild src/Qmp.Net/Qmp.Net.csproj -getProperty:Version)
REPO_URL=$(dotnet msbuild src/Qmp.Net/Qmp.Net.csproj -getProperty:RepositoryUrl)
COMMIT=$(git rev-parse HEAD)
echo "pkg: packing version $VERSION, repository $REPO_URL, commit $COMMIT"

# 1. Pack. Only projects that are packable produce packages (tests, samples and benchmarks set IsPackable=false).
dotnet pack Qmp.Net.sln -c Release -o "$FEED" -v:q -nologo

# 2. The nuspec and the symbol package of each.
python3 .ci/pkg/check-packages.py "$FEED" "$VERSION" "$REPO_URL" "$COMMIT"

# 3. A user's console project. Its own nuget.config adds the local folder to the machine's sources (no <clear/>), and an
# empty NUGET_PACKAGES makes every package come from a source, as on a new machine: a stale Qmp.Net of the same
# version in the machine's cache cannot hide a broken package, and every dependency must be restorable from the feed.
export NUGET_PACKAGES="$WORK/packages"
write_nuget_config() {
    cat > "$1/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="qmp-net-local" value="$FEED" />
  </packageSources>
</configuration>
EOF
}
CONSUMER="$WORK/consumer"
mkdir -p "$CONSUMER"
write_nuget_config "$CONSUMER"
sed "s/@VERSION@/$VERSION/g" .ci/pkg/Consumer.csproj.template > "$CONSUMER/Consumer.csproj"
cp .ci/pkg/Program.cs "$CONSUMER/Program.cs"
(cd "$CONSUMER" && dotnet build -v:q -nologo)
# The package came from the local folder, not from another source.
source_of() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source"])' "$NUGET_PACKAGES/$1/$VERSION/.nupkg.metadata"
}
for id in qmp.net qmp.net.testing; do
    got=$(source_of "$id")
    if [ "$(readlink -f "$got")" != "$(readlink -f "$FEED")" ]; then
        echo "pkg: $id $VERSION was restored from $got, not from the local folder" >&2
        exit 1
    fi
done
for tfm in net10.0 net8.0; do
    (cd "$CONSUMER" && timeout 120 dotnet run --no-build -f "$tfm" -- "$VERSION")
done

# 4. A file-based program with #:package, against a QEMU started here.
SCRIPT="$WORK/script"
mkdir -p "$SCRIPT"
write_nuget_config "$SCRIPT"
sed "s/@VERSION@/$VERSION/g" .ci/pkg/app.cs.template > "$SCRIPT/app.cs"
mkdir -m 0700 "$WORK/qemu"
qemu-system-x86_64 -machine none -nodefaults -display none -S \
    -qmp "unix:$WORK/qemu/qmp.sock,server=on,wait=off" -daemonize -pidfile "$WORK/qemu/pid"
QEMU_PID=$(cat "$WORK/qemu/pid")
for _ in $(seq 100); do [ -S "$WORK/qemu/qmp.sock" ] && break; sleep 0.1; done
(cd "$SCRIPT" && timeout 300 dotnet run app.cs -- "unix:$WORK/qemu/qmp.sock")
# The script sent quit: QEMU exits by itself.
for _ in $(seq 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$QEMU_PID" 2>/dev/null; then
    echo "pkg: QEMU did not exit after the script's quit" >&2
    exit 1
fi
QEMU_PID=""
(cd "$SCRIPT" && dotnet clean app.cs -v:q >/dev/null 2>&1) || true

echo "pkg: packages, console consumer (net10.0, net8.0) and file-based program passed in $(( $(date +%s) - start )) s"
