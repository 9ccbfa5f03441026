#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_file
short_description: Write a file from content the task already has, validated, in one module run
version_added: 0.1.0
description:
  - Makes O(dest) hold O(content) with the given owner, group and mode, like M(ansible.builtin.copy)
    with O(content), and reports what it changed.
  - One module run, whether the file changes or not. M(ansible.builtin.template) and
    M(ansible.builtin.copy) take four round trips for a file that does not change (a temporary
    directory, C(stat), C(file) and the clean-up); render the content on the controller with the
    C(ansible.builtin.template) lookup instead.
  - A new content is written to a hidden temporary file next to O(dest) (C(.<name>.<random>.tmp), which
    the include patterns of nginx, uWSGI and the like skip), given its owner, group and mode, checked with
    O(validate), and only then renamed over O(dest). A refused content leaves O(dest) untouched.
author:
  - scalable.webstack maintainers (@scalable-webstack)
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reports the change, content and attributes; O(validate) is not run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The content before and after, and owner, group and mode changes.
options:
  dest:
    description: Absolute path of the file. Its directory must exist.
    type: path
    required: true
  content:
    description:
      - What the file must hold, as text (UTF-8).
      - Shown in the diff and, at high verbosity, in the task's arguments, as M(ansible.builtin.template)
        shows its result. Set C(no_log) on the task for secrets.
    type: str
    required: true
  validate:
    description:
      - Command that checks the new content before it replaces O(dest); C(%s) is the temporary file,
        C(%%) a percent sign, as for M(ansible.builtin.copy).
      - Run without a shell. A non-zero exit refuses the content and fails the task with the command's
        output.
    type: str
  backup:
    description: Keep a copy of the previous file, named after it with a timestamp, and return its path.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write haproxy.cfg, checked by haproxy before it replaces the running one
  scalable.webstack.config_file:
    dest: /etc/haproxy/haproxy.cfg
    content: "{{ lookup('ansible.builtin.template', 'haproxy.cfg.j2') }}"
    owner: root
    group: haproxy
    mode: "0640"
    validate: haproxy -c -f %s
  notify: Reload haproxy

- name: Write a secret, hidden from the logs
  scalable.webstack.config_file:
    dest: /etc/app/secret.env
    content: "TOKEN={{ app_token }}\n"
    owner: root
    group: app
    mode: "0640"
  no_log: true
"""

RETURN = r"""
dest:
  description: O(dest).
  returned: always
  type: str
  sample: /etc/haproxy/haproxy.cfg
checksum:
  description: SHA1 of O(content).
  returned: always
  type: str
  sample: 6e642bb8dd5c2e027bf21dd923337cbb4214f827
backup_file:
  description: The copy of the previous file.
  returned: when O(backup=true) and the content changed
  type: str
  sample: /etc/haproxy/haproxy.cfg.12345.2026-11-30@10:30:00~
exit_status:
  description: Exit code of O(validate).
  returned: when O(validate) refused the content
  type: int
  sample: 1
stdout:
  description: Output of O(validate).
  returned: when O(validate) refused the content
  type: str
stderr:
  description: Error output of O(validate).
  returned: when O(validate) refused the content
  type: str
"""

import hashlib
import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

# Diffs of larger files are left out, as ansible.builtin.copy does by default.
MAX_DIFF_BYTES = 104448


def read_current(path):
    try:
        with open(path, "rb") as current:
            return current.read()
    except FileNotFoundError:
        return None


def content_diff(dest, before, after):
    if len(before or b"") > MAX_DIFF_BYTES or len(after) > MAX_DIFF_BYTES:
        return {"before_header": dest, "after_header": dest, "before": "", "after": "",
                "prepared": "(file larger than %d bytes, no diff)" % MAX_DIFF_BYTES}
    return {"before_header": dest if before is not None else "(absent)", "after_header": dest,
            "before": to_text(before or b"", errors="surrogate_or_strict"),
            "after": to_text(after, errors="surrogate_or_strict")}


def validate(module, command, path):
    if "%s" not in command:
        module.fail_json(msg="validate must contain %%s: %s" % command)
    return module.run_command(command % path)


def write(module, dest, data):
    """Write to a temporary file beside dest, give it its attributes, validate it, rename it over dest."""
    directory, name = os.path.split(dest)
    if not os.path.isdir(directory):
        module.fail_json(msg="Destination directory %s does not exist" % directory, dest=dest)
    fd, tmp_path = tempfile.mkstemp(prefix="." + name + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
        # Without owner, group or mode, keep those of the file replaced, or those of a new file.
        if os.path.exists(dest):
            current = os.stat(dest)
            os.chown(tmp_path, current.st_uid, current.st_gid)
            os.chmod(tmp_path, stat.S_IMODE(current.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
        module.set_fs_attributes_if_different(module.load_file_common_arguments(module.params, path=tmp_path), False)
        if module.params["validate"]:
            rc, out, err = validate(module, module.params["validate"], tmp_path)
            if rc != 0:
                module.fail_json(msg="failed to validate", dest=dest, exit_status=rc, stdout=out, stderr=err)
        backup_file = module.backup_local(dest) if module.params["backup"] and os.path.exists(dest) else None
        os.rename(tmp_path, dest)
        return backup_file
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            content=dict(type="str", required=True),
            validate=dict(type="str"),
            backup=dict(type="bool", default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    dest = module.params["dest"]
    data = to_bytes(module.params["content"], errors="surrogate_or_strict")
    before = read_current(dest)
    # As ansible.builtin.copy does by default: a link at dest is replaced by the file, not followed.
    content_changed = before != data or os.path.islink(dest)
    result = dict(dest=dest, checksum=hashlib.sha1(data).hexdigest())

    diff = []
    if content_changed:
        diff.append(content_diff(dest, before, data))
        if not module.check_mode:
            backup_file = write(module, dest, data)
            if backup_file:
                result["backup_file"] = backup_file

    attributes_diff = {"before": {}, "after": {}}
    if before is None and module.check_mode:
        changed = True
    else:
        file_args = module.load_file_common_arguments(module.params)
        changed = module.set_fs_attributes_if_different(file_args, content_changed, attributes_diff)
    if attributes_diff["before"] or attributes_diff["after"]:
        diff.append(attributes_diff)
    if module._diff:
        result["diff"] = diff
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
