#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_files
short_description: Write a set of files from templates, content or a controller tree, checked as one, in one run
version_added: 0.2.0
description:
  - Makes files, directories and directory trees on the host match a description, and decides by itself what
    changed, so a role writes all the files of one handler topic in one task and needs no guard of its own.
  - Templates are rendered on the controller (through the same search path as M(ansible.builtin.template),
    the role's C(templates/), then the playbook's), and only the checksums are sent first. Contents travel
    only for the files that differ, so an unchanged set costs one module run and sends no file contents.
  - Every new content goes to a hidden temporary file beside its destination (C(.<name>.<random>.tmp)), gets
    its owner, group and mode, and is checked by its own O(files[].validate) before anything is moved into
    place. Then the files are moved into place, pruned files removed, and O(validate) checks the whole set
    (C(nginx -t), for example). When any check refuses, every file, directory and pruned file is put back as
    it was, and the task fails with the checker's own error lines.
  - Files marked O(files[].secret) never show their content, in the diff or in the task's arguments at any
    verbosity. No file content shows in the task's arguments (C(-vvv)); contents show only in C(--diff).
author:
  - scalable.webstack maintainers (@scalable-webstack)
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: Renders O(files[].template), reads O(files[].src) and O(trees[].src) on the controller.
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reports what would change; no validation runs.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per path - content before and after, owner, group and mode, created and pruned paths.
options:
  files:
    description: The files.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute path of the file.
        type: path
        required: true
      template:
        description:
          - A Jinja2 template rendered on the controller, found like M(ansible.builtin.template) finds its C(src)
            (a path, or a name searched in the role's and the playbook's C(templates/) directories).
        type: str
      vars:
        description: Variables for O(files[].template) only, on top of the task's.
        type: dict
      src:
        description: A file on the controller copied as it is (searched in C(files/) like M(ansible.builtin.copy)).
        type: str
      content:
        description: What the file holds, as text.
        type: str
      content_base64:
        description: What the file holds, base64-encoded (binary files; used for O(trees)).
        type: str
      checksum:
        description: SHA-1 of the content when the content itself is not sent (the action plugin's first pass).
        type: str
      state:
        description:
          - V(present) - the file holds the content.
          - V(exists) - the file exists with its attributes; its content is not managed (created empty when missing).
          - V(absent) - the file is removed.
        type: str
        choices: [present, exists, absent]
        default: present
      owner:
        description: Owner; defaults to O(owner).
        type: str
      group:
        description: Group; defaults to O(group).
        type: str
      mode:
        description: Octal mode such as C("0640"); defaults to O(mode).
        type: raw
      validate:
        description:
          - A command that checks the new content before it is moved into place; C(%s) is the temporary file.
            Run without a shell.
        type: str
      secret:
        description: Never show the content (diff and results). Use for files that hold passwords or keys.
        type: bool
        default: false
      touch:
        description: Update the modification time even when nothing else changes (reported as a change).
        type: bool
        default: false
      report_size:
        description: Return in RV(sizes) the size the file had before the run (0 when it did not exist).
        type: bool
        default: false
      keep_previous:
        description:
          - Return in RV(results) what the file held before, when its content changed or it was removed (text files
            up to 100 KiB; not with O(files[].secret)).
        type: bool
        default: false
  directories:
    description: Directories to create or keep with their attributes, before the files are written.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owner; defaults to O(owner).
        type: str
      group:
        description: Group; defaults to O(group).
        type: str
      mode:
        description: Octal mode; defaults to O(directory_mode).
        type: raw
      state:
        description:
          - V(present) - the directory exists with its attributes.
          - V(exists) - created with its attributes when missing; an existing one is left as it is.
        type: str
        choices: [present, exists]
        default: present
      prune:
        description: Remove the files in the directory that O(files) does not list and that match O(directories[].prune_patterns).
        type: bool
        default: false
      prune_patterns:
        description: Shell patterns of the names O(directories[].prune) removes.
        type: list
        elements: str
        default: ['*']
      recursive:
        description: Prune the whole tree under the directory, subdirectories included.
        type: bool
        default: false
  trees:
    description:
      - Directory trees copied from the controller, each with every file and directory under it; what the source
        no longer holds is removed from the host.
      - A source file with an execute bit gets one wherever O(trees[].mode) gives a read bit.
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: Directory on the controller (searched in C(files/) like M(ansible.builtin.copy)).
        type: str
        required: true
      dest:
        description: Absolute path of the directory on the host.
        type: path
        required: true
      owner:
        description: Owner of every file and directory; defaults to O(owner).
        type: str
      group:
        description: Group of every file and directory; defaults to O(group).
        type: str
      mode:
        description: Octal mode of the files; defaults to O(mode).
        type: raw
      directory_mode:
        description: Octal mode of the directories; defaults to O(directory_mode).
        type: raw
  owner:
    description: Owner of every path that does not set its own; unset leaves it as it is (root for new paths).
    type: str
  group:
    description: Group of every path that does not set its own.
    type: str
  mode:
    description: Mode of every file that does not set its own; unset keeps the mode of a replaced file.
    type: raw
  directory_mode:
    description: Mode of every directory that does not set its own.
    type: raw
  validate:
    description:
      - A command run once every file is in place (for example C(nginx -t -q)). When it fails, every path is put
        back as it was. Run without a shell.
    type: str
  read:
    description:
      - Files to read, changing nothing, in the same run (a lock file, a marker); RV(contents) returns what each
        held before the run. Text files up to 100 KiB.
    type: list
    elements: path
    default: []
  backup:
    description: Keep a copy of each replaced or removed file, named after it with a timestamp; O(backup) returns them.
    type: bool
    default: false
  plan_only:
    description: Compare only and change nothing; set by the action plugin for its first pass.
    type: bool
    default: false
notes:
  - The files of one call share one fate - all are in place, or none changed. Call it once per handler topic (for
    example the VCL, reloaded, apart from a unit drop-in that needs a restart).
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write nginx's files, check them with nginx -t, put the previous ones back when it refuses
  scalable.webstack.config_files:
    owner: root
    group: root
    mode: "0644"
    directories:
      - path: /etc/nginx/vhosts.d
        mode: "0755"
        prune: true
        prune_patterns: ["*.conf"]
    files:
      - dest: /etc/nginx/nginx.conf
        template: "{{ nginx_config_template }}"
      - dest: /etc/nginx/vhosts.d/shop.conf
        template: vhost.conf.j2
        vars:
          vhost: "{{ shop_vhost }}"
    validate: nginx -t -q
  notify: Reload nginx

- name: The code of an app from a controller directory, and its environment (a secret)
  scalable.webstack.config_files:
    owner: root
    group: shop
    mode: "0640"
    directory_mode: "0750"
    trees:
      - src: "{{ playbook_dir }}/apps/shop"
        dest: /opt/shop/src
    files:
      - dest: /opt/shop/app.env
        content: "DATABASE_PASSWORD={{ shop_password }}\n"
        secret: true
"""

RETURN = r"""
changed_paths:
  description: Every path created, changed, touched, pruned or removed.
  returned: always
  type: list
  elements: str
  sample: [/etc/nginx/vhosts.d/shop.conf]
results:
  description:
    - What happened to each path that changed - C(created), C(content), C(attributes), C(touched), C(removed) or
      C(pruned); with O(files[].keep_previous), C(previous) holds what the file held before.
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/nginx/vhosts.d/shop.conf, type: file, state: content}]
backups:
  description: The copy kept of each replaced or removed file, by path.
  returned: when O(backup=true) and a file was replaced or removed
  type: dict
  sample: {/etc/haproxy/haproxy.cfg: /etc/haproxy/haproxy.cfg.2104.2026-12-01@10:30:00~}
