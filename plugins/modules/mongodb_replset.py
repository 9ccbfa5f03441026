#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mongodb_replset
short_description: Initiate a MongoDB replica set, bootstrap its first user and keep its members as listed
version_added: 0.1.0
description:
  - Validates the member list before anything is sent - types and values of every member option, priority from 0
    to 1000, an odd number of voters (at most 7, at most 50 members), priority 0 for hidden, delayed and non-voting
    members, arbiters that vote without priority or tags, no duplicates, and this host listed.
  - Classifies the node it talks to - a standalone mongod (no C(replication.replSetName)), a member of another set
    or a node that does not find itself in the set's config (error 93) is an error with advice; a node not yet
    initiated is initiated by one member (O(initiate_from)) while the others wait for the set to reach them, so the
    same task can run on every member. An "already initialized" answer is a race with another initiator.
  - With access control on and no user yet, uses only what mongod's localhost exception allows - C(replSetInitiate),
    C(replSetGetStatus), C(hello), and creating the first user - and only over loopback (O(login_host=localhost)).
    The member that is primary creates O(login_user) (role C(root)) when O(create_login_user=true); every other
    member waits for that user to reach it, then everything goes on with the credentials. An arbiter never holds
    users and finishes on C(hello).
  - On a server without access control (none yet, or C(security.transitionToAuth) while turning it on) creates
    O(login_user) on the primary when asked and missing, and refuses a wrong O(login_password) for an existing user.
  - On an existing set, reads the config from the primary and moves to the wanted one in reconfigs that each add
    or remove at most one voting member, reading the config and its version again before each one, since the
    primary bumps the version itself when a newly added member ends its initial sync (C(newlyAdded)). Member
    fields it does not manage (C(buildIndexes), C(horizons), C(tags) unless given) are kept.
  - Waits for a PRIMARY, for every member to be healthy, or for this member to be back in the set.
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
    details: Reads the set and returns the config and steps it would apply; sends no initiate, reconfig or createUser.
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
      - The members, as C(host[:port]) strings or dicts with C(host) and any of C(priority) (0 to 1000), C(votes)
        (0 or 1), C(hidden), C(arbiter), C(secondary_delay_secs) and C(tags). Ports default to 27017.
      - Use the names the members use for each other (DNS names rather than addresses); each must resolve, on the
        member itself too, to an address its mongod listens on.
    type: list
    elements: raw
    required: true
  member:
    description:
      - How the node this task talks to is listed in O(members). Defaults to the member whose host is this machine's
        host name (short or fully qualified) with O(login_port), or O(login_host):O(login_port).
    type: str
  initiate_from:
    description: The member that initiates a new set; the others wait for it. Defaults to the first member that can
      become primary.
    type: str
  settings:
    description: Replica set settings to enforce (for example C(electionTimeoutMillis)); others are kept.
    type: dict
    default: {}
  reconcile:
    description:
      - V(false) only connects and waits for O(wait_for) - no initiate, reconfig or user creation, and with
        O(wait_for=member), O(wait_for=primary) or O(wait_for=nothing) no authentication either (it reads C(hello)
        only), so it works in every phase of turning access control on. For waiting after a restart.
    type: bool
    default: true
  create_login_user:
    description:
      - Create O(login_user) with the role C(root) in O(login_database) when it does not exist - on the primary,
        through the localhost exception while the server has no user, or on a server without access control.
      - It is never changed once it exists; a wrong O(login_password) is an error.
    type: bool
    default: false
  force:
    description:
      - When no primary can be reached within O(timeout) (a majority of voting members down), apply the member list
        with a forced reconfig on this member. Without it the module refuses and says why.
      - A forced reconfig can roll back writes the majority had acknowledged. Use it to rebuild a set from its
        survivors, never as a routine.
    type: bool
    default: false
  wait_for:
    description:
      - What to wait for at the end - a writable V(primary), V(all_healthy) members, this V(member) in the set
        (PRIMARY, SECONDARY or ARBITER, with a primary; or, before the set is initiated, mongod answering), or
        V(nothing).
    type: str
    choices: [primary, all_healthy, member, nothing]
    default: primary
  timeout:
    description: Seconds to wait for the set to appear, for a primary, for the first user, for health between reconfig
      steps, and for O(wait_for).
    type: int
    default: 120
  initial_sync_timeout:
    description: Seconds a newly added member may take for its initial sync (STARTUP2) before the next reconfig step.
    type: int
    default: 3600
  reconfig_timeout:
    description: Seconds each reconfig may take to reach a majority of the voting members (its C(maxTimeMS)).
    type: int
    default: 60
  login_host:
    description:
      - The mongod this task talks to. The localhost exception only applies to loopback connections, so keep the
        default on the members themselves.
    type: str
    default: localhost
  login_user:
    description: User to authenticate as (an admin able to run C(replSetGetConfig) and C(replSetReconfig)).
    type: str
