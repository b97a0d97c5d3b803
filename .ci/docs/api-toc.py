#!/usr/bin/env python3
"""Writes the API reference's side bar (artifacts/docs/api/toc.yml) after `docfx metadata`, before `docfx build`.

docfx lists every type of a namespace in one alphabetical list; for Qmp.Net.Qapi that is some 1,400 generated types.
This script groups them for navigation instead, from what docfx's metadata says about each type and member, never from
file paths or file names of the generated code (those may change):
  - the package landing pages (docs/site/api/*.md) first;
  - the namespaces of Qmp.Net and Qmp.Net.Testing as docfx listed them;
  - Qmp.Net.Qapi and Qmp.Net.Qapi.Qga: the hand-written entry points; then Commands (the methods of QapiCommands and
    QgaCommands) and Events (the records that derive from QapiEvent), each grouped by the QAPI module that their QEMU
    reference link names (#command-QMP-block-core.blockdev-add); then the other Types, by kind.
Usage: api-toc.py ARTIFACTS_DOCS_DIR (the folder holding api/ and api-qapi/ from docfx metadata).
"""
import os
import re
import sys

import yaml

LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)   # every scalar as text: docfx writes tags PyYAML does not know
REFERENCE = re.compile(r"#(command|event|object|type|enum|struct|union|alternate)-(QMP|QGA)-([\w-]+)\.([\w-]+)$")
ENTRY_POINTS = ("Qapi", "Qga", "IQapi")   # hand-written types of Qmp.Net.Qapi are named Qapi*/Qga*/IQapi*
COMMAND_TYPES = ("Qmp.Net.Qapi.QapiCommands", "Qmp.Net.Qapi.Qga.QgaCommands")
EVENT_BASE = "Qmp.Net.Qapi.QapiEvent"
MARKER = "# Written by .ci/docs/api-toc.py"


def load_items(path, first_only):
    """The items of one metadata file (only the type itself when first_only: the part before its first member)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if first_only:
        second = text.find("\n- uid:", text.find("- uid:") + 1)
        refs = text.find("\nreferences:")
        cut = min(x for x in (second, refs, len(text)) if x != -1)
        text = text[:cut]
    return yaml.load(text, Loader=LOADER)


def reference_of(item):
    for link in item.get("seealso") or []:
        m = REFERENCE.search(link.get("linkId", ""))
        if m:
            return m.group(3), m.group(4)      # module, wire name
    return None, None


def toc_item(uid, name, items=None):
    item = {"uid": uid, "name": name} if uid else {"name": name}
    if items is not None:
        item["items"] = items
    return item


def grouped(by_module):
    if len(by_module) == 1:                       # one module (the guest agent's qapi-schema): no level for it
        return sorted(next(iter(by_module.values())), key=lambda e: e["name"].lower())
    return [toc_item(None, module, sorted(entries, key=lambda e: e["name"].lower()))
            for module, entries in sorted(by_module.items())]


def main():
    root = sys.argv[1]
    api, qapi = os.path.join(root, "api"), os.path.join(root, "api-qapi")
    # docfx metadata's own side bar for the other packages; kept aside on the first run, so that a second run (without
    # a new `docfx metadata`) starts from it again instead of from this script's output.
    generated, kept = os.path.join(api, "toc.yml"), os.path.join(root, "api-toc.docfx.orig")
    with open(generated, encoding="utf-8") as f:
        text = f.read()
    if MARKER not in text:
        with open(kept, "w", encoding="utf-8") as f:
            f.write(text)
    with open(kept, encoding="utf-8") as f:
        core = yaml.load(f, Loader=LOADER)["items"]

    types = {}                                   # uid -> first item
    for name in sorted(os.listdir(qapi)):
        if name.endswith(".yml") and name != "toc.yml":
            item = load_items(os.path.join(qapi, name), first_only=True)["items"][0]
            if item.get("type") != "Namespace":
                types[item["uid"]] = item

    namespaces = {}
    for uid, item in types.items():
        ns = item.get("namespace", "")
        entry = namespaces.setdefault(ns, {"entry": [], "commands": {}, "events": {}, "enums": [], "arguments": [], "records": []})
        short = uid[len(ns) + 1:]
        if short.startswith(ENTRY_POINTS) and "." not in short:
            entry["entry"].append(toc_item(uid, short))
        elif EVENT_BASE in (item.get("inheritance") or []) and reference_of(item)[1]:
            module, wire = reference_of(item)
            entry["events"].setdefault(module, []).append(toc_item(uid, f"{short} ({wire})"))
        elif EVENT_BASE in (item.get("inheritance") or []):
            entry["entry"].append(toc_item(uid, short))      # UnknownQapiEvent: hand-written, no QEMU event
        elif item.get("type") in ("Struct", "Enum"):
            entry["enums"].append(toc_item(uid, short))
        elif short.endswith("Arguments"):
            entry["arguments"].append(toc_item(uid, short))
        else:
            entry["records"].append(toc_item(uid, short))

    for commands_uid in COMMAND_TYPES:
        path = os.path.join(qapi, commands_uid + ".yml")
        if not os.path.exists(path):
            continue
        ns = commands_uid.rsplit(".", 1)[0]
        by_module = namespaces.setdefault(ns, {"entry": [], "commands": {}, "events": {}, "enums": [], "arguments": [], "records": []})["commands"]
        for member in load_items(path, first_only=False)["items"][1:]:
            module, wire = reference_of(member)
            if member.get("type") == "Method" and wire:
                name = member["name"].split("(")[0]
                by_module.setdefault(module, []).append(toc_item(member["uid"], f"{name} ({wire})"))

    qapi_toc = []
    for ns in sorted(namespaces):
        g = namespaces[ns]
        children = [toc_item(None, "Start here", sorted(g["entry"], key=lambda e: e["name"]))] if g["entry"] else []
        if g["commands"]:
            children.append(toc_item(None, "Commands", grouped(g["commands"])))
        if g["events"]:
            children.append(toc_item(None, "Events", grouped(g["events"])))
        types_children = [toc_item(None, title, sorted(g[key], key=lambda e: e["name"].lower()))
                          for title, key in (("Command arguments", "arguments"), ("Records and unions", "records"),
                                             ("Enumerations", "enums")) if g[key]]
        if types_children:
            children.append(toc_item(None, "Types", types_children))
        qapi_toc.append({"uid": ns, "name": ns, "items": children})

    # The landing pages (docs/site/api/*.md) by their uid: a path from here would leave the docfx project's folder.
    toc = [
        {"name": "Overview", "uid": "api-overview"},
        {"name": "Packages", "items": [
            {"name": "Qmp.Net", "uid": "api-qmp-net"},
            {"name": "Qmp.Net.Qapi", "uid": "api-qmp-net-qapi"},
            {"name": "Qmp.Net.Testing", "uid": "api-qmp-net-testing"},
        ]},
    ] + core + qapi_toc

    with open(os.path.join(api, "toc.yml"), "w", encoding="utf-8") as f:
        f.write("### YamlMime:TableOfContent\n" + MARKER + "\n")
        yaml.safe_dump({"items": toc}, f, sort_keys=False, allow_unicode=True, width=1000)
    counts = {ns: (sum(map(len, g["commands"].values())), sum(map(len, g["events"].values())),
                   len(g["enums"]) + len(g["arguments"]) + len(g["records"])) for ns, g in namespaces.items()}
    for ns, (c, e, t) in sorted(counts.items()):
        print(f"api-toc: {ns}: {c} commands, {e} events, {t} types")


if __name__ == "__main__":
    main()
