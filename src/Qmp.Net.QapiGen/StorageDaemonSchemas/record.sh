#!/usr/bin/env bash
# Records qemu-storage-daemon's query-qmp-schema as committed snapshots beside the emulator's (../Schemas): the daemon
# 7.2 of Debian's qemu-system-common (/usr/bin/qemu-storage-daemon) and 10.0.2 of bookworm-backports' qemu-utils
# (.ci/storage10.sh). Each file holds the daemon's version, its package string and the schema exactly as the daemon
# returns it (type names masked as the daemon masks them), one entity per line so that a change reads as a diff.
# The generator reads this folder (StorageDaemonTarget: client.StorageDaemonCommands and StorageDaemonCatalog, docs/qapi.md);
# test/Qmp.Net.Qapi.Tests/StorageDaemon counts the typed layer against it and against the running daemons.
#   usage: record.sh [DAEMON_7_2 [DAEMON_10_0]]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
d72=${1:-/usr/bin/qemu-storage-daemon}
d100=${2:-$(bash "$here/../../../.ci/storage10.sh" | tail -n 1)}

record() {
    local daemon=$1 label=$2 dir
    dir=$(mktemp -d)
    "$daemon" --chardev "socket,id=m,path=$dir/qmp.sock,server=on,wait=off" --monitor chardev=m &
    local pid=$!
    python3 - "$dir/qmp.sock" "$here/qemu-storage-daemon-$label.json" <<'PY'
import json, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
for _ in range(200):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); break
    except OSError:
        time.sleep(0.05)
f = s.makefile("rwb")
dec = json.JSONDecoder()
buf = ""
def read():
    global buf
    while True:
        buf = buf.lstrip()
        try:
            obj, end = dec.raw_decode(buf)
            buf = buf[end:]
            if "event" in obj:
                continue
            return obj
        except ValueError:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise EOFError
            buf += chunk.decode()
greeting = read()["QMP"]["version"]
s.sendall(b'{"execute":"qmp_capabilities"}'); read()
s.sendall(b'{"execute":"query-qmp-schema"}'); schema = read()["return"]
q = greeting["qemu"]
with open(out, "w") as o:
    o.write('{"format": "query-qmp-schema", "binary": "qemu-storage-daemon", ')
    o.write('"qemu": "%d.%d.%d", "package": %s, "schema": [\n' % (q["major"], q["minor"], q["micro"], json.dumps(greeting["package"])))
    o.write(",\n".join(json.dumps(e, sort_keys=True, separators=(",", ":")) for e in schema))
    o.write("\n]}\n")
s.sendall(b'{"execute":"quit"}')
print(out, len(schema), "entities,", sum(e["meta-type"] == "command" for e in schema), "commands,",
      sum(e["meta-type"] == "event" for e in schema), "events")
PY
    wait "$pid" || true
    rm -rf "$dir"
}

record "$d72" 7.2
record "$d100" 10.0
