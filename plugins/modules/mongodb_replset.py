#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mongodb_replset
short_description: Initiate a MongoDB replica set and keep its members as listed
version_added: 0.1.0
description:
  - Validates the member list before anything is sent - an odd number of voters, at most 7, priority 0 for hidden,
    arbiter, delayed and non-voting members, no duplicates, and this host listed.
  - Classifies the node it talks to - a standalone mongod (no C(replication.replSetName)) or a member of another set
    is an error; a node not yet initiated is initiated by one chosen member (O(initiate_from)) while the others wait
    for the set to reach them, so the same task can run on every member. An "already initialized" answer is a race
    with another initiator and the config is read again.
  - On an existing set, reads the config from the primary, computes the difference and applies it as a plan of
    reconfigs that each change the vote of at most one member, waiting for the members to be healthy between steps.
  - Waits for a PRIMARY, or for every member to be healthy.
  - Authenticates with O(login_user) when given; when the server has no user yet, falls back to the localhost
    exception by itself, so the same task works before and after the first user is created.
author:
  - scalable.webstack maintainers (@scalable-webstack)
requirements:
  - pymongo >= 4.0 on the host the module runs on
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads the set and returns the config and steps it would apply; sends no initiate or reconfig.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The managed part of the config (members and settings) before and after.
options:
  replica_set:
    description: Name of the replica set, as in C(replication.replSetName) of every member.
    type: str
    required: true
  members:
    description:
      - The members, as C(host[:port]) strings or dicts. Ports default to 27017.
      - Use the names the members use for each other (DNS names rather than addresses).
    type: list
    elements: raw
    required: true
  member:
    description:
      - How the node this task talks to is listed in O(members). Defaults to the member whose host is this machine's
        host name (short or fully qualified) with O(login_port), or O(login_host):O(login_port).
    type: str
  initiate_from:
    description: The member that initiates a new set; the others wait for it. Defaults to the first of O(members).
    type: str
  settings:
    description: Replica set settings to enforce (for example C(electionTimeoutMillis)); others are kept.
    type: dict
    default: {}
  wait_for:
    description: What to wait for at the end - a writable V(primary), V(all_healthy) members, or V(nothing).
    type: str
    choices: [primary, all_healthy, nothing]
    default: primary
  timeout:
    description: Seconds to wait for the set to appear, for health between reconfig steps, and for O(wait_for).
    type: int
    default: 120
  login_host:
    description: The mongod this task talks to.
    type: str
    default: localhost
  login_port:
    description: Its port.
    type: int
    default: 27017
  login_user:
    description: User to authenticate as. Without it, or while no user exists yet, the localhost exception is used.
    type: str
  login_password:
    description: Password of O(login_user).
    type: str
  login_database:
    description: Database that holds O(login_user).
    type: str
    default: admin
  auth_mechanism:
    description: Authentication mechanism; the driver's default (SCRAM) when not set.
    type: str
    choices: [SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, MONGODB-X509]
  tls:
    description: Connect with TLS.
    type: bool
    default: false
  tls_ca_file:
    description: CA file to verify the members' certificates.
    type: path
  connect_timeout:
    description: Seconds to wait for each connection.
    type: int
    default: 10
notes:
  - Internal authentication between members (C(security.keyFile)) is set in mongod.conf by the role; the module works
    the same with it.
  - The current primary cannot be removed by a reconfig; step it down first.
seealso:
  - name: Replica set configuration
    description: MongoDB's reference for the documents this module builds.
    link: https://www.mongodb.com/docs/manual/reference/replica-configuration/
"""

EXAMPLES = r"""
- name: Initiate the set from the first member and keep the three members (same task on every member)
  scalable.webstack.mongodb_replset:
    replica_set: rs0
    members: "{{ groups['mongodb'] }}"
    member: "{{ inventory_hostname }}"
    login_user: "{{ mongodb_admin_user | default(omit) }}"
    login_password: "{{ mongodb_admin_password | default(omit) }}"

- name: Two data members and an arbiter, one member hidden for backups
  scalable.webstack.mongodb_replset:
    replica_set: rs0
    members:
      - db1.example.com
      - host: db2.example.com
        priority: 2
      - host: backup.example.com
        hidden: true
        votes: 0
      - host: arbiter.example.com
        arbiter: true
    settings:
      electionTimeoutMillis: 5000
"""

RETURN = r"""
action:
  description: What the module did - C(none), C(initiated), C(joined) (another member initiated), or C(reconfigured).
  returned: always
  type: str
  sample: reconfigured