contents:
  description: What each file of O(read) held before the run, by path; null for a missing, larger or binary file.
  returned: always
  type: dict
  sample: {/opt/shop/requirements.lock: "bottle==0.13.2\n"}
sizes:
  description: The size before the run of each file with O(files[].report_size), by path.
  returned: always
  type: dict
  sample: {/var/log/uwsgi/app/shop.log: 20480}
needs_content:
  description: The files whose content differs and was not sent (first pass of the action plugin).
  returned: when O(plan_only=true)
  type: list
  elements: str
rc:
  description: Exit code of the check that refused the files.
  returned: when a check refused the files
  type: int
stdout:
  description: Output of the check that refused the files.
  returned: when a check refused the files
  type: str
stderr:
  description: Error output of the check that refused the files.
  returned: when a check refused the files
  type: str
"""

import base64
import binascii

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.scalable.webstack.plugins.module_utils._config_files import (
    ConfigFilesError,
    DirectorySpec,
    FileSpec,
    Transaction,
    backup_name,
    read_text,
    describe,
    make_plan,
)

FILE_OPTIONS = dict(
    dest=dict(type="path", required=True),
    template=dict(type="str"),
    vars=dict(type="dict"),
    src=dict(type="str"),
    content=dict(type="str"),
    content_base64=dict(type="str"),
    checksum=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "exists", "absent"]),
    owner=dict(type="str"),
    group=dict(type="str"),
    mode=dict(type="raw"),
    validate=dict(type="str"),
    secret=dict(type="bool", default=False),
    touch=dict(type="bool", default=False),
    keep_previous=dict(type="bool", default=False),
    report_size=dict(type="bool", default=False),
)
DIRECTORY_OPTIONS = dict(
    path=dict(type="path", required=True),
    owner=dict(type="str"),
    group=dict(type="str"),
    mode=dict(type="raw"),
    state=dict(type="str", default="present", choices=["present", "exists"]),
    prune=dict(type="bool", default=False),
    prune_patterns=dict(type="list", elements="str", default=["*"]),
    recursive=dict(type="bool", default=False),
)
TREE_OPTIONS = dict(
    src=dict(type="str", required=True),
    dest=dict(type="path", required=True),
    owner=dict(type="str"),
    group=dict(type="str"),
    mode=dict(type="raw"),
    directory_mode=dict(type="raw"),
)


def argument_spec():
    return dict(
        files=dict(type="list", elements="dict", default=[], options=FILE_OPTIONS),
        directories=dict(type="list", elements="dict", default=[], options=DIRECTORY_OPTIONS),
        trees=dict(type="list", elements="dict", default=[], options=TREE_OPTIONS),
        owner=dict(type="str"),
        group=dict(type="str"),
        mode=dict(type="raw"),
        directory_mode=dict(type="raw"),
        validate=dict(type="str"),
        read=dict(type="list", elements="path", default=[]),
        backup=dict(type="bool", default=False),
        plan_only=dict(type="bool", default=False),
    )


def file_spec(option, defaults):
    """A FileSpec from one entry of the files option, its content decoded to bytes."""
    if option["template"] is not None or option["src"] is not None:
        raise ConfigFilesError("files: %s names a template or src, which only the action plugin reads: call "
                               "the module as scalable.webstack.config_files" % option["dest"])
    spec = dict(option)
    if option["content_base64"] is not None:
        try:
            spec["content"] = base64.b64decode(option["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ConfigFilesError("files: content_base64 of %s is not base64" % option["dest"])
    elif option["content"] is not None:
        spec["content"] = to_bytes(option["content"], errors="surrogate_or_strict")
    return FileSpec(spec, defaults)


def run(module):
    params = module.params
    if params["trees"]:
        raise ConfigFilesError("trees are read on the controller by the action plugin: call the module as "
                               "scalable.webstack.config_files")
    defaults = dict(owner=params["owner"], group=params["group"], mode=params["mode"],
                    directory_mode=params["directory_mode"])
    files = [file_spec(option, defaults) for option in params["files"]]
    directories = [DirectorySpec(option, defaults) for option in params["directories"]]
    dests = [spec.dest for spec in files]
    duplicates = sorted({dest for dest in dests if dests.count(dest) > 1})
    if duplicates:
        raise ConfigFilesError("files lists %s more than once" % ", ".join(duplicates))

    unknown = sorted({name for spec in files if spec.state != "absent" for name in spec.attributes.unknown()}
                     | {name for spec in directories for name in spec.attributes.unknown()})
    if unknown and not module.check_mode:
        raise ConfigFilesError("no such %s on this host: create it before these files" % ", ".join(unknown))

    plan = make_plan(files, directories)
    results, diffs = describe(plan, module._diff)
    result = dict(changed=plan.changed, changed_paths=[entry["path"] for entry in results], results=results,
                  sizes=plan.sizes, contents={path: read_text(path) for path in params["read"]})
    if module._diff:
        result["diff"] = diffs
    if unknown:
        module.warn("no such %s on this host yet; the real run creates it first, or fails" % ", ".join(unknown))
    if params["plan_only"]:
        result["needs_content"] = plan.needs_content()
        return result
    if module.check_mode or not plan.changed:
        return result
    transaction = Transaction(plan, module.run_command)
    backups = transaction.apply(params["validate"], backup_name if params["backup"] else None)
    if backups:
        result["backups"] = backups
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run(module)
    except ConfigFilesError as error:
        module.fail_json(msg=str(error), **error.details)
    except OSError as error:
        module.fail_json(msg="%s: %s" % (getattr(error, "filename", None) or "config_files", error.strerror or error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
