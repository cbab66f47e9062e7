#!/usr/bin/env python3
"""Writes an apk installed database for .debs unpacked into a root.

    apkdb.py ROOT "WORLD NAMES" DEB...

writes ROOT/lib/apk/db/installed (one stanza per package) and
ROOT/etc/apk/world (the names asked for, one a line), in the format apk-tools
documents for its installed database (the "Apk spec" of the Alpine wiki and
apk-tools' doc/apk-package.5): stanzas separated by a blank line, one
"X:value" field a line, in the order apk writes them,

    C: checksum of the package ("Q1" + base64 of a SHA-1)
    P: name   V: version   A: architecture   S: package size
    I: installed size   T: description   U: url   L: license
    o: origin   m: maintainer   t: build time   c: commit
    D: dependencies (space-separated)
    F: a directory (no leading slash), then for each file in it
       R: its name   a: uid:gid:mode   Z: "Q1" + base64 SHA-1 of its content
       (of the link target, for a symlink)

and checks every stanza it writes against that grammar before writing it.
"""
import base64
import hashlib
import os
import re
import subprocess
import sys
import tarfile

FIELD_ORDER = "CPVASITULomtcDFRaZ"
FIELD = re.compile(r"^[CPVASITULomtcDFRaZ]:[^\n]*$")
CHECKSUM = re.compile(r"^Q1[A-Za-z0-9+/]{27}=$")


def q1(data: bytes) -> str:
    return "Q1" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def control(deb: str) -> dict:
    out = subprocess.run(["dpkg-deb", "-f", deb], check=True, capture_output=True, text=True).stdout
    fields, key = {}, None
    for line in out.splitlines():
        if line.startswith((" ", "\t")) and key:
            continue  # continuation lines: the description's body
        key, _, val = line.partition(":")
        fields[key] = val.strip()
    return fields


def apk_version(v: str) -> str:
    # apk versions are digits and dots, optional letter and _suffixes,
    # then -rN: keep the upstream version's leading numeric part.
    up = v.split(":", 1)[-1].rsplit("-", 1)[0]
    m = re.match(r"[0-9]+(\.[0-9]+)*", up)
    return (m.group(0) if m else "0") + "-r0"


def deps(f: dict) -> list:
    out = []
    for field in ("Pre-Depends", "Depends"):
        for d in f.get(field, "").split(","):
            name = re.sub(r"\(.*?\)", "", d.split("|")[0]).replace(":any", "").strip()
            if name and name not in out:
                out.append(name)
    return out


def files(deb: str) -> dict:
    """dir -> [(name, content checksum)] of the .deb's files and links."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    tmp = deb + ".data.tar"
    out = {}
    with open(tmp, "wb") as w:
        w.write(data)
    try:
        with tarfile.open(tmp) as t:
            for m in t:
                if m.isdir():
                    continue
                path = os.path.normpath(m.name.lstrip("./"))
                d, name = os.path.split(path)
                if m.issym():
                    z = q1(m.linkname.encode())
                elif m.isfile():
                    z = q1(t.extractfile(m).read())
                else:
                    continue
                out.setdefault(d, []).append((name, m.mode, z))
    finally:
        os.unlink(tmp)
    return out


def check(stanza: list) -> None:
    seen = ""
    for line in stanza:
        if not FIELD.match(line):
            raise SystemExit(f"apkdb: not an apk database line: {line!r}")
        seen += line[0]
    if not seen.startswith("CP"):
        raise SystemExit(f"apkdb: a stanza starts {seen[:2]!r}, apk writes C: then P:")
    head = "".join(c for c in seen if c not in "FRaZ")
    if head != "".join(c for c in FIELD_ORDER if c in head):
        raise SystemExit(f"apkdb: fields out of apk's order: {head}")
    if not CHECKSUM.match(stanza[0][2:]):
        raise SystemExit(f"apkdb: bad checksum {stanza[0]!r}")
    # Every R: follows an F: and is followed by its a: and Z:.
    tail = "".join(c for c in seen if c in "FRaZ")
    if not re.fullmatch(r"(F(RaZ)*)*", tail):
        raise SystemExit(f"apkdb: file entries out of order: {tail}")


def main() -> None:
    root, world, debs = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
    stanzas = []
    for deb in debs:
        f = control(deb)
        with open(deb, "rb") as r:
            pkgsum = q1(r.read())
        st = [
            "C:" + pkgsum,
            "P:" + f["Package"],
            "V:" + apk_version(f["Version"]),
            "A:x86_64",
            "S:%d" % os.path.getsize(deb),
            "I:%d" % (int(f.get("Installed-Size", "0")) * 1024),
            "T:" + f.get("Description", f["Package"]),
            "U:" + f.get("Homepage", "https://www.debian.org"),
            "L:custom",
            "o:" + f.get("Source", f["Package"]).split(" ")[0],
            "m:" + f.get("Maintainer", "unknown"),
            "t:1700000000",
            "c:" + "0" * 40,
        ]
        ds = deps(f)
        if ds:
            st.append("D:" + " ".join(ds))
        for d, entries in sorted(files(deb).items()):
            st.append("F:" + d)
            for name, mode, z in entries:
                st += ["R:" + name, "a:0:0:%o" % (mode & 0o7777), "Z:" + z]
        check(st)
        stanzas.append("\n".join(st) + "\n")
    os.makedirs(os.path.join(root, "lib/apk/db"), exist_ok=True)
    os.makedirs(os.path.join(root, "etc/apk"), exist_ok=True)
    with open(os.path.join(root, "lib/apk/db/installed"), "w") as w:
        w.write("\n".join(stanzas) + "\n")
    with open(os.path.join(root, "etc/apk/world"), "w") as w:
        w.write("".join(n + "\n" for n in sorted(set(world))))


if __name__ == "__main__":
    main()
