#!/usr/bin/env python3
"""Before `docfx metadata`: puts the built assemblies that the API reference documents, and what they reference, in one
folder, and prints the key under which their metadata may be cached.

docfx reads the API from the assemblies (docs/docfx.json, `metadata`) instead of compiling the projects a second time
with Roslyn (docs/packaging.md, "Site size and build time"). It resolves an assembly's references from the assembly's own
folder first, so ARTIFACTS_DOCS_DIR/bin gets:
  - each project of docs/api.slnf: its Release build for net10.0 and the XML docs beside it (copied);
  - the NuGet packages those projects compile against (their compile assets, from obj/project.assets.json; linked);
  - the .NET reference pack with its XML docs (linked), so that `<inheritdoc/>` on an override of a framework member
    (ToString, Equals) finds its text, as it did when docfx compiled the projects.
The key (printed, and written to ARTIFACTS_DOCS_DIR/metadata.key) is a SHA-256 over what the metadata depends on: each
project's reference assembly (its public and internal surface, not its method bodies, so a change inside a method does
not change the key; the commit that every build writes into it is left out) and XML docs, the packages and the reference pack by name and version, the docfx version and the
metadata configuration and scripts. Same key, same metadata.
Usage: stage-assemblies.py ARTIFACTS_DOCS_DIR
"""
import hashlib
import json
import os
import re
import shutil
import struct
import sys

TFM = "net10.0"
CONFIGURATION = "Release"
# Files whose content shapes the metadata: a change to any of them changes the key.
CONFIG_FILES = ("docs/docfx.json", "docs/filterConfig.yml", "docs/api.slnf", ".config/dotnet-tools.json",
                ".ci/docs/stage-assemblies.py", ".ci/docs/metadata-fixes.py")


def fail(message):
    sys.exit(f"stage-assemblies: {message}")


def dotnet_root():
    dotnet = shutil.which("dotnet")
    if dotnet is None:
        fail("dotnet is not on PATH")
    return os.path.dirname(os.path.realpath(dotnet))


def reference_pack():
    """The newest installed Microsoft.NETCore.App.Ref for TFM, as (version, folder)."""
    packs = os.path.join(dotnet_root(), "packs", "Microsoft.NETCore.App.Ref")
    major = TFM[len("net"):] + "."
    versions = [v for v in os.listdir(packs) if v.startswith(major)] if os.path.isdir(packs) else []
    if not versions:
        fail(f"no .NET reference pack for {TFM} under {packs}")
    version = max(versions, key=lambda v: [int(p) if p.isdigit() else p for p in v.replace("-", ".").split(".")])
    return version, os.path.join(packs, version, "ref", TFM)


def surface_digest(path):
    """SHA-256 of an assembly with what changes at every commit blanked out: the commit in its informational version
    (0.1.0+<commit>, SourceLink; in UTF-8 in the metadata, in UTF-16 in the version resource), and what a deterministic
    build derives from the whole content (the PE and debug directory time stamps, the module version id and its copy in
    a reference assembly's .mvid section). What remains are the assembly's types, members, signatures and attributes."""
    data = re.sub(rb"\+[0-9a-f]{40}", b"+" + b"0" * 40, open(path, "rb").read())
    data = bytearray(re.sub(rb"\+\0(?:[0-9a-f]\0){40}", ("+" + "0" * 40).encode("utf-16-le"), data))
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    data[pe + 8:pe + 12] = bytes(4)                                   # COFF TimeDateStamp
    sections, optional = struct.unpack_from("<H", data, pe + 6)[0], pe + 24
    directories = optional + (96 if struct.unpack_from("<H", data, optional)[0] == 0x10B else 112)
    table = optional + struct.unpack_from("<H", data, pe + 20)[0]

    for i in range(sections):
        name, (size, address, raw_size, raw) = data[table + 40 * i:table + 40 * i + 8], struct.unpack_from("<IIII", data, table + 40 * i + 8)
        if name.rstrip(b"\0") == b".mvid":
            data[raw:raw + raw_size] = bytes(raw_size)

    def offset(rva):
        for i in range(sections):
            size, address, raw_size, raw = struct.unpack_from("<IIII", data, table + 40 * i + 8)
            if address <= rva < address + max(size, raw_size):
                return rva - address + raw
        fail(f"{path}: RVA {rva:#x} is in no section")

    debug, debug_size = struct.unpack_from("<II", data, directories + 6 * 8)
    if debug:
        for entry in range(offset(debug), offset(debug) + debug_size, 28):
            data[entry + 4:entry + 8] = bytes(4)                       # each debug entry's TimeDateStamp
    cli = offset(struct.unpack_from("<I", data, directories + 14 * 8)[0])
    root = offset(struct.unpack_from("<I", data, cli + 8)[0])
    if data[root:root + 4] != b"BSJB":
        fail(f"{path}: no metadata root")
    at = root + 16 + struct.unpack_from("<I", data, root + 12)[0] + 2
    streams, at = struct.unpack_from("<H", data, at)[0], at + 2
    for _ in range(streams):
        start, size = struct.unpack_from("<II", data, at)
        end = data.index(b"\0", at + 8)
        if data[at + 8:end] == b"#GUID":                               # the module version id
            data[root + start:root + start + size] = bytes(size)
        at = (end + 4) & ~3
    return hashlib.sha256(data).digest()


