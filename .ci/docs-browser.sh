#!/usr/bin/env bash
# The docs site in a real browser (docs/packaging.md, "The docs site"): headless Chromium (Debian's `chromium`, installed
# when missing) opens a check page served beside the built site on loopback. That page loads the Getting started page
# and a how-to page in a frame and checks that each shows its title and its compiled C# snippet, then types `blockdev-add`
# and `BLOCK_JOB_READY` into the site's own search box and reads the results the site's search shows. It reports to the
# server, which fails the check when a page is missing or wrong, the search finds nothing, or the typed member is not
# the first result. Bounded: 90 s for the browser. Usage: .ci/docs-browser.sh [SITE_DIR] (default artifacts/docs/site).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SITE=$(readlink -f "${1:-artifacts/docs/site}")
if [ ! -s "$SITE/index.html" ]; then
    echo "docs-browser: no built site at $SITE (run .ci/pkg.sh docs)" >&2
    exit 1
fi

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "docs-browser: installing chromium"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
    CHROMIUM=$(command -v chromium)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qmp-net-docs-browser.XXXXXX")
SERVER_PID=""
BROWSER_PID=""
cleanup() {
    if [ -n "$BROWSER_PID" ]; then kill "$BROWSER_PID" 2>/dev/null || true; wait "$BROWSER_PID" 2>/dev/null || true; fi
    # Chromium's helper processes (zygote, renderers, crashpad) outlive the main one for a moment and still write into the
    # profile: a CI run failed here with "rm: cannot remove .../profile/Default: Directory not empty" after the check
    # itself had passed. End them all, then remove the folder; a folder left in /tmp never fails the check.
    pkill -f -- "$WORK/profile" 2>/dev/null || true
    for _ in $(seq 50); do pgrep -f -- "$WORK/profile" >/dev/null 2>&1 || break; sleep 0.1; done
    pkill -KILL -f -- "$WORK/profile" 2>/dev/null || true
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK" 2>/dev/null || { sleep 0.5; rm -rf "$WORK" 2>/dev/null; } || echo "docs-browser: could not remove $WORK" >&2
}
trap cleanup EXIT

python3 .ci/docs/browser-check-server.py "$SITE" "$WORK" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")

# New headless mode keeps running until it is ended; the check page reports to the server, and this script ends it.
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-extensions \
    --user-data-dir="$WORK/profile" "http://127.0.0.1:$PORT/__check.html" > "$WORK/chromium.log" 2>&1 &
BROWSER_PID=$!

for _ in $(seq 900); do
    [ -s "$WORK/result.json" ] && break
    if ! kill -0 "$BROWSER_PID" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ ! -s "$WORK/result.json" ]; then
    echo "docs-browser: the check page reported nothing within 90 s; chromium said:" >&2
    tail -n 20 "$WORK/chromium.log" >&2
    exit 1
fi
python3 .ci/docs/browser-check-server.py --verdict "$WORK/result.json"
