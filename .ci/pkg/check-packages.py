#!/usr/bin/env python3
"""Checks the packages that .ci/pkg.sh packed: check-packages.py FEED VERSION REPOSITORY_URL COMMIT.

Each .nupkg must have the version, the MIT licence expression, a readme that is packed and starts with '# <id>', a
description, the qemu and qmp tags, the repository URL as project and repository URL, the commit, its own assemblies
with XML docs beside the libraries; its .snupkg must hold a PDB for each assembly whose SourceLink names the commit.
Prints one line per package and every problem; exits with 1 when there is any. docs/packaging.md describes it.
"""
import glob, os, re, sys, zipfile
import xml.etree.ElementTree as ET

feed, version, repo_url, commit = sys.argv[1:]
problems = []
packages = sorted(glob.glob(os.path.join(feed, "*.nupkg")))
ids = []
for path in packages:
    name = os.path.basename(path)
    before = len(problems)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        nuspec_name = next(n for n in names if n.endswith(".nuspec") and "/" not in n)
        meta = ET.fromstring(z.read(nuspec_name)).find("{*}metadata")
        get = lambda tag: meta.find("{*}" + tag)
        pid = get("id").text
        ids.append(pid)
        def need(ok, what):
            if not ok:
                problems.append(f"{name}: {what}")
        need(get("version").text == version, f"version {get('version').text}, expected {version}")
        lic = get("license")
        need(lic is not None and lic.get("type") == "expression" and lic.text == "MIT", "licence is not the expression MIT")
        readme = get("readme")
        need(readme is not None and readme.text in names and len(z.read(readme.text).strip()) > 0,
             "no readme, or the readme file is missing or empty")
        if readme is not None and readme.text in names:
            need(z.read(readme.text).decode().lstrip().startswith("# " + pid), f"the readme does not start with '# {pid}'")
        desc = get("description")
        need(desc is not None and len(desc.text or "") > 20, "no description")
        need(get("projectUrl") is not None and get("projectUrl").text == repo_url, "projectUrl is not the repository URL")
        repo = get("repository")
        need(repo is not None and repo.get("url") == repo_url, f"repository url is not {repo_url}")
        need(repo is not None and repo.get("commit") == commit, f"repository commit is not {commit}")
        tags = (get("tags").text or "").split() if get("tags") is not None else []
        need("qmp" in tags and "qemu" in tags, "tags lack qemu and qmp")
        # The package's own assemblies: lib/<tfm>/<id>.dll for a library; for a .NET tool (Qmp.Net.Shell), the entry
        # point that tools/<tfm>/any/DotnetToolSettings.xml names.
        dlls = [n for n in names if re.match(r"^lib/[^/]+/[^/]+\.dll$", n) and os.path.basename(n)[:-4] == pid]
        for settings in (n for n in names if re.match(r"^tools/[^/]+/any/DotnetToolSettings\.xml$", n)):
            for command in ET.fromstring(z.read(settings)).iter("Command"):
                dlls.append(os.path.dirname(settings) + "/" + command.get("EntryPoint"))
        need(len(dlls) > 0 and all(d in names for d in dlls), "no assembly of its own")
        for dll in dlls:
            if dll.startswith("lib/"):
                need(dll[:-4] + ".xml" in names, f"{dll} has no XML documentation beside it")
    sym = path[:-len(".nupkg")] + ".snupkg"
    if not os.path.exists(sym):
        problems.append(f"{name}: no matching .snupkg")
        print(f"pkg: {name}: FAILED")
        continue
    with zipfile.ZipFile(sym) as z:
        for dll in dlls:
            pdb = dll[:-4] + ".pdb"
            if pdb not in z.namelist():
                problems.append(f"{os.path.basename(sym)}: no {pdb}")
                continue
            data = z.read(pdb)
            link = re.search(rb'\{"documents":\{.*?\}\}', data)
            if link is None or commit.encode() not in link.group(0):
                problems.append(f"{os.path.basename(sym)}: {pdb} has no SourceLink to commit {commit}")
    size = lambda p: os.path.getsize(p) // 1024
    print(f"pkg: {name} ({size(path)} KiB) + {os.path.basename(sym)} ({size(sym)} KiB): " +
          ("ok" if len(problems) == before else "FAILED"))
for expected in ("Qmp.Net", "Qmp.Net.Testing", "Qmp.Net.Shell", "Qmp.Net.Qapi"):
    if expected not in ids:
        problems.append(f"no package {expected} was produced")
for p in problems:
    print("pkg: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
