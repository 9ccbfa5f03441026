# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the service roles leave their firewall rules for scalable.webstack.firehol: one JSON file per role.
Kept apart from _firehol, which is slow to import, since every service role's tasks use it."""

from __future__ import annotations

import json
import re

EXPORTS_DIR = "/etc/scalable-webstack/firewall.d"
# A role's name names its file there.
ROLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def export_path(role: str) -> str:
    """The file where a role's rules are left."""
    return "%s/%s.json" % (EXPORTS_DIR, role)


def export_entries(role: str, rules: list) -> dict:
    """Where a role's rules are left on the host, as scalable.webstack.config_files' directories and files: the
    exports directory and the role's JSON file, root's and world-readable (the firehol role reads them without
    become). The JSON is the one earlier runs wrote, so a re-run changes nothing."""
    return dict(
        directories=[dict(path=path, owner="root", group="root", mode="0755")
                     for path in (EXPORTS_DIR.rsplit("/", 1)[0], EXPORTS_DIR)],
        files=[dict(dest=export_path(role), owner="root", group="root", mode="0644",
                    content=json.dumps({"role": role, "rules": rules}) + "\n")],
    )