steps:
  description: The reconfig steps, one line each (planned, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["version 2: add db4:27017", "version 3: remove db3:27017"]
config:
  description: The replica set config after the run (the planned one in check mode).
  returned: always
  type: dict
primary:
  description: The primary's host when the run ended, if there was one.
  returned: always
  type: str
  sample: db1.example.com:27017
auth:
  description: How the module authenticated - C(credentials) or C(localhost_exception).
  returned: always
  type: str
"""

import socket
import time
import traceback
import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.scalable.webstack.plugins.module_utils._mongodb import (
    InvalidMembers,
    desired_config,
    describe_step,
    managed_view,
    normalize_host,
    normalize_member,
    plan_reconfig,
    settings_differ,
    validate_members,
)

try:
    import pymongo
    from pymongo.errors import OperationFailure, PyMongoError
except ImportError:
    pymongo = None
    PYMONGO_IMPORT_ERROR = traceback.format_exc()
else:
    PYMONGO_IMPORT_ERROR = None

NO_REPLICATION = 76          # NoReplicationEnabled: mongod runs without replSetName
NOT_YET_INITIALIZED = 94
ALREADY_INITIALIZED = 23
UNAUTHORIZED = 13
AUTHENTICATION_FAILED = 18
HEALTHY_STATES = (1, 2, 7)   # PRIMARY, SECONDARY, ARBITER


class ReplsetError(Exception):
    """A failure with a message for the user."""


class Node:
    """A connection to one member, authenticated with credentials or through the localhost exception."""

    def __init__(self, params: dict[str, t.Any], host: str, port: int) -> None:
        self.params = params
        self.host, self.port = host, port
        self.auth = "localhost_exception"
        self.client = None
        if params["login_user"]:
            self.client = self._client(with_credentials=True)
            try:
                self.client.admin.command("ping")
                self.auth = "credentials"
            except OperationFailure as error:
                if error.code != AUTHENTICATION_FAILED:
                    raise
                # No user exists yet: the localhost exception is the only way in.
                self.client.close()
                self.client = None
        if self.client is None:
            self.client = self._client(with_credentials=False)

    def _client(self, with_credentials: bool):
        options: dict[str, t.Any] = dict(
            host=self.host, port=self.port, directConnection=True,
            serverSelectionTimeoutMS=self.params["connect_timeout"] * 1000,
            connectTimeoutMS=self.params["connect_timeout"] * 1000,
        )
        if with_credentials:
            options.update(username=self.params["login_user"], password=self.params["login_password"],
                           authSource=self.params["login_database"])
            if self.params["auth_mechanism"]:
                options["authMechanism"] = self.params["auth_mechanism"]
        if self.params["tls"]:
            options["tls"] = True
            if self.params["tls_ca_file"]:
                options["tlsCAFile"] = self.params["tls_ca_file"]
        return pymongo.MongoClient(**options)

    def command(self, command: str, value: t.Any = 1) -> dict[str, t.Any]:
        try:
            return self.client.admin.command(command, value)
        except OperationFailure as error:
            if error.code == UNAUTHORIZED:
                raise ReplsetError(
                    "%s:%s refused %s without authentication: users exist, so set login_user and login_password "
                    "(an admin able to run replSetGetConfig and replSetReconfig)"
                    % (self.host, self.port, command))
            raise

    def close(self) -> None:
        self.client.close()


def this_member_name(params: dict[str, t.Any], hosts: list[str]) -> str:
    if params["member"]:
        return normalize_host(params["member"])
    port = params["login_port"]
    candidates = [socket.gethostname(), socket.getfqdn(), params["login_host"]]
    for name in candidates:
        host = "%s:%d" % (name, port)
        if host in hosts:
            return host
    return "%s:%d" % (params["login_host"], port)


def node_state(node: Node, replica_set: str) -> tuple[str, dict[str, t.Any] | None]:
    """'uninitiated' or 'member' (with replSetGetStatus); errors for a standalone or another set."""
    try:
        status = node.command("replSetGetStatus")
    except OperationFailure as error:
        if error.code == NOT_YET_INITIALIZED:
            return "uninitiated", None
        if error.code == NO_REPLICATION:
            raise ReplsetError(
                "%s:%s is a standalone mongod: set replication.replSetName: %s in its mongod.conf and restart it"
                % (node.host, node.port, replica_set))
        raise
    if status["set"] != replica_set:
        raise ReplsetError("%s:%s belongs to the replica set %r, not %r"
                           % (node.host, node.port, status["set"], replica_set))
    return "member", status


def split_host(host: str) -> tuple[str, int]:
    name, dummy, port = host.rpartition(":")
    return name.strip("[]"), int(port)


def wait(predicate: t.Callable[[], t.Any], timeout: int, what: str) -> t.Any:
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = predicate()
            if result:
                return result
        except PyMongoError as error:
            last_error = error
        if time.monotonic() >= deadline:
            raise ReplsetError("timed out after %ss waiting for %s%s"
                               % (timeout, what, " (last error: %s)" % last_error if last_error else ""))
        time.sleep(0.5)


def primary_of(node: Node) -> str | None:
    hello = node.command("hello")
    if hello.get("isWritablePrimary"):
        return hello.get("me")
    return hello.get("primary")


def members_healthy(node: Node, hosts: list[str]) -> bool:
    status = node.command("replSetGetStatus")
    states = {member["name"]: member for member in status["members"]}
    return all(host in states and states[host].get("health") == 1 and states[host].get("state") in HEALTHY_STATES
               for host in hosts)


def connect_primary(params: dict[str, t.Any], node: Node, timeout: int) -> Node:
    primary = wait(lambda: primary_of(node), timeout, "a primary")
    if primary == "%s:%s" % (node.host, node.port) or primary == node.command("hello").get("me"):
        return node
    host, port = split_host(primary)
    return Node(params, host, port)


def run(module: AnsibleModule) -> dict[str, t.Any]:
    params = module.params
    members = [normalize_member(member) for member in params["members"]]
    hosts = [member["host"] for member in members]
    me = this_member_name(params, hosts)
    validate_members(members, me)
    initiator = normalize_host(params["initiate_from"]) if params["initiate_from"] else hosts[0]
    if initiator not in hosts:
        raise InvalidMembers("initiate_from %s is not in members" % initiator)

    node = Node(params, params["login_host"], params["login_port"])
    result: dict[str, t.Any] = dict(changed=False, action="none", steps=[], auth=node.auth, primary=None)
    state, _status = node_state(node, params["replica_set"])

    if state == "uninitiated":
        if me == initiator:
            config = desired_config(params["replica_set"], members, params["settings"], None)
            result.update(changed=True, action="initiated", config=config,
                          steps=["version 1: initiate with %s" % ", ".join(hosts)],
                          diff=dict(before={}, after=managed_view(config)))
            if module.check_mode:
                return result
            try:
                node.command("replSetInitiate", config)
            except OperationFailure as error:
                if error.code != ALREADY_INITIALIZED:
                    raise
                result.update(changed=False, action="joined")  # another initiator won the race
        else:
            if module.check_mode:
                result.update(action="joined", config={}, steps=["wait for %s to initiate the set" % initiator])
                return result
            wait(lambda: node_state(node, params["replica_set"])[0] == "member", params["timeout"],
                 "%s to initiate the set and reach %s" % (initiator, me))
            result["action"] = "joined"

    if result["action"] != "initiated":
        primary = connect_primary(params, node, params["timeout"])
        current = primary.command("replSetGetConfig")["config"]
        target = desired_config(params["replica_set"], members, params["settings"], current)
        if managed_view(target) != managed_view(current) or settings_differ(current, params["settings"]):
            primary_host = primary_of(primary)
            if primary_host not in hosts:
                raise ReplsetError("the plan removes the current primary %s: step it down first (rs.stepDown())"
                                   % primary_host)
            steps = plan_reconfig(current, target)
            diff = dict(before=managed_view(current), after=managed_view(target))
            result.update(changed=True, action="reconfigured", diff=diff)
            previous = current
            for step in steps:
                result["steps"].append(describe_step(previous, step))
                previous = step
            result["config"] = steps[-1] if steps else current
            if module.check_mode:
                return result
            for step in steps:
                primary.command("replSetReconfig", step)
                step_hosts = [member["host"] for member in step["members"]]
                wait(lambda: members_healthy(primary, step_hosts), params["timeout"],
                     "every member of config version %s to be healthy" % step["version"])
        else:
            result["config"] = current
        if primary is not node:
            primary.close()

    if params["wait_for"] == "primary":
        result["primary"] = wait(lambda: primary_of(node), params["timeout"], "a primary")
    elif params["wait_for"] == "all_healthy":
        wait(lambda: members_healthy(node, hosts), params["timeout"], "every member to be healthy")
        result["primary"] = primary_of(node)
    if result["action"] == "initiated":
        result["config"] = node.command("replSetGetConfig")["config"]
    node.close()
    return result


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return dict(
        replica_set=dict(type="str", required=True),
        members=dict(type="list", elements="raw", required=True),
        member=dict(type="str"),
        initiate_from=dict(type="str"),
        settings=dict(type="dict", default={}),
        wait_for=dict(type="str", default="primary", choices=["primary", "all_healthy", "nothing"]),
        timeout=dict(type="int", default=120),
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=27017),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_database=dict(type="str", default="admin"),
        auth_mechanism=dict(type="str", choices=["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "MONGODB-X509"]),
        tls=dict(type="bool", default=False),
        tls_ca_file=dict(type="path"),
        connect_timeout=dict(type="int", default=10),
    )


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[("login_user", "login_password")],
        supports_check_mode=True,
    )
    if pymongo is None:
        module.fail_json(msg=missing_required_lib("pymongo"), exception=PYMONGO_IMPORT_ERROR)
    try:
        result = run(module)
    except InvalidMembers as error:
        module.fail_json(msg="invalid members, nothing was sent: %s" % error)
    except ReplsetError as error:
        module.fail_json(msg=str(error))
    except PyMongoError as error:
        module.fail_json(msg="MongoDB error: %s" % error, exception=traceback.format_exc())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
