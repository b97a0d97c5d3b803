#!/usr/bin/env python3
"""After `docfx metadata` from the built assemblies, before the side bar and `docfx build`: three corrections that make
the API metadata read from an assembly say what the C# source says (docs/packaging.md, "Site size and build time").

A compiled assembly has lost three facts that the source has, and docfx 2.81 would show them wrongly:
  1. The parameterless constructor that C# gives a class without one (every generated record of Qmp.Net.Qapi, the option
     classes) is an ordinary public constructor in the assembly, listed without a word of documentation. Every constructor
     declared in the source has XML docs (a missing one fails the build), so a parameterless constructor without a summary
     is the implicit one: it is dropped, as docfx drops it when it reads the source.
  2. A public static member that implements a static abstract interface member (EventName of every event record, for
     IQapiEvent) is recorded in the assembly as an explicit implementation, so docfx leaves out its `public`. It is
     public: the declaration gets its modifier back, and is no longer marked as an explicit implementation.
  3. A C# 14 extension property (`extension(QmpClient client) { public QapiCommands Commands => ...; }`) is compiled to a
     static method `get_Commands(QmpClient)`. It is shown as what the source declares: a property `Commands` of the
     extension block, with its receiver (docfx 2.81 reading the source left extension blocks out altogether).
Only the YAML items concerned are rewritten; a file without any of them is not touched.
Usage: metadata-fixes.py ARTIFACTS_DOCS_DIR (the folder holding api/ and api-qapi/ from docfx metadata)
"""
import os
import re
import sys

ITEM = re.compile(r"^- uid: ", re.M)
ACCESSOR = re.compile(r"^(?P<kind>get|set)_(?P<name>\w+)\((?P<receiver>[^,)]*)\)$")
STATIC_CLASS = re.compile(r"^    content: (public )?static class ", re.M)
SIGNATURE = re.compile(r"^    content: public static (?P<type>.+) [gs]et_\w+\((?P<receiver>[^)]*)\)$", re.M)


def field(block, name):
    m = re.search(rf"^  {re.escape(name)}: (.*)$", block, re.M)
    return m.group(1).strip("'\"") if m else None


def fix_file(path, counts):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if "#ctor" not in text and "isEii: true" not in text and "get_" not in text and "set_" not in text:
        return
    references = text.find("\nreferences:")
    head, tail = (text, "") if references == -1 else (text[:references + 1], text[references + 1:])
    starts = [m.start() for m in ITEM.finditer(head)]
    if not starts:
        return
    preamble, blocks = head[:starts[0]], [head[a:b] for a, b in zip(starts, starts[1:] + [len(head)])]
    static_class = bool(STATIC_CLASS.search(blocks[0]))
    dropped, out, renamed_overloads = [], [], []
    for block in blocks:
        item_id, kind = field(block, "id"), field(block, "type")
        # 1. The implicit parameterless constructor.
        if kind == "Constructor" and item_id == "#ctor" and "\n  summary:" not in block:
            dropped.append(block[len("- uid: "):block.index("\n")].strip("'\""))
            counts["constructors"] += 1
            continue
        # 2. A public static implementation of a static abstract member, shown as an explicit implementation.
        if "\n  isEii: true\n" in block and item_id and "." not in item_id and "\n  implements:\n" in block:
            fixed = block.replace("\n  isEii: true\n", "\n")
            fixed = re.sub(r"^(    content: ['\"]?)static ", r"\1public static ", fixed, count=1, flags=re.M)
            fixed = re.sub(r"^(    content\.vb: ['\"]?)Shared ", r"\1Public Shared ", fixed, count=1, flags=re.M)
            if fixed != block:
                counts["static implementations"] += 1
            block = fixed
        # 3. An extension property's accessor.
        accessor = ACCESSOR.match(item_id or "")
        signature = SIGNATURE.search(block)
        if static_class and kind == "Method" and accessor and signature:
            name, receiver_type = accessor.group("name"), signature.group("receiver").split(" ")[0]
            receiver = signature.group("receiver")
            accessors = "get;" if accessor.group("kind") == "get" else "set;"
            declaration = (f"    content: |-\n      extension({receiver})\n      {{\n"
                           f"          public {signature.group('type')} {name} {{ {accessors} }}\n      }}")
            block = block.replace(signature.group(0), declaration)
            block = re.sub(r"^    parameters:\n(    - .*\n|      .*\n)*", "", block, flags=re.M)
            block = block.replace("\n  type: Method\n", "\n  type: Property\n")
            for key in ("name", "nameWithType", "fullName"):
                value = field(block, key)
                if value:
                    renamed = re.sub(r"[gs]et_\w+\([^)]*\)$", name, value)
                    block = re.sub(rf"^  {key}: .*$", f"  {key}: {renamed}", block, count=1, flags=re.M)
            block = re.sub(r"^  id: .*$", f"  id: {name}", block, count=1, flags=re.M)
            renamed_overloads.append((field(block, "overload"), name))
            counts[f"extension properties (receiver {receiver_type})"] = counts.get(f"extension properties (receiver {receiver_type})", 0) + 1
        out.append(block)
    for overload, name in renamed_overloads:      # the overload's entry among the references names the property too
        tail = re.sub(rf"^(- uid: {re.escape(overload)}\n(?:  .*\n)*)",
                      lambda m: re.sub(r"^(  (?:name|nameWithType|fullName): (?:.*\.)?)[gs]et_(\w+)$", r"\1\2", m.group(1),
                                       flags=re.M), tail, count=1, flags=re.M)
    for uid in dropped:
        out = [re.sub(r"\n  children:\n(?!  - )", "\n  children: []\n", b.replace(f"\n  - {uid}\n", "\n", 1), count=1)
               for b in out]
        # and its overload's entry among the references
        tail = re.sub(rf"^- uid: {re.escape(uid)}\*\n(  .*\n)*", "", tail, count=1, flags=re.M)
    new = preamble + "".join(out) + tail
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
        counts["files"] += 1


def main():
    root = sys.argv[1]
    counts = {"files": 0, "constructors": 0, "static implementations": 0}
    for folder in ("api", "api-qapi"):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if name.endswith(".yml") and name != "toc.yml":
                fix_file(os.path.join(root, folder, name), counts)
    print("metadata-fixes: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