notes:
  - Internal authentication between members (C(security.keyFile)) is set in mongod.conf by the role; the module works
    the same with it.
  - The current primary cannot be removed by a reconfig; step it down first.
  - Proved against a wire-protocol simulation of mongod 7.0 in the collection's unit tests; see the README for what a
    real mongod has been run for.
seealso:
  - name: Replica set configuration
    description: MongoDB's reference for the documents this module builds.
    link: https://www.mongodb.com/docs/manual/reference/replica-configuration/
  - name: Localhost exception
    description: What a client may do before the first user exists.
    link: https://www.mongodb.com/docs/manual/core/localhost-exception/
"""

EXAMPLES = r"""
- name: Initiate the set from the first member, create the admin user, keep the three members (on every member)
  scalable.webstack.mongodb_replset:
    replica_set: rs0
    members: "{{ groups['mongodb'] }}"
    member: "{{ inventory_hostname }}"
    login_user: admin
    login_password: "{{ vault_mongodb_admin_password }}"
    create_login_user: true

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
    login_user: admin
    login_password: "{{ vault_mongodb_admin_password }}"

- name: After restarting this member, wait until it is back in the set (no authentication needed)
  scalable.webstack.mongodb_replset:
    replica_set: rs0
    members: "{{ groups['mongodb'] }}"
    member: "{{ inventory_hostname }}"
    reconcile: false
    wait_for: member
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
  description:
    - The replica set config after the run (the planned one in check mode), with BSON types made JSON-safe - the
      C(settings.replicaSetId) ObjectId as a string. Empty when the module could not read it (under the localhost
      exception without O(create_login_user)).
  returned: always
  type: dict
primary:
  description: The primary's host when the run ended, if there was one.
  returned: always
  type: str
  sample: db1.example.com:27017
member_state:
  description: This member's state when the run ended (C(PRIMARY), C(SECONDARY), C(STARTUP2), C(ARBITER) ...), or
    C(UNINITIATED).
  returned: always
  type: str
  sample: SECONDARY
auth:
  description:
    - How the module got in - C(credentials), C(localhost_exception) (no user on the server yet, loopback), or C(none)
      (the server does not enforce access control).
  returned: always
  type: str
user_created:
  description: Whether this run created O(login_user).
  returned: always
  type: bool
