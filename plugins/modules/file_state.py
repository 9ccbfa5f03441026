#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: file_state
short_description: Files, directory trees, users and groups of a host, read in one module run
version_added: 0.1.0
description:
  - Reads in one module run what a role would otherwise read with a C(stat), C(slurp), C(find) or
    C(getent) task each, so that its write tasks can be skipped when the host already is as wanted.
  - Links are reported as links, never followed.
  - Reads only; changes nothing.
author:
  - scalable.webstack maintainers (@scalable-webstack)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads the same in check mode; never changes anything.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
options:
  paths:
    description: Paths to describe (type, mode, owner, group, size).
    type: list
    elements: path
    default: []
  checksums:
    description: Paths to describe, with the SHA-1 of those that are regular files.
    type: list
    elements: path
    default: []
  contents:
    description:
      - Paths to describe, with the text of those that are regular files of at most 64 KiB.
      - For small state files; never list a file that holds secrets, its text is in the result.
    type: list
    elements: path
    default: []
  trees:
    description: Directories whose every entry is described, recursively, with the SHA-1 of regular files.
    type: list
    elements: path
    default: []
  users:
    description: Users to look up in the host's user database.
    type: list
    elements: str
    default: []
  groups:
    description: Groups to look up in the host's group database.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Read what the app's tasks would change
  scalable.webstack.file_state:
    paths: [/srv/app]
    checksums: [/etc/app/app.ini]
    contents: [/srv/app/.deployed-version]
    trees: [/srv/app/src]
    users: [app]
    groups: [app]
  register: app_state

- name: Create the app's directory only when it is not there as wanted
  ansible.builtin.file:
    path: /srv/app
    state: directory
    owner: root
    group: app
    mode: "0750"
  when: app_state.paths['/srv/app'] is not scalable.webstack.file_like(type='directory', group='app', mode='0750')
"""

RETURN = r"""
paths:
  description: Each path of O(paths), O(checksums) and O(contents), by the path as given.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the path exists (a dangling link does).
      type: bool
    type:
      description: V(file), V(directory), V(link) or V(other); only when it exists.
      type: str
    mode:
      description: The permission bits, as four octal digits.
      type: str
      sample: "0640"
    owner:
      description: The owner's name, or its uid when it has none.
      type: str
    group:
      description: The group's name, or its gid when it has none.
      type: str
    size:
      description: Size in bytes.
      type: int
    checksum:
      description: SHA-1 of a regular file listed in O(checksums).
      type: str
    content:
      description: Text of a regular file of at most 64 KiB listed in O(contents).
      type: str
  sample: {/etc/app/app.ini: {exists: true, type: file, mode: "0640", owner: root, group: app, size: 120}}
trees:
  description:
    - Each directory of O(trees), as a dict of its entries by path relative to it, each described
      as in RV(paths) without C(exists), regular files with their C(checksum).
    - Empty for a directory that does not exist.
  returned: always
  type: dict
  sample: {/srv/app/src: {app.py: {type: file, mode: "0640", owner: root, group: app, size: 10, checksum: "..."}}}
users:
  description: The users of O(users) that exist, by name.
  returned: always
  type: dict
  sample: {app: {uid: 998, gid: 998, group: app, home: /srv/app, shell: /usr/sbin/nologin, comment: The app}}
groups:
  description: The groups of O(groups) that exist, by name.
  returned: always
  type: dict
  sample: {app: {gid: 998}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._file_state import (
    describe,
    describe_tree,
    read_groups,
    read_users,
)


def main():
    path_list = dict(type="list", elements="path", default=[])
    name_list = dict(type="list", elements="str", default=[])
    module = AnsibleModule(
        argument_spec=dict(paths=path_list, checksums=path_list, contents=path_list, trees=path_list,
                           users=name_list, groups=name_list),
        supports_check_mode=True,
    )
    params = module.params
    paths = {}
    try:
        for path in params["paths"]:
            paths[path] = describe(path)
        for path in params["checksums"]:
            paths[path] = describe(path, checksum=True)
        for path in params["contents"]:
            paths[path] = describe(path, content=True)
        trees = {top: describe_tree(top) for top in params["trees"]}
    except OSError as error:
        module.fail_json(msg="could not read %s: %s" % (error.filename, error.strerror))
    module.exit_json(changed=False, paths=paths, trees=trees,
                     users=read_users(params["users"]), groups=read_groups(params["groups"]))


if __name__ == "__main__":
    main()
