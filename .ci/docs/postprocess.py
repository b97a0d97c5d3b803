#!/usr/bin/env python3
"""After `docfx build`: makes every QMP command and event findable by its wire name, and drops what no reader loads.

1. Search. docfx's search index (index.json, read by lunr in the browser) has one entry per page. The generated types of
   Qmp.Net.Qapi have their members on the type's page (memberLayout samePage, docs/packaging.md), so the 242 + 44
   command methods of QapiCommands and QgaCommands would only be words inside one huge entry. This adds one entry per
   command, titled with its wire name and its C# name (`blockdev-add: QapiCommands.BlockdevAddAsync`) and linked to its
   anchor on the page, and puts the wire name in front of each event record's title (`BLOCK_JOB_READY: ...`), so that
   searching `blockdev-add` or `BLOCK_JOB_READY` lists the typed member first. The wire names come from the metadata
   (each generated member's QEMU reference link), the anchors from the built page.
2. Size. The template's JavaScript source maps (public/*.map, about 21 MB) serve only a debugger; they are removed,
   with the comments that point to them.
Usage: postprocess.py ARTIFACTS_DOCS_DIR
"""
import glob
import html
import json
import os
import re
import sys

import yaml

LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
REFERENCE = re.compile(r"#(command|event)-(QMP|QGA)-([\w-]+)\.([\w-]+)$")
COMMAND_TYPES = ("Qmp.Net.Qapi.QapiCommands", "Qmp.Net.Qapi.Qga.QgaCommands")
HEADING = re.compile(r'<h3 id="([^"]+)" data-uid="([^"]+)"')
TAGS = re.compile(r"<[^>]+>")


def wire_name(item):
    for link in item.get("seealso") or []:
        m = REFERENCE.search(link.get("linkId", ""))
        if m:
            return m.group(1), m.group(4)
    return None, None


def text_of(markup):
    return " ".join(html.unescape(TAGS.sub("", markup or "")).split())


def main():
    root = sys.argv[1]
    site, metadata = os.path.join(root, "site"), os.path.join(root, "api-qapi")
    index_path = os.path.join(site, "index.json")
    with open(index_path, encoding="utf-8") as f:
        index = json.load(f)

    added = 0
    for type_uid in COMMAND_TYPES:
        yml, page = os.path.join(metadata, type_uid + ".yml"), f"api/{type_uid}.html"
        if not os.path.exists(yml) or not os.path.exists(os.path.join(site, page)):
            sys.exit(f"postprocess: {yml} or {page} is missing: the commands would not be searchable")
        with open(yml, encoding="utf-8") as f:
            members = yaml.load(f, Loader=LOADER)["items"][1:]
        with open(os.path.join(site, page), encoding="utf-8") as f:
            anchors = {uid: anchor for anchor, uid in HEADING.findall(f.read())}
        short_type = type_uid.rsplit(".", 1)[1]
        for member in members:
            kind, wire = wire_name(member)
            if kind != "command":
                continue
            anchor = anchors.get(html.unescape(member["uid"]))
            if anchor is None:
                sys.exit(f"postprocess: no anchor for {member['uid']} on {page}")
            method = member["name"].split("(")[0]
            href = f"{page}#{anchor}"
            index[href] = {
                "href": href,
                "title": f"{wire}: {short_type}.{method}",
                "summary": text_of(member.get("summary")),
                "keywords": f"{wire} {method}",
            }
            added += 1

    events = 0
    for yml in glob.glob(os.path.join(metadata, "*.yml")):
        with open(yml, encoding="utf-8") as f:
            text = f.read()
        second = text.find("\n- uid:", text.find("- uid:") + 1)
        first = text[:second] if second != -1 else text
        if "#event-" not in first:
            continue
        item = yaml.load(first.split("\nreferences:")[0], Loader=LOADER)["items"][0]
        kind, wire = wire_name(item)
        entry = index.get(f"api/{item['uid']}.html")
        if kind == "event" and entry and not entry["title"].startswith(wire):
            entry["title"] = f"{wire}: {entry['title']}"
            entry["keywords"] = f"{wire} {entry.get('keywords', '')}".strip()
            events += 1

    with open(index_path, "w", encoding="utf-8") as f:
        json.dump(index, f, ensure_ascii=False, separators=(",", ":"))

    removed = 0
    for source_map in glob.glob(os.path.join(site, "public", "*.map")):
        removed += os.path.getsize(source_map)
        os.remove(source_map)
    for script in glob.glob(os.path.join(site, "public", "*.js")) + glob.glob(os.path.join(site, "public", "*.css")):
        with open(script, encoding="utf-8") as f:
            code = f.read()
        stripped = re.sub(r"\n?/[/*][#@] sourceMappingURL=[^\n]*", "", code)
        if stripped != code:
            with open(script, "w", encoding="utf-8") as f:
                f.write(stripped)
    print(f"postprocess: {added} commands and {events} events searchable by wire name; "
          f"{removed // (1024 * 1024)} MiB of source maps removed")


if __name__ == "__main__":
    main()