"""

import socket
import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._mongodb import (
    ALREADY_INITIALIZED,
    AUTHENTICATION_FAILED,
    CONFIGURATION_IN_PROGRESS,
    INVALID_REPLICA_SET_CONFIG,
    MAX_TIME_MS_EXPIRED,
    NEW_CONFIG_INCOMPATIBLE,
    NO_REPLICATION,
    NODE_NOT_FOUND,
    NOT_WRITABLE_PRIMARY,
    NOT_YET_INITIALIZED,
    UNAUTHORIZED,
    USER_ALREADY_EXISTS,
    OperationFailure,
    PyMongoError,
    Server,
    connection_argument_spec,
    connection_failure,
    describe_step,
    desired_config,
    driver_problem,
    failure_code,
    failure_text,
    json_safe,
    managed_view,
    next_step,
    plan_reconfig,
)
from ansible_collections.scalable.webstack.plugins.module_utils._mongodb_members import (
    InvalidMembers,
    normalize_host,
    normalize_member,
    split_host,
    validate_members,
)

POLL_SECONDS = 0.5
HEALTHY_STATES = (1, 2, 7)  # PRIMARY, SECONDARY, ARBITER
STATE_NAMES = {0: "STARTUP", 1: "PRIMARY", 2: "SECONDARY", 3: "RECOVERING", 5: "STARTUP2", 6: "UNKNOWN",
               7: "ARBITER", 8: "DOWN", 9: "ROLLBACK", 10: "REMOVED"}


class ReplsetError(Exception):
    """A failure with a message for the user."""


class Unreachable(ReplsetError):
    """A server that does not answer (yet): waits try again."""


class Finished(Exception):
    """The run ends here (check mode, or nothing more can be done under the localhost exception)."""


def this_member_name(params: dict[str, t.Any], hosts: list[str]) -> str:
    if params["member"]:
        return normalize_host(params["member"])
    port = params["login_port"]
    for name in (socket.gethostname(), socket.getfqdn(), params["login_host"]):
        host = "%s:%d" % (name, port)
        if host in hosts:
            return host
    return "%s:%d" % (params["login_host"], port)


class Replset:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = params = module.params
        self.members = [normalize_member(member, index) for index, member in enumerate(params["members"])]
        self.hosts = [member["host"] for member in self.members]
        self.me = this_member_name(params, self.hosts)
        validate_members(self.members, self.me)
        electable = [member["host"] for member in self.members if member["priority"] > 0]
        self.initiator = normalize_host(params["initiate_from"]) if params["initiate_from"] else electable[0]
        if self.initiator not in self.hosts:
            raise InvalidMembers("initiate_from %s is not in members" % self.initiator)
        if self.initiator not in electable:
            raise InvalidMembers("initiate_from %s cannot become primary (priority 0 or arbiter): mongod refuses to "
                                 "initiate from it" % self.initiator)
        self.auth = "none"
        self.local: Server | None = None
        self.servers: list[Server] = []
        self.result: dict[str, t.Any] = dict(changed=False, action="none", steps=[], config={}, primary=None,
                                             member_state="UNKNOWN", auth="none", user_created=False)

    # -- connections ------------------------------------------------------------------------------
    def connect(self, host: str, port: int, credentials: bool) -> Server:
        server = Server(self.params, host, port, credentials)
        self.servers.append(server)
        return server

    def call(self, server: Server, name: str, value: t.Any = 1, database: str = "admin", **fields: t.Any):
        """A command, with its failures turned into messages naming the server, the user and the command."""
        try:
            return server.command(name, value, database=database, **fields)
        except OperationFailure as error:
            if failure_code(error) == UNAUTHORIZED:
                if server.credentials:
                    raise ReplsetError(
                        "%s@%s is not authorized to run %s on %s (%s): give it the role root (or clusterAdmin, and "
                        "userAdminAnyDatabase to create users)" % (self.params["login_user"],
                                                                   self.params["login_database"], name,
                                                                   server.address, failure_text(error)))
                raise ReplsetError("%s refused %s without authentication (%s): set login_user and login_password "
                                   "(users exist there, or this is not a loopback connection)"
                                   % (server.address, name, failure_text(error)))
            raise
        except PyMongoError as error:
            raise Unreachable(connection_failure(server.host, server.port, server.timeout, error)) from None

    def login_failed(self, server: Server, why: str) -> ReplsetError:
        return ReplsetError("authentication as %s@%s failed on %s (error 18 AuthenticationFailed): %s"
                            % (self.params["login_user"], self.params["login_database"], server.address, why))

    def try_credentials(self, host: str | None = None, port: int | None = None) -> Server | None:
        """A server (by default the local one) authenticated as login_user, or None on error 18."""
        server = self.connect(host or self.params["login_host"], port or self.params["login_port"], credentials=True)
        try:
            self.call(server, "ping")
        except OperationFailure as error:
            server.close()
            self.servers.remove(server)
            if failure_code(error) == AUTHENTICATION_FAILED:
                return None
            raise
        return server

    def probe_access(self, server: Server) -> str:
        """What an unauthenticated client may do here: 'localhost_exception', 'none' (no access control) or
        'refused'. Under the localhost exception replSetGetStatus passes and replSetGetConfig is refused."""
        for command in ("replSetGetStatus", "replSetGetConfig"):
            try:
                server.command(command)
            except OperationFailure as error:
                code = failure_code(error)
                if code == UNAUTHORIZED:
                    return "refused" if command == "replSetGetStatus" else "localhost_exception"
                if code not in (NOT_YET_INITIALIZED, NO_REPLICATION, INVALID_REPLICA_SET_CONFIG):
                    raise
            except PyMongoError as error:
                raise Unreachable(connection_failure(server.host, server.port, server.timeout, error)) from None
        return "none"

    def connect_local(self) -> None:
        params = self.params
        if params["login_user"]:
            server = self.try_credentials()
            if server is not None:
                self.local, self.auth = server, "credentials"
                return
        anonymous = self.connect(params["login_host"], params["login_port"], credentials=False)
        access = self.probe_access(anonymous)
        if access == "refused" and params["login_user"]:
            # The user may have reached this member (replication) between the failed login and the probe.
            server = self.try_credentials()
            if server is not None:
                self.local, self.auth = server, "credentials"
                return
        if access == "refused":
            if params["login_user"]:
                raise self.login_failed(anonymous, (
                    "the password is wrong or the user is not in %s; and %s refuses unauthenticated commands (error 13), "
                    "so users exist there and the localhost exception is closed - or this connection does not come "
                    "from loopback, which the exception needs (login_host: localhost)"
                    % (params["login_database"], anonymous.address)))
            raise ReplsetError("%s requires authentication (error 13 Unauthorized): users exist there, so set login_user "
                               "and login_password (or connect from loopback while no user exists)" % anonymous.address)
        self.local, self.auth = anonymous, access

    # -- the node ---------------------------------------------------------------------------------
    def hello(self) -> dict[str, t.Any]:
        return self.call(self.local, "hello")

    def primary_known(self) -> dict[str, t.Any] | None:
        """hello, when it names a primary (or is one)."""
        hello = self.hello()
        return hello if hello.get("primary") or hello.get("isWritablePrimary") else None

    def classify(self, hello: dict[str, t.Any]) -> str:
        """'member', 'uninitiated'; errors for a standalone, another set, a node outside its config."""
        address = self.local.address
        if hello.get("setName"):
            if hello["setName"] != self.params["replica_set"]:
                raise ReplsetError("%s belongs to the replica set %r, not %r"
                                   % (address, hello["setName"], self.params["replica_set"]))
            return "member"
        if hello.get("msg") == "isdbgrid":
            raise ReplsetError("%s is a mongos, not a replica set member" % address)
        if not hello.get("isreplicaset"):
            raise ReplsetError("%s is a standalone mongod: set replication.replSetName: %s in its mongod.conf and "
                               "restart it" % (address, self.params["replica_set"]))
        try:
            self.call(self.local, "replSetGetStatus")
        except OperationFailure as error:
            code = failure_code(error)
            if code == NOT_YET_INITIALIZED:
                return "uninitiated"
            if code == INVALID_REPLICA_SET_CONFIG:
                raise self.not_in_config(error) from None
            raise
        return "member"

    def not_in_config(self, error: BaseException) -> ReplsetError:
        name, port = split_host(self.me)
        return ReplsetError(
            "%s has the set's config but does not find itself in it (%s). This member is listed as %s: that name "
            "must resolve, on this host too, to an address its mongod listens on (net.bindIp) with port %d - look for "
            "a '127.0.1.1 %s' line in /etc/hosts, or list the member under a name that resolves to its own address"
            % (self.local.address, failure_text(error), self.me, port, name))

    def wait(self, predicate: t.Callable[[], t.Any], timeout: float, what: str) -> t.Any:
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            try:
                result = predicate()
                if result:
                    return result
            except (OperationFailure, Unreachable) as error:
                last_error = error
            if time.monotonic() >= deadline:
                raise ReplsetError("timed out after %ss waiting for %s%s" % (
                    timeout, what, " (last error: %s)" % (failure_text(last_error) if isinstance(
                        last_error, OperationFailure) else last_error) if last_error else ""))
            time.sleep(POLL_SECONDS)

    # -- initiate ---------------------------------------------------------------------------------
    def initiate_or_join(self) -> None:
        params = self.params
        if self.me != self.initiator:
            self.result["action"] = "joined"
            if self.module.check_mode:
                self.result["steps"] = ["wait for %s to initiate the set" % self.initiator]
                raise Finished()

            def reached() -> bool:
                return self.classify(self.hello()) == "member"

            self.wait(reached, params["timeout"],
                      "%s to initiate the set and reach this member as %s (the initiator's task must run too, and "
                      "reach %s by that name)" % (self.initiator, self.me, self.me))
            return
        config = desired_config(params["replica_set"], self.members, params["settings"], None)
        self.result.update(changed=True, action="initiated", config=json_safe(config),
                           steps=["version 1: initiate with %s" % ", ".join(self.hosts)],
                           diff=dict(before={}, after=managed_view(config)))
        if self.module.check_mode:
            raise Finished()
        try:
            self.call(self.local, "replSetInitiate", config)
        except OperationFailure as error:
            code = failure_code(error)
            if code == ALREADY_INITIALIZED:  # another initiator won the race
                self.result.update(changed=False, action="joined", steps=[])
                self.result.pop("diff")
                return
            if code == NODE_NOT_FOUND and "maps to this node" in str(error):
                raise ReplsetError(
                    "%s refused to initiate (%s): this member is listed as %s, and mongod does not recognise that "
                    "name as its own - it must resolve, on this host, to an address mongod listens on, with port %d"
                    % (self.local.address, failure_text(error), self.me, split_host(self.me)[1])) from None
            if code == NODE_NOT_FOUND:
                raise ReplsetError(
                    "%s refused to initiate (%s): every member's mongod must be running with replication.replSetName "
                    "%s, not initiated, and reachable from this member by the name it is listed under"
                    % (self.local.address, failure_text(error), params["replica_set"])) from None
            raise ReplsetError("mongod on %s refused the config (%s)" % (self.local.address, failure_text(error))) \
                from None

    # -- the first user ---------------------------------------------------------------------------
    def bootstrap_user(self) -> bool:
        """Under the localhost exception: create the login user on the primary, or wait for it to reach this
        member; then go on with credentials. False: finish on hello (arbiter, or no user to create)."""
        params = self.params
        hello = self.wait(self.primary_known, params["timeout"], "a primary")
        if hello.get("arbiterOnly") or not (params["create_login_user"] and params["login_user"]):
            return False
        if self.module.check_mode:  # nothing is created, so nothing would reach the others either
            if hello.get("isWritablePrimary"):
                self.result.update(changed=True, user_created=True)
            return False
        deadline = time.monotonic() + params["timeout"]
        while True:
            hello = self.hello()
            if hello.get("isWritablePrimary") and self.local_is_open():
                if self.create_login_user(self.local):
                    self.result.update(changed=True, user_created=True)
            server = self.try_credentials()
            if server is None and not self.local_is_open():
                # Users reached this member and the login still fails - unless it just arrived: once more.
                server = self.try_credentials()
                if server is None:
                    raise self.login_failed(self.local, "users exist there now (the localhost exception is closed), "
                                                        "so the password is wrong")
            if server is not None:
                self.local, self.auth = server, "credentials"
                return True
            if time.monotonic() >= deadline:
                raise ReplsetError(
                    "timed out after %ss waiting for the user %s@%s on %s: the task on the primary (%s) creates it "
                    "through the localhost exception and it replicates here - or, if users exist already, "
                    "login_password is wrong" % (params["timeout"], params["login_user"], params["login_database"],
                                                 self.local.address, hello.get("primary", "none yet")))
            time.sleep(POLL_SECONDS)

    def local_is_open(self) -> bool:
        return self.probe_access(self.local) != "refused"

    def create_login_user(self, server: Server) -> bool:
        """createUser for login_user (role root); False when it appeared meanwhile or the node stepped down."""
        params = self.params
        try:
            server.command("createUser", params["login_user"], database=params["login_database"],
                           pwd=params["login_password"], roles=[{"role": "root", "db": "admin"}])
        except OperationFailure as error:
            if failure_code(error) in (USER_ALREADY_EXISTS, NOT_WRITABLE_PRIMARY, UNAUTHORIZED):
                return False
            raise ReplsetError("createUser %s@%s on %s failed (%s)" % (
                params["login_user"], params["login_database"], server.address, failure_text(error))) from None
        return True

    def ensure_user_without_access_control(self, primary: Server) -> None:
        """No access control (yet): the user must exist before it is turned on; a wrong password is an error."""
        params = self.params
        found = self.call(primary, "usersInfo", {"user": params["login_user"], "db": params["login_database"]},
                          database=params["login_database"])["users"]
        if found:
            # Another member's task may have created it since our login, and it may not have reached this
            # member yet: the primary, where it is, says whether the password is right.
            server = self.try_credentials(primary.host, primary.port)
            if server is None:
                raise self.login_failed(primary, "the user exists, so the password is wrong")
            return
        if not params["create_login_user"]:
            return
        if self.module.check_mode:
            self.result.update(changed=True, user_created=True)
        elif self.create_login_user(primary):
            self.result.update(changed=True, user_created=True)

    # -- the set ----------------------------------------------------------------------------------
    def connect_primary(self) -> Server | None:
        """The primary, with the same credentials as the local connection; None when none comes up."""
        deadline = time.monotonic() + self.params["timeout"]
        while True:
            hello = self.hello()
            if hello.get("isWritablePrimary"):
                return self.local
            if hello.get("primary"):
                host, port = split_host(hello["primary"])
                server = self.connect(host, port, credentials=self.auth == "credentials")
                try:
                    if self.call(server, "hello").get("isWritablePrimary"):
                        return server
                except Unreachable:
                    pass
                server.close()
                self.servers.remove(server)
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_SECONDS)

    def no_primary(self) -> ReplsetError:
        try:
            status = self.call(self.local, "replSetGetStatus")
            states = ", ".join("%s %s" % (member["name"], member["stateStr"]) for member in status["members"])
        except (OperationFailure, ReplsetError) as error:
            states = "replSetGetStatus failed: %s" % error
        return ReplsetError(
            "no primary within %ss (%s): a majority of the voting members is down or unreachable. When they cannot come "
            "back, force: true applies the member list on this member with a forced reconfig - which can roll back "
            "writes the majority had acknowledged" % (self.params["timeout"], states))

    def read_config(self, server: Server) -> dict[str, t.Any]:
        return self.call(server, "replSetGetConfig")["config"]

    def reconcile(self) -> None:
        params = self.params
        primary = self.connect_primary()
        if primary is None:
            if not params["force"]:
                raise self.no_primary()
            self.force_reconfig()
            return
        if self.auth == "none" and params["login_user"]:
            self.ensure_user_without_access_control(primary)
        current = self.read_config(primary)
        target = desired_config(params["replica_set"], self.members, params["settings"], current)
        if managed_view(target) == managed_view(current):
            self.result["config"] = json_safe(current)
            return
        self.result.update(changed=True, action="reconfigured",
                           diff=dict(before=managed_view(current), after=managed_view(target)))
        if self.module.check_mode:
            previous = current
            for step in plan_reconfig(current, target):
                self.result["steps"].append(describe_step(previous, step))
                previous = step
            self.result["config"] = json_safe(previous)
            return
        retries = 0
        while True:
            step = next_step(current, target)
            if step is None:
                break
            primary_host = self.call(primary, "hello").get("me")
            if primary_host not in [member["host"] for member in step["members"]]:
                raise ReplsetError("the plan removes the current primary %s: step it down first (rs.stepDown())"
                                   % primary_host)
            if _votes_change(current, step):
                self.wait_newly_added(primary)
                current = self.read_config(primary)
                step = next_step(current, target)
                if step is None:
                    break
            try:
                self.call(primary, "replSetReconfig", step, maxTimeMS=params["reconfig_timeout"] * 1000)
            except OperationFailure as error:
                code = failure_code(error)
                raced = code == CONFIGURATION_IN_PROGRESS or (code == NEW_CONFIG_INCOMPATIBLE and "version" in str(error))
                if (raced or code == NOT_WRITABLE_PRIMARY) and retries < 10:
                    # Another reconfig (the primary's own for newlyAdded, or another member's task) came first,
                    # or the primary changed: find it, read the config again, try again.
                    retries += 1
                    time.sleep(POLL_SECONDS)
                    if code == NOT_WRITABLE_PRIMARY:
                        primary = self.connect_primary() or primary
                    current = self.read_config(primary)
                    continue
                if code == MAX_TIME_MS_EXPIRED:
                    raise ReplsetError(
                        "the config version %s did not reach a majority of the voting members within %ss "
                        "(reconfig_timeout): it is installed on the primary %s and spreads as members come back"
                        % (step["version"], params["reconfig_timeout"], primary.address)) from None
                raise ReplsetError("mongod on %s refused the config version %s (%s)"
                                   % (primary.address, step["version"], failure_text(error))) from None
            self.result["steps"].append(describe_step(current, step))
            self.wait_step_healthy(primary, current, step)
            current = self.read_config(primary)
        if any(member.get("newlyAdded") for member in current["members"]):
            self.wait_newly_added(primary)  # the set ends with every vote as listed
            current = self.read_config(primary)
        self.result["config"] = json_safe(current)

    def wait_newly_added(self, primary: Server) -> None:
        """A newly added member votes only after its initial sync; the next voting change waits for it."""
        def settled() -> bool:
            return not any(member.get("newlyAdded") for member in self.read_config(primary)["members"])
        self.wait(settled, self.params["initial_sync_timeout"],
                  "the newly added members to end their initial sync (initial_sync_timeout)")

    def wait_step_healthy(self, primary: Server, before: dict[str, t.Any], step: dict[str, t.Any]) -> None:
        old_hosts = {member["host"] for member in before["members"]}
        new_hosts = [member["host"] for member in step["members"] if member["host"] not in old_hosts]
        hosts = [member["host"] for member in step["members"]]

        def healthy(names: list[str]) -> bool:
            states = {member["name"]: member for member in self.call(primary, "replSetGetStatus")["members"]}
            return all(name in states and states[name].get("health") == 1 and states[name].get("state") in
                       HEALTHY_STATES for name in names)

        if new_hosts:
            self.wait(lambda: healthy(new_hosts), self.params["initial_sync_timeout"],
                      "%s to end its initial sync (initial_sync_timeout)" % ", ".join(new_hosts))
        self.wait(lambda: healthy(hosts), self.params["timeout"],
                  "every member of config version %s to be healthy" % step["version"])

    def force_reconfig(self) -> None:
        params = self.params
        current = self.read_config(self.local)
        target = desired_config(params["replica_set"], self.members, params["settings"], current)
        self.result.update(changed=True, action="reconfigured",
                           steps=["forced: %s" % describe_step(current, target)],
                           diff=dict(before=managed_view(current), after=managed_view(target)))
        if self.module.check_mode:
            self.result["config"] = json_safe(target)
            return
        try:
            self.call(self.local, "replSetReconfig", target, force=True)
        except OperationFailure as error:
            raise ReplsetError("mongod on %s refused the forced config (%s)"
                               % (self.local.address, failure_text(error))) from None
        self.result["config"] = json_safe(self.read_config(self.local))

    # -- waiting ----------------------------------------------------------------------------------
    def wait_for(self) -> None:
        what = self.params["wait_for"]
        timeout = self.params["timeout"]
        if what == "primary":
            hello = self.wait(self.primary_known, timeout, "a primary")
        elif what == "member":
            def back() -> dict[str, t.Any] | None:
                hello = self.hello()
                if hello.get("setName") and hello["setName"] != self.params["replica_set"]:
                    raise ReplsetError("%s belongs to the replica set %r, not %r"
                                       % (self.local.address, hello["setName"], self.params["replica_set"]))
                if not hello.get("setName"):
                    return hello if hello.get("isreplicaset") else None
                ready = hello.get("isWritablePrimary") or hello.get("secondary") or hello.get("arbiterOnly")
                return hello if ready and (hello.get("primary") or hello.get("isWritablePrimary")) else None
            hello = self.wait(back, timeout, "%s to be back in the set (PRIMARY, SECONDARY or ARBITER, with a "
                                             "primary)" % self.local.address)
        elif what == "all_healthy":
            def healthy() -> bool:
                status = self.call(self.local, "replSetGetStatus")
                states = {member["name"]: member for member in status["members"]}
                return all(host in states and states[host].get("health") == 1 and states[host].get("state")
                           in HEALTHY_STATES for host in self.hosts)
            self.wait(healthy, timeout, "every member to be healthy")
            hello = self.hello()
        else:
            hello = self.hello()
        self.describe(hello)

    def describe(self, hello: dict[str, t.Any]) -> None:
        if hello.get("isWritablePrimary"):
            self.result["primary"] = hello.get("me")
        else:
            self.result["primary"] = hello.get("primary")
        if not hello.get("setName"):
            self.result["member_state"] = "UNINITIATED"
        elif hello.get("isWritablePrimary"):
            self.result["member_state"] = "PRIMARY"
        elif hello.get("secondary"):
            self.result["member_state"] = "SECONDARY"
        elif hello.get("arbiterOnly"):
            self.result["member_state"] = "ARBITER"
        else:
            try:
                self.result["member_state"] = STATE_NAMES.get(self.call(self.local, "replSetGetStatus")["myState"],
                                                              "UNKNOWN")
            except (OperationFailure, ReplsetError):
                self.result["member_state"] = "UNKNOWN"

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> dict[str, t.Any]:
        params = self.params
        try:
            self.wait_reachable()
            if not params["reconcile"] and params["wait_for"] != "all_healthy":
                self.wait_for()  # hello only: no authentication, whatever phase access control is in
                return self.finish()
            self.connect_local()
            kind = self.classify(self.hello())
            if not params["reconcile"]:
                self.wait_for()
                return self.finish()
            if kind == "uninitiated":
                self.initiate_or_join()
            if self.auth == "localhost_exception" and not self.bootstrap_user():
                self.wait_for()
                return self.finish()
            self.reconcile()
            self.wait_for()
        except Finished:
            pass
        return self.finish()

    def wait_reachable(self) -> None:
        """mongod may still be starting: wait for it to answer hello (no authentication needed)."""
        params = self.params
        self.local = self.connect(params["login_host"], params["login_port"], credentials=False)
        deadline = time.monotonic() + params["timeout"]
        while True:
            try:
                self.local.hello()
                return
            except PyMongoError as error:
                if time.monotonic() >= deadline:
                    raise ReplsetError("%s, for %ss (timeout)" % (
                        connection_failure(self.local.host, self.local.port, self.local.timeout, error),
                        params["timeout"])) from None
            time.sleep(POLL_SECONDS)

    def finish(self) -> dict[str, t.Any]:
        self.result["auth"] = self.auth
        for server in self.servers:
            server.close()
        return self.result


def _votes_change(before: dict[str, t.Any], after: dict[str, t.Any]) -> bool:
    def votes(config: dict[str, t.Any]) -> dict[str, int]:
        return {member["host"]: int(member.get("votes", 1)) for member in config["members"]}
    return votes(before) != votes(after)


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return dict(
        replica_set=dict(type="str", required=True),
        members=dict(type="list", elements="raw", required=True),
        member=dict(type="str"),
        initiate_from=dict(type="str"),
        settings=dict(type="dict", default={}),
        reconcile=dict(type="bool", default=True),
        create_login_user=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        wait_for=dict(type="str", default="primary", choices=["primary", "all_healthy", "member", "nothing"]),
        timeout=dict(type="int", default=120),
        initial_sync_timeout=dict(type="int", default=3600),
        reconfig_timeout=dict(type="int", default=60),
        **connection_argument_spec(),
    )


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[("login_user", "login_password")],
        required_if=[("create_login_user", True, ("login_user", "login_password"))],
        supports_check_mode=True,
    )
    problem = driver_problem()
    if problem:
        module.fail_json(msg=problem[0], exception=problem[1])
    replset = None
    try:
        replset = Replset(module)
        result = replset.run()
    except InvalidMembers as error:
        module.fail_json(msg="invalid members, nothing was sent: %s" % error)
    except (ReplsetError, PyMongoError) as error:
        if replset is not None:
            replset.finish()
        message = str(error) if isinstance(error, ReplsetError) else "MongoDB error: %s" % failure_text(error)
        module.fail_json(msg=message)
    else:
        module.exit_json(**result)


if __name__ == "__main__":
    main()
