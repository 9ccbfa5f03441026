# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What file_state reads: files without following links, directory trees, passwd and group entries."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat

# Enough for the state files the roles keep (records, markers); a bigger file is not read.
MAX_CONTENT_BYTES = 65536

TYPES = ((stat.S_ISREG, "file"), (stat.S_ISDIR, "directory"), (stat.S_ISLNK, "link"))


def _name(lookup, number, attribute):
    try:
        return getattr(lookup(number), attribute)
    except KeyError:
        return str(number)


def sha1_of(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(path, checksum=False, content=False):
    """Type, mode, owner, group and size of path itself (a link is not followed), and optionally
    the sha1 and the text of a regular file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    entry = {
        "exists": True,
        "type": next((name for test, name in TYPES if test(info.st_mode)), "other"),
        "mode": "%04o" % stat.S_IMODE(info.st_mode),
        "owner": _name(pwd.getpwuid, info.st_uid, "pw_name"),
        "group": _name(grp.getgrgid, info.st_gid, "gr_name"),
        "size": info.st_size,
    }
    if entry["type"] == "file":
        if checksum:
            entry["checksum"] = sha1_of(path)
        if content and info.st_size <= MAX_CONTENT_BYTES:
            with open(path, "rb") as handle:
                entry["content"] = handle.read().decode("utf-8", errors="replace")
    return entry


def describe_tree(top):
    """Every entry under top, by path relative to it, with the sha1 of regular files; {} when top
    is not a directory. Links are listed, never followed."""
    if not os.path.isdir(top) or os.path.islink(top):
        return {}
    entries = {}
    for root, directories, files in os.walk(top):
        for name in directories + files:
            path = os.path.join(root, name)
            entry = describe(path, checksum=True)
            if entry["exists"]:
                del entry["exists"]
                entries[os.path.relpath(path, top)] = entry
    return entries


def read_users(names):
    users = {}
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        users[name] = {
            "uid": entry.pw_uid,
            "gid": entry.pw_gid,
            "group": _name(grp.getgrgid, entry.pw_gid, "gr_name"),
            "home": entry.pw_dir,
            "shell": entry.pw_shell,
            "comment": entry.pw_gecos,
        }
    return users


def read_groups(names):
    groups = {}
    for name in names:
        try:
            groups[name] = {"gid": grp.getgrnam(name).gr_gid}
        except KeyError:
            continue
    return groups
