# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file_like test: a path as scalable.webstack.file_state described it is already as wanted."""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes


def _mode_number(mode):
    if isinstance(mode, int):
        return mode
    try:
        return int(str(mode), 8)
    except ValueError as error:
        raise AnsibleError("file_like: mode %r is not octal" % (mode,)) from error


def file_like(entry, type=None, owner=None, group=None, mode=None, content=None, checksum=None):  # pylint: disable=redefined-builtin
    if not isinstance(entry, dict):
        raise AnsibleError("file_like tests an entry of scalable.webstack.file_state's result, not %r" % (entry,))
    if not entry.get("exists", True):
        return False
    if content is not None:
        checksum = hashlib.sha1(to_bytes(content, errors="surrogate_or_strict")).hexdigest()
    wanted = {"type": type, "owner": owner, "group": group, "checksum": checksum}
    for key, value in wanted.items():
        if value is not None and entry.get(key) != value:
            return False
    return mode is None or ("mode" in entry and _mode_number(entry["mode"]) == _mode_number(mode))


class TestModule:
    def tests(self):
        return {"file_like": file_like}
