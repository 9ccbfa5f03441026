#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mongodb_users
short_description: Keep MongoDB users as listed, on the replica set's primary, in one module run
version_added: 0.1.0
description:
  - Finds the primary from O(login_host) (C(hello)), connects to it with the admin's credentials and, for each user
    of O(users), creates it, updates its roles or password where they differ, or drops it.
  - Passwords are compared without logging in as the user - the SCRAM StoredKey mongod keeps (C(usersInfo) with
    C(showCredentials)) is computed again from the given password and that salt - so an unchanged password changes
    nothing and is never sent.
  - Commands are documents built by the driver, never strings.
author:
  - scalable.webstack maintainers (@scalable-webstack)
extends_documentation_fragment:
  - scalable.webstack.mongodb_login
requirements:
  - pymongo >= 4.0 on the host the module runs on (Debian 12's python3-pymongo is 3.11, too old)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads the users and reports what it would create, update or drop.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: Each user's roles before and after; a changed password shows as C(password changed), never the password.
options:
  users:
    description: The users to keep.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      password:
        description: Its password; required to create it.
        type: str
      database:
        description: The database the user is defined in (its authentication database).
        type: str
        default: admin
      roles:
        description:
          - Role names (of O(users[].database)) or dicts with C(role) and C(db). The user ends with exactly these.
        type: list
        elements: raw
        default: []
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
  update_password:
    description: V(always) sets the password when it differs; V(on_create) only at creation.
    type: str
    choices: [always, on_create]
    default: always
  timeout:
    description: Seconds to wait for a primary.
    type: int
    default: 120
  login_host:
    description: A member of the set; the module finds the primary from it.
    type: str
    default: localhost
  login_user:
    description: An admin able to manage users (role C(root) or C(userAdminAnyDatabase)). Without it, only a server
      without access control answers.
    type: str
seealso:
  - module: scalable.webstack.mongodb_replset
"""

EXAMPLES = r"""
- name: The shop's user, read-write on its database
  scalable.webstack.mongodb_users:
    users:
      - name: shop
        password: "{{ vault_mongodb_shop_password }}"
        database: shop
        roles: [readWrite]
      - name: reporting
        database: shop
        roles: [{role: read, db: shop}]
        password: "{{ vault_mongodb_reporting_password }}"
    login_user: admin
    login_password: "{{ vault_mongodb_admin_password }}"
  run_once: true
"""

RETURN = r"""
created:
  description: The users created (C(name@database)).
  returned: always
  type: list
  elements: str
  sample: [shop@shop]
updated:
  description: The users whose roles or password changed.
  returned: always
  type: list
  elements: str
removed:
  description: The users dropped.
  returned: always
  type: list
  elements: str
primary:
  description: The primary the users were managed on.
  returned: always
  type: str
  sample: db1.example.com:27017
"""

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._mongodb import (
    AUTHENTICATION_FAILED,
    UNAUTHORIZED,
    OperationFailure,
    PyMongoError,
    Server,
    connection_argument_spec,
    connection_failure,
    driver_problem,
    failure_code,
    failure_text,
    password_matches,
)
from ansible_collections.scalable.webstack.plugins.module_utils._mongodb_members import (
    split_host,
)

POLL_SECONDS = 0.5


class UsersError(Exception):
    """A failure with a message for the user."""


def normalize_roles(roles: list[t.Any], database: str, name: str) -> list[dict[str, str]]:
    result = []
    for index, role in enumerate(roles):
        if isinstance(role, str) and role:
            result.append({"role": role, "db": database})
        elif isinstance(role, dict) and isinstance(role.get("role"), str) and isinstance(role.get("db"), str) \
                and set(role) == {"role", "db"}:
            result.append({"role": role["role"], "db": role["db"]})
        else:
            raise UsersError("users[%s].roles[%d]: a role is a name or a dict with role and db, got %r"
                             % (name, index, role))
    return sorted(result, key=lambda role: (role["db"], role["role"]))


class Users:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.servers: list[Server] = []
        self.result: dict[str, t.Any] = dict(changed=False, created=[], updated=[], removed=[], primary=None)
        self.wanted = []
        for entry in self.params["users"]:
            key = "%s@%s" % (entry["name"], entry["database"])
            self.wanted.append(dict(entry, key=key, roles=normalize_roles(entry["roles"], entry["database"], key)))

    def connect(self, host: str, port: int, credentials: bool = True) -> Server:
        server = Server(self.params, host, port, credentials=credentials and bool(self.params["login_user"]))
        self.servers.append(server)
        return server

    def call(self, server: Server, name: str, value: t.Any = 1, database: str = "admin", **fields: t.Any):
        params = self.params
        try:
            return server.command(name, value, database=database, **fields)
        except OperationFailure as error:
            code = failure_code(error)
            if code == AUTHENTICATION_FAILED:
                raise UsersError(
                    "authentication as %s@%s failed on %s (error 18 AuthenticationFailed): the password is wrong or the "
                    "user is not in %s" % (params["login_user"], params["login_database"], server.address,
                                           params["login_database"])) from None
            if code == UNAUTHORIZED:
                who = "%s@%s" % (params["login_user"], params["login_database"]) if params["login_user"] else \
                    "an unauthenticated client"
                raise UsersError("%s may not run %s on %s (%s): use an admin with the role root or "
                                 "userAdminAnyDatabase" % (who, name, server.address, failure_text(error))) from None
            raise
        except PyMongoError as error:
            raise UsersError(connection_failure(server.host, server.port, server.timeout, error)) from None

    def primary(self) -> Server:
        # hello needs no credentials: the primary is found without them, and only the primary is logged in to
        # (a user just created there may not have reached this member yet).
        local = self.connect(self.params["login_host"], self.params["login_port"], credentials=False)
        deadline = time.monotonic() + self.params["timeout"]
        while True:
            hello = self.call(local, "hello")
            if hello.get("isWritablePrimary"):
                server = self.connect(self.params["login_host"], self.params["login_port"])
                self.call(server, "ping")  # authenticates
                self.result["primary"] = hello.get("me") or local.address
                return server
            if hello.get("primary"):
                host, port = split_host(hello["primary"])
                server = self.connect(host, port)
                if self.call(server, "hello").get("isWritablePrimary"):
                    self.call(server, "ping")
                    self.result["primary"] = hello["primary"]
                    return server
            if time.monotonic() >= deadline:
                raise UsersError("no primary reachable from %s within %ss" % (local.address, self.params["timeout"]))
            time.sleep(POLL_SECONDS)

    def run(self) -> dict[str, t.Any]:
        primary = self.primary()
        before, after = {}, {}
        for user in self.wanted:
            found = self.call(primary, "usersInfo", {"user": user["name"], "db": user["database"]},
                              database=user["database"], showCredentials=True)["users"]
            current = found[0] if found else None
            key = user["key"]
            if current is not None:
                before[key] = {"roles": normalize_roles(current["roles"], user["database"], key)}
            if user["state"] == "absent":
                if current is not None:
                    self.result["removed"].append(key)
                    if not self.module.check_mode:
                        self.call(primary, "dropUser", user["name"], database=user["database"])
                continue
            after[key] = {"roles": user["roles"]}
            if current is None:
                if not user["password"]:
                    raise UsersError("users[%s]: password is required to create the user" % key)
                self.result["created"].append(key)
                if not self.module.check_mode:
                    self.call(primary, "createUser", user["name"], database=user["database"],
                              pwd=user["password"], roles=user["roles"])
                continue
            changes: dict[str, t.Any] = {}
            if before[key]["roles"] != user["roles"]:
                changes["roles"] = user["roles"]
            if user["password"] and self.params["update_password"] == "always" and \
                    password_matches(user["name"], user["password"], current.get("credentials") or {}) is not True:
                changes["pwd"] = user["password"]
                after[key]["password"] = "changed"
            if changes:
                self.result["updated"].append(key)
                if not self.module.check_mode:
                    self.call(primary, "updateUser", user["name"], database=user["database"], **changes)
        self.result["changed"] = bool(self.result["created"] or self.result["updated"] or self.result["removed"])
        if self.result["changed"]:
            self.result["diff"] = dict(before=before, after=after)
        return self.result

    def close(self) -> None:
        for server in self.servers:
            server.close()


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return dict(
        users=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            password=dict(type="str", no_log=True),
            database=dict(type="str", default="admin"),
            roles=dict(type="list", elements="raw", default=[]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        )),
        update_password=dict(type="str", default="always", choices=["always", "on_create"]),
        timeout=dict(type="int", default=120),
        **connection_argument_spec(),
    )


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[("login_user", "login_password")],
        supports_check_mode=True,
    )
    problem = driver_problem()
    if problem:
        module.fail_json(msg=problem[0], exception=problem[1])
    users = None
    try:
        users = Users(module)
        result = users.run()
    except (UsersError, PyMongoError) as error:
        message = str(error) if isinstance(error, UsersError) else "MongoDB error: %s" % failure_text(error)
        module.fail_json(msg=message)
    else:
        module.exit_json(**result)
    finally:
        if users is not None:
            users.close()


if __name__ == "__main__":
    main()