def link(source, folder):
    target = os.path.join(folder, os.path.basename(source))
    if not os.path.lexists(target):
        os.symlink(source, target)


def main():
    root = os.path.abspath(sys.argv[1])
    out = os.path.join(root, "bin")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open("docs/api.slnf", encoding="utf-8") as f:
        projects = json.load(f)["solution"]["projects"]

    key = hashlib.sha256()
    packages = {}
    for project in projects:
        folder, name = os.path.dirname(project), os.path.splitext(os.path.basename(project))[0]
        built = os.path.join(folder, "bin", CONFIGURATION, TFM)
        for ext in (".dll", ".xml"):
            path = os.path.join(built, name + ext)
            if not os.path.exists(path):
                fail(f"{path} is missing: build first (dotnet build docs/api.slnf -c {CONFIGURATION})")
            shutil.copy2(path, out)
        surface = os.path.join(folder, "obj", CONFIGURATION, TFM, "ref", name + ".dll")
        if not os.path.exists(surface):
            fail(f"{surface} is missing: the key needs the reference assembly (ProduceReferenceAssembly)")
        with open(os.path.join(built, name + ".xml"), "rb") as f:
            key.update(name.encode() + b"\0" + surface_digest(surface) + hashlib.sha256(f.read()).digest())
        with open(os.path.join(folder, "obj", "project.assets.json"), encoding="utf-8") as f:
            assets = json.load(f)
        package_folders = list(assets["packageFolders"])
        for library, entry in assets["targets"][TFM].items():
            if entry.get("type") != "package":
                continue
            for asset in entry.get("compile", {}):
                if asset.endswith(".dll"):
                    lib_name, lib_version = library.split("/")
                    packages[library] = next(
                        (os.path.join(p, lib_name.lower(), lib_version, asset) for p in package_folders
                         if os.path.exists(os.path.join(p, lib_name.lower(), lib_version, asset))), None)
                    if packages[library] is None:
                        fail(f"{library} ({asset}) is not in the package folders {package_folders}: restore first")
    for library in sorted(packages):
        link(packages[library], out)
        key.update(library.encode() + b"\0")

    version, pack = reference_pack()
    for name in sorted(os.listdir(pack)):
        if name.endswith((".dll", ".xml")):
            link(os.path.join(pack, name), out)
    key.update(f"Microsoft.NETCore.App.Ref/{version}\0".encode())

    for path in CONFIG_FILES:
        with open(path, "rb") as f:
            key.update(path.encode() + b"\0" + hashlib.sha256(f.read()).digest())

    digest = key.hexdigest()
    with open(os.path.join(root, "metadata.key"), "w", encoding="utf-8") as f:
        f.write(digest + "\n")
    print(digest)


if __name__ == "__main__":
    main()
