#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: system_users
short_description: Keep many system users and groups in one run
version_added: 0.2.0
description:
  - Makes the listed system groups and users exist with the given primary group, home, shell and comment (or be
    absent), reading the account databases once and running C(groupadd), C(useradd), C(usermod), C(userdel) or
    C(groupdel) only for what differs. M(ansible.builtin.user) and M(ansible.builtin.group) take one module run per
    account.
  - Order - groups present, users present, users absent, groups absent.
  - Homes are never created or removed; the role that owns the directory does that.
author:
  - scalable.webstack maintainers (@scalable-webstack)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
options:
  groups:
    description: Groups.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Group name.
        type: str
        required: true
      state:
        description: Whether the group exists.
        type: str
        choices: [present, absent]
        default: present
  users:
    description: Users; each is a system account (C(useradd --system)) when created.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      group:
        description: Primary group, which must exist (list it in O(groups)). Required when O(users[].state=present).
        type: str
      home:
        description: Home directory (not created).
        type: path
        default: /nonexistent
      shell:
        description: Login shell.
        type: path
        default: /usr/sbin/nologin
      comment:
        description: The GECOS field.
        type: str
        default: ''
      state:
        description: Whether the user exists.
        type: str
        choices: [present, absent]
        default: present
"""

EXAMPLES = r"""
- name: One user and group per app
  scalable.webstack.system_users:
    groups:
      - name: shop_api
    users:
      - name: shop_api
        group: shop_api
        home: /opt/shop_api
        comment: uWSGI app shop_api
"""

RETURN = r"""
changed_accounts:
  description: What was done to each account that differed, as C(group NAME added) and the like.
  returned: always
  type: list
  elements: str
  sample: [group shop_api added, user shop_api added]
"""

import grp
import pwd

from ansible.module_utils.basic import AnsibleModule

USER_FIELDS = ("group", "home", "shell", "comment")


def found_user(name: str) -> dict | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = str(entry.pw_gid)
    return dict(group=group, home=entry.pw_dir, shell=entry.pw_shell, comment=entry.pw_gecos)


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            groups=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                state=dict(type="str", default="present", choices=["present", "absent"]),
            )),
            users=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                group=dict(type="str"),
                home=dict(type="path", default="/nonexistent"),
                shell=dict(type="path", default="/usr/sbin/nologin"),
                comment=dict(type="str", default=""),
                state=dict(type="str", default="present", choices=["present", "absent"]),
            )),
        ),
        supports_check_mode=True,
    )
    groups, users = module.params["groups"], module.params["users"]
    for user in users:
        if user["state"] == "present" and not user["group"]:
            module.fail_json(msg="users: %s has no group" % user["name"])
    commands, changed, before, after = [], [], {}, {}

    def plan(command: list[str], what: str) -> None:
        commands.append(command)
        changed.append(what)

    new_groups = set()
    for group in groups:
        if group["state"] == "present" and not group_exists(group["name"]):
            plan(["groupadd", "--system", group["name"]], "group %s added" % group["name"])
            new_groups.add(group["name"])
    for user in users:
        found = found_user(user["name"])
        wanted = {field: user[field] for field in USER_FIELDS}
        if user["state"] == "absent":
            if found is not None:
                plan(["userdel", user["name"]], "user %s removed" % user["name"])
                before[user["name"]], after[user["name"]] = found, {}
            continue
        if user["group"] not in new_groups and not group_exists(user["group"]):
            module.fail_json(msg="users: the group %s of %s does not exist: list it in groups"
                             % (user["group"], user["name"]))
        if found is None:
            plan(["useradd", "--system", "--gid", user["group"], "--home-dir", user["home"], "--no-create-home",
                  "--shell", user["shell"], "--comment", user["comment"], user["name"]], "user %s added" % user["name"])
            before[user["name"]], after[user["name"]] = {}, wanted
        elif found != wanted:
            differing = [field for field in USER_FIELDS if found[field] != wanted[field]]
            options = {"group": "--gid", "home": "--home", "shell": "--shell", "comment": "--comment"}
            command = ["usermod"]
            for field in differing:
                command += [options[field], wanted[field]]
            plan(command + [user["name"]], "user %s changed (%s)" % (user["name"], ", ".join(differing)))
            before[user["name"]] = {field: found[field] for field in differing}
            after[user["name"]] = {field: wanted[field] for field in differing}
    for group in groups:
        if group["state"] == "absent" and group_exists(group["name"]):
            plan(["groupdel", group["name"]], "group %s removed" % group["name"])

    if not module.check_mode:
        for command in commands:
            rc, out, err = module.run_command(command)
            if rc != 0:
                module.fail_json(msg="%s failed: %s" % (" ".join(command), (err or out).strip()),
                                 changed_accounts=changed[:commands.index(command)])
    result = dict(changed=bool(commands), changed_accounts=changed)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
