"""Simulated mongod processes forming a replica set, driven by real time (scaled by ``time_scale``).

See ``replset_simulation.py`` beside this package for what is modelled and how faithfully.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import random
import threading
import time
import uuid
from collections import OrderedDict

from bson import Binary, Int64, ObjectId, Timestamp

from . import access, scram
from .config import CommandError, normalize_host, parse_config, priority_of, version_and_term, votes_of, voting_ids
from .wire import Listener

STARTUP = 0
PRIMARY = 1
SECONDARY = 2
RECOVERING = 3
STARTUP2 = 5
UNKNOWN = 6
ARBITER = 7
DOWN = 8
ROLLBACK = 9
REMOVED = 10
STATE_NAMES = {STARTUP: "STARTUP", PRIMARY: "PRIMARY", SECONDARY: "SECONDARY", RECOVERING: "RECOVERING",
               STARTUP2: "STARTUP2", UNKNOWN: "UNKNOWN", ARBITER: "ARBITER", DOWN: "(not reachable/healthy)",
               ROLLBACK: "ROLLBACK", REMOVED: "REMOVED"}
# Server versions and the wire version each reports (src/mongo/db/wire_version.h).
SERVER_VERSIONS = {"6.0": ("6.0.19", 17), "7.0": ("7.0.16", 21), "8.0": ("8.0.4", 25)}
CODE_NAMES = {
    2: "BadValue", 11: "UserNotFound", 13: "Unauthorized", 14: "TypeMismatch", 18: "AuthenticationFailed",
    23: "AlreadyInitialized", 31: "RoleNotFound", 50: "MaxTimeMSExpired", 59: "CommandNotFound",
    74: "NodeNotFound", 76: "NoReplicationEnabled", 93: "InvalidReplicaSetConfig", 94: "NotYetInitialized",
    103: "NewReplicaSetConfigurationIncompatible", 109: "ConfigurationInProgress", 10107: "NotWritablePrimary",
    40414: "Location40414", 40415: "Location40415", 51003: "Location51003",
}
# Base timings in seconds, mongod's defaults; every one is multiplied by the simulation's time_scale.
HEARTBEAT_SECONDS = 2.0  # settings.heartbeatIntervalMillis: configs, users and states spread this fast
INITIAL_SYNC_SECONDS = 4.0  # a new member in STARTUP2 copying the data
RECOVERING_SECONDS = 2.0  # a restarted member in RECOVERING before it is SECONDARY again
TICK_SECONDS = 0.01


def _with_newly_added(member: OrderedDict) -> OrderedDict:
    """The member with newlyAdded: true, where mongod puts the field (after arbiterOnly)."""
    ordered = OrderedDict()
    for key, value in member.items():
        ordered[key] = value
        if key == "arbiterOnly":
            ordered["newlyAdded"] = True
    return ordered


def _now_date() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class Member:
    """One mongod: its process state, its copy of the config and of admin.system.users, its listener."""

    def __init__(self, sim: ReplicaSetSimulation, index: int, ip: str, port: int, replset: str | None,
                 auth: str) -> None:
        self.sim = sim
        self.index = index
        self.ip = ip
        self.port = port
        self.replset = replset  # replication.replSetName; None for a standalone
        self.auth = auth  # "none", "transition" (keyFile + transitionToAuth) or "enforced" (keyFile)
        self.up = False
        self.process_id = ObjectId()
        self.counter = 0  # topologyVersion.counter
        self.config: OrderedDict | None = None
        self.state = STARTUP
        self.state_since = time.monotonic()
        self.has_data = False
        self.users: dict[tuple[str, str], dict] = {}
        self.sync_done_at: float | None = None
        self.recovered_at: float | None = None
        self.started_at = time.monotonic()
        self.resolver: dict[str, str] = {}  # this host's own name resolution (its /etc/hosts), name -> address
        self.delivery: tuple[float, OrderedDict] | None = None  # a config on its way here by heartbeat
        self.users_delivery: tuple[float, dict] | None = None
        self.listener = Listener(ip, port, self.handle)

    # -- state ------------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        return "%s:%d" % (self.ip, self.port)

    def set_state(self, state: int) -> None:
        if state != self.state:
            self.sim.events.append((time.monotonic(), "state", self.index, STATE_NAMES[state]))
            self.state = state
            self.state_since = time.monotonic()
            self.bump()

    def bump(self) -> None:
        self.counter += 1
        self.sim.changed.notify_all()

    def me(self) -> dict | None:
        """This member's entry in its own config: the one whose host resolves, here, to this process."""
        if self.config is None:
            return None
        return next((member for member in self.config["members"] if self.sim.is_self(self, member["host"])), None)

    def electable(self) -> bool:
        me = self.me()
        return (self.up and self.has_data and self.state == SECONDARY and me is not None
                and priority_of(me) > 0 and not me["arbiterOnly"])

    def has_users(self) -> bool:
        return bool(self.users)

    # -- requests ---------------------------------------------------------------------------------
    def handle(self, connection, request):
        document = request.doc
        name = next(iter(document)) if document else ""
        command = name.lower()
        database = document.get("$db") or (request.namespace or "admin").split(".")[0]
        with self.sim.lock:
            if not self.up:
                raise OSError("member is down")
            entry = {"member": self.index, "host": self.address, "client": connection.source,
                     "command": name, "document": dict(document), "user": connection.user, "code": None}
            self.sim.log.append(entry)
            try:
                if command in ("hello", "ismaster"):
                    if "topologyVersion" in document and "maxAwaitTimeMS" in document:
                        return self._awaitable_hello(connection, document, name != "hello")
                    return self._hello(connection, document, name != "hello")
                handler = getattr(self, "cmd_" + command, None)
                if handler is None:
                    raise CommandError(59, "no such command: '%s'" % name)
                required = access.required_privileges(command, document, database)
                if required is not None:
                    self._authorize(connection, name, document, database, required)
                reply = handler(connection, document, database)
                reply.setdefault("ok", 1.0)
                return reply
            except CommandError as error:
                entry["code"] = error.code
                return {"ok": 0.0, "errmsg": error.message, "code": error.code,
                        "codeName": CODE_NAMES.get(error.code, "Location%d" % error.code)}
            except scram.AuthenticationFailed:
                entry["code"] = 18
                connection.conversation = None
                return {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18,
                        "codeName": "AuthenticationFailed"}

    def localhost_exception(self, connection) -> bool:
        """AuthzSessionExternalStateServerCommon: loopback, access control on, and no user or role here."""
        if self.auth != "enforced":
            return False
        if not connection.allow_localhost:
            return False
        if connection.source != self.ip:  # the simulation's loopback: see replset_simulation.py
            connection.allow_localhost = False
            return False
        connection.allow_localhost = not self.has_users()
        return connection.allow_localhost

    def _authorize(self, connection, name, document, database, required) -> None:
        if self.auth != "enforced":
            return  # no access control, or transitionToAuth: every client may run everything
        if self.localhost_exception(connection):
            arbiter = bool(self.me() and self.me()["arbiterOnly"])
            privileges = access.localhost_exception_privileges(arbiter)
        elif connection.user is None:
            raise CommandError(13, "Command %s requires authentication" % name)
        else:
            user = self.users.get(connection.user)
            privileges = access.user_privileges(user) if user else set()
            if name.lower() == "usersinfo" and self._only_self(connection, document, database):
                return
        if not all(access.covers(privileges, wanted) for wanted in required):
            raise CommandError(13, "not authorized on %s to execute command %s"
                                   % (database, access.command_for_log(document)))

    def _only_self(self, connection, document, database) -> bool:
        wanted = document["usersInfo"]
        if isinstance(wanted, str):
            return (database, wanted) == connection.user
        if isinstance(wanted, dict):
            return (wanted.get("db"), wanted.get("user")) == connection.user
        return False

    # -- hello ------------------------------------------------------------------------------------
    def _awaitable_hello(self, connection, document, legacy):
        seen = document["topologyVersion"]
        wait = document["maxAwaitTimeMS"] / 1000.0
        while True:
            with self.sim.lock:
                deadline = time.monotonic() + wait
                while (self.up and seen.get("processId") == self.process_id and seen.get("counter") == self.counter
                       and time.monotonic() < deadline):
                    self.sim.changed.wait(max(0.0, deadline - time.monotonic()))
                if not self.up:
                    return
                reply = self._hello(connection, {}, legacy)
            yield reply
            seen = reply["topologyVersion"]

    def _hello(self, connection, document, legacy) -> dict:
        primary_key = "ismaster" if legacy else "isWritablePrimary"
        version, wire = SERVER_VERSIONS[self.sim.version]
        reply = OrderedDict()
        reply["topologyVersion"] = {"processId": self.process_id, "counter": Int64(self.counter)}
        if legacy and document.get("helloOk"):
            reply["helloOk"] = True
        if "client" in document:
            connection.client_metadata = document["client"]
        me = self.me()
        if self.replset is None:
            reply[primary_key] = True
        elif me is None or self.state == REMOVED:
            reply[primary_key] = False
            reply["secondary"] = False
            reply["info"] = "Does not have a valid replica set config"
            reply["isreplicaset"] = True
        else:
            members = self.config["members"]
            visible = [member for member in members if not member["hidden"]]
            reply["hosts"] = [member["host"] for member in visible
                              if not member["arbiterOnly"] and priority_of(member) > 0]
            passives = [member["host"] for member in visible if not member["arbiterOnly"] and priority_of(member) == 0]
            if passives:
                reply["passives"] = passives
            arbiters = [member["host"] for member in visible if member["arbiterOnly"]]
            if arbiters:
                reply["arbiters"] = arbiters
            reply["setName"] = self.config["_id"]
            reply["setVersion"] = self.config["version"]
            reply[primary_key] = self.state == PRIMARY
            reply["secondary"] = self.state == SECONDARY
            primary = self.sim.primary_member()
            if primary is not None and self.sim.reachable(self, primary):
                primary_entry = primary.me()
                if primary_entry is not None:
                    reply["primary"] = primary_entry["host"]
            if me["arbiterOnly"]:
                reply["arbiterOnly"] = True
            if priority_of(me) == 0 and not me["arbiterOnly"]:
                reply["passive"] = True
            if me["hidden"]:
                reply["hidden"] = True
            if me["tags"]:
                reply["tags"] = dict(me["tags"])
            reply["me"] = me["host"]
            if self.state == PRIMARY:
                reply["electionId"] = ObjectId("7fffffff%016x" % self.sim.term)
            reply["lastWrite"] = {"opTime": {"ts": Timestamp(int(time.time()), 1), "t": Int64(self.sim.term)},
                                  "lastWriteDate": _now_date()}
        reply["maxBsonObjectSize"] = 16777216
        reply["maxMessageSizeBytes"] = 48000000
        reply["maxWriteBatchSize"] = 100000
        reply["localTime"] = _now_date()
        reply["logicalSessionTimeoutMinutes"] = 30
        reply["connectionId"] = connection.id
        reply["minWireVersion"] = 0
        reply["maxWireVersion"] = wire
        reply["readOnly"] = False
        mechanisms = document.get("saslSupportedMechs")
        if isinstance(mechanisms, str) and "." in mechanisms:
            user = self.users.get(tuple(mechanisms.split(".", 1)))
            if user is not None:
                reply["saslSupportedMechs"] = list(user["mechanisms"])
        speculative = document.get("speculativeAuthenticate")
        if isinstance(speculative, dict) and "saslStart" in speculative:
            try:
                start = self.cmd_saslstart(connection, speculative, speculative.get("db", "admin"))
            except (scram.AuthenticationFailed, CommandError):
                connection.conversation = None  # mongod leaves the field out; the driver authenticates anew
            else:
                reply["speculativeAuthenticate"] = start
        reply["ok"] = 1.0
        return reply

    # -- authentication ---------------------------------------------------------------------------
    def cmd_saslstart(self, connection, document, database) -> dict:
        mechanism = document.get("mechanism")
        if mechanism not in scram.MECHANISMS:
            raise CommandError(2, "Received authentication for mechanism %s which is not enabled" % mechanism)
        options = document.get("options") or {}
        conversation = scram.ScramConversation(
            mechanism, database, lambda db, user: (self.users.get((db, user)) or {}).get("credentials"),
            bool(options.get("skipEmptyExchange")))
        connection.conversation = conversation
        payload = conversation.start(bytes(document["payload"]))
        return OrderedDict([("conversationId", 1), ("done", False), ("payload", Binary(payload))])

    def cmd_saslcontinue(self, connection, document, database) -> dict:
        conversation = connection.conversation
        if conversation is None or document.get("conversationId") != 1:
            raise CommandError(17, "No SASL session state found")
        payload = conversation.next(bytes(document["payload"]))
        if conversation.done:
            connection.user = (conversation.database, conversation.user)
            connection.conversation = None
        return OrderedDict([("conversationId", 1), ("done", conversation.done), ("payload", Binary(payload))])

    def cmd_logout(self, connection, document, database) -> dict:
        connection.user = None
        return {}

    # -- plain commands ---------------------------------------------------------------------------
    def cmd_ping(self, connection, document, database) -> dict:
        return {}

    def cmd_endsessions(self, connection, document, database) -> dict:
        return {}

    def cmd_buildinfo(self, connection, document, database) -> dict:
        version, wire = SERVER_VERSIONS[self.sim.version]
        return {"version": version, "versionArray": [int(part) for part in version.split(".")] + [0],
                "gitVersion": "0" * 40, "bits": 64, "maxBsonObjectSize": 16777216}

    def cmd_getcmdlineopts(self, connection, document, database) -> dict:
        parsed = {"net": {"bindIp": "0.0.0.0", "port": self.port}}
        if self.replset:
            parsed["replication"] = {"replSetName": self.replset}
        if self.auth != "none":
            parsed["security"] = {"keyFile": "/etc/mongodb-keyfile"}
            if self.auth == "transition":
                parsed["security"]["transitionToAuth"] = True
            else:
                parsed["security"]["authorization"] = "enabled"
        return {"argv": ["mongod", "--config", "/etc/mongod.conf"], "parsed": parsed}

    def _admin_only(self, name, database) -> None:
        if database != "admin":
            raise CommandError(13, "%s may only be run against the admin database." % name)

    def _need_replication(self) -> None:
        if self.replset is None:
            raise CommandError(76, "not running with --replSet")

    # -- replication commands ---------------------------------------------------------------------
    def cmd_replsetgetstatus(self, connection, document, database) -> dict:
        self._admin_only("replSetGetStatus", database)
        self._need_replication()
        if self.config is None:
            raise CommandError(94, "no replset config has been received")
        me = self.me()
        if me is None or self.state == REMOVED:
            raise CommandError(93, "Our replica set config is invalid or we are not a member of it")
        now = time.monotonic()
        members = []
        for entry in self.config["members"]:
            target = self.sim.resolve(self, entry["host"])
            status = OrderedDict([("_id", entry["_id"]), ("name", entry["host"])])
            if entry is me:
                status.update(health=1.0, state=self.state, stateStr=STATE_NAMES[self.state],
                              uptime=int(now - self.started_at), syncSourceHost="", syncSourceId=-1,
                              infoMessage="", configVersion=self.config["version"], configTerm=self.config["term"],
                              self=True, lastHeartbeatMessage="")
            elif target is None or not target.up:
                status.update(health=0.0, state=DOWN, stateStr=STATE_NAMES[DOWN], uptime=0,
                              lastHeartbeatMessage="Error connecting to %s :: caused by :: Connection refused"
                                                   % entry["host"],
                              configVersion=-1, configTerm=-1)
            else:
                state = target.state if target.sim.is_self(target, entry["host"]) else REMOVED
                status.update(health=1.0, state=state, stateStr=STATE_NAMES[state],
                              uptime=int(now - target.started_at), lastHeartbeatMessage="",
                              configVersion=target.config["version"] if target.config else -1,
                              configTerm=target.config["term"] if target.config else -1)
            if status["state"] == PRIMARY:
                status["electionTime"] = Timestamp(int(time.time()), 1)
            members.append(status)
        voters = [entry for entry in self.config["members"] if votes_of(entry)]
        return OrderedDict([
            ("set", self.config["_id"]), ("date", _now_date()), ("myState", self.state),
            ("term", Int64(self.sim.term)), ("syncSourceHost", ""), ("syncSourceId", -1),
            ("heartbeatIntervalMillis", Int64(self.config["settings"]["heartbeatIntervalMillis"])),
            ("majorityVoteCount", len(voters) // 2 + 1), ("writeMajorityCount", len(voters) // 2 + 1),
            ("votingMembersCount", len(voters)),
            ("writableVotingMembersCount", len([entry for entry in voters if not entry["arbiterOnly"]])),
            ("members", members)])

    def cmd_replsetgetconfig(self, connection, document, database) -> dict:
        self._admin_only("replSetGetConfig", database)
        self._need_replication()
        if self.config is None:
            raise CommandError(94, "no replset config has been received")
        reply = OrderedDict([("config", copy.deepcopy(self.config))])
        if document.get("commitmentStatus"):
            if self.state != PRIMARY:
                raise CommandError(10107, "commitmentStatus is only supported on primary.")
            reply["commitmentStatus"] = self.sim.committed(self.config)
        return reply

    def cmd_replsetinitiate(self, connection, document, database) -> dict:
        self._admin_only("replSetInitiate", database)
        if self.replset is None:
            raise CommandError(76, "This node was not started with replication enabled.")
        if self.config is not None:
            raise CommandError(23, "already initialized")
        given = document["replSetInitiate"]
        if not isinstance(given, dict):  # replSetInitiate: 1 - a one-member set of this host
            given = {"_id": self.replset, "members": [{"_id": 0, "host": "%s:%d" % (self.ip, self.port)}]}
        if isinstance(given.get("settings"), dict) and "replicaSetId" in given["settings"]:
            raise CommandError(93, "replica set configuration cannot contain 'replicaSetId' field when called "
                                   "from replSetInitiate: %s" % access.command_for_log(given))
        config = parse_config(given, ObjectId())
        config["term"] = 0
        if config["_id"] != self.replset:
            raise CommandError(93, "Attempting to initiate a replica set with name %s, but command line reports %s; "
                                   "rejecting" % (config["_id"], self.replset))
        for member in config["members"]:
            if member.get("newlyAdded"):
                raise CommandError(93, "Member %s, with _id %d, has a newlyAdded field, which is not valid for "
                                       "initial configuration of a replica set." % (member["host"], member["_id"]))
        if config["version"] != 1:
            raise CommandError(103, "Configuration used to initiate a replica set must  have version 1, but found %d"
                                    % config["version"])
        mine = [member for member in config["members"] if self.sim.is_self(self, member["host"])]
        if not mine:
            raise CommandError(74, "No host described in new configuration with %s for replica set %s maps to this "
                                   "node" % (version_and_term(config), config["_id"]))
        if priority_of(mine[0]) == 0:
            raise CommandError(76, "This node, %s, with _id %d is not electable under the new configuration with %s "
                                   "for replica set %s" % (mine[0]["host"], mine[0]["_id"], version_and_term(config),
                                                           config["_id"]))
        failures = []
        for member in config["members"]:
            if member is mine[0]:
                continue
            target = self.sim.resolve(self, member["host"])
            if target is None or not target.up:
                failures.append("%s failed with Error connecting to %s :: caused by :: Connection refused"
                                % (member["host"], member["host"]))
            elif target.replset != config["_id"]:
                failures.append("%s failed with Our replica set ID did not match that of the remote node"
                                % member["host"])
            elif target.config is not None:
                failures.append("%s failed with Our config version of 1 is no larger than the version on %s, which "
                                "is %d" % (member["host"], member["host"], target.config["version"]))
        if failures:
            raise CommandError(74, "replSetInitiate quorum check failed because not all proposed set members "
                                   "responded affirmatively: %s" % ", ".join(failures))
        self.config = config
        self.has_data = True
        self.sim.events.append((time.monotonic(), "initiate", self.index, config["version"]))
        self.set_state(SECONDARY)
        self.sim.no_primary_since = time.monotonic()
        self.bump()
        return {}

    def cmd_replsetreconfig(self, connection, document, database) -> dict:
        self._admin_only("replSetReconfig", database)
        self._need_replication()
        if self.config is None:
            raise CommandError(94, "no replset config has been received")
        force = bool(document.get("force"))
        if not force and self.state != PRIMARY:
            raise CommandError(10107, "replSetReconfig should only be run on a writable PRIMARY. Current state %s;"
                                      % STATE_NAMES[self.state])
        if self.sim.reconfig_running:
            raise CommandError(109, "Cannot run replSetReconfig because the node is currently updating its "
                                    "configuration")
        given = document["replSetReconfig"]
        if isinstance(given, dict):
            for member in given.get("members") or []:
                if isinstance(member, dict) and "newlyAdded" in member:
                    raise CommandError(93, "Cannot provide newlyAdded field to member config during reconfig.")
        old = self.config
        new = parse_config(given, None)
        if "replicaSetId" not in new["settings"]:
            new["settings"]["replicaSetId"] = old["settings"]["replicaSetId"]
        self._check_compatible(old, new, force)
        deadline = None
        if "maxTimeMS" in document and document["maxTimeMS"]:
            deadline = time.monotonic() + document["maxTimeMS"] / 1000.0
        self.sim.reconfig_running = True
        try:
            if not force:
                # Safe reconfig (4.4+): the current config must be committed before a new one is installed.
                self._wait(lambda: self.sim.committed(self.config) or self.state != PRIMARY, deadline)
                if self.state != PRIMARY:
                    raise CommandError(189, "PrimarySteppedDown: node stepped down while reconfiguring")
                old_ids = {member["_id"]: member for member in self.config["members"]}
                for position, member in enumerate(new["members"]):
                    previous = old_ids.get(member["_id"])
                    if member["votes"] and (previous is None or previous.get("newlyAdded")):
                        # A new voter (or one still newly added) does not vote until its initial sync ends.
                        new["members"][position] = _with_newly_added(member)
                if len(voting_ids(self.config) ^ voting_ids(new)) > 1:
                    raise CommandError(93, "Non force replica set reconfig can only add or remove at most 1 voting "
                                           "member.")
                new["term"] = self.sim.term
            else:
                new["version"] = self.config["version"] + random.randint(10000, 100000)
                new["term"] = self.sim.term
            if not any(self.sim.is_self(self, member["host"]) for member in new["members"]):
                raise CommandError(74, "No host described in new configuration with %s for replica set %s maps to this "
                                       "node" % (version_and_term(new), new["_id"]))
            self.sim.install(self, new, "reconfig")
            if not force:
                # ... and the command returns once a majority of the new config's voters have it.
                self._wait(lambda: self.sim.committed(new) or self.config is not new, deadline)
        finally:
            self.sim.reconfig_running = False
        return {}

    def _wait(self, predicate, deadline) -> None:
        while not predicate():
            if not self.up:
                raise CommandError(91, "The server is in quiesce mode and will shut down")
            if deadline is not None and time.monotonic() >= deadline:
                raise CommandError(50, "operation exceeded time limit")
            remaining = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
            self.sim.changed.wait(remaining)

    def _check_compatible(self, old, new, force) -> None:
        if not force and (new["version"], ) <= (old["version"], ):
            raise CommandError(103, "New replica set configuration version and term must be greater than old, but %s "
                                    "is not greater than %s for replica set %s"
                               % (version_and_term(dict(new, term=self.sim.term)), version_and_term(old), new["_id"]))
        if old["_id"] != new["_id"]:
            raise CommandError(103, "New and old configurations differ in replica set name; old was %s, and new is %s"
                               % (old["_id"], new["_id"]))
        if old["settings"]["replicaSetId"] != new["settings"]["replicaSetId"]:
            raise CommandError(103, "New and old configurations differ in replica set ID; old was %s, and new is %s"
                               % (old["settings"]["replicaSetId"], new["settings"]["replicaSetId"]))
        for new_member in new["members"]:
            for old_member in old["members"]:
                same_id = new_member["_id"] == old_member["_id"]
                same_host = new_member["host"] == old_member["host"]
                if same_host and not same_id:
                    raise CommandError(103, "New and old configurations both have members with host of %s but in the "
                                            "new configuration the _id field is %d and in the old configuration it is "
                                            "%d for replica set %s"
                                       % (new_member["host"], new_member["_id"], old_member["_id"], new["_id"]))
                if same_id and same_host:
                    for field in ("buildIndexes", "arbiterOnly"):
                        if new_member[field] != old_member[field]:
                            raise CommandError(103, "New and old configurations differ in the setting of the %s field "
                                                    "for member %s; to make this change, remove then re-add the member"
                                               % (field, new_member["host"]))

    def cmd_replsetstepdown(self, connection, document, database) -> dict:
        self._admin_only("replSetStepDown", database)
        if self.state != PRIMARY:
            raise CommandError(10107, "not primary so can't step down")
        self.sim.step_down(self, handoff=True)
        return {}

    # -- users ------------------------------------------------------------------------------------
    def _writable(self) -> None:
        if self.state != PRIMARY:
            raise CommandError(10107, "not primary")

    def _roles(self, roles, database) -> list:
        parsed = []
        for role in roles:
            name, role_db = (role, database) if isinstance(role, str) else (role.get("role"), role.get("db"))
            if not access.role_exists(name, role_db):
                raise CommandError(31, "Could not find role: %s@%s" % (name, role_db))
            parsed.append({"role": name, "db": role_db})
        return parsed

    def _credentials(self, name, password, mechanisms) -> dict:
        try:
            return {mechanism: scram.make_credentials(mechanism, name, password) for mechanism in mechanisms}
        except ValueError as error:
            raise CommandError(2, "Error preflighting normalization: %s" % error) from None

    def cmd_createuser(self, connection, document, database) -> dict:
        name = document["createUser"]
        self._writable()
        if (database, name) in self.users:
            raise CommandError(51003, 'User "%s@%s" already exists' % (name, database))
        if not isinstance(document.get("pwd"), str) or not document["pwd"]:
            raise CommandError(2, "Must provide a 'pwd' field for all user documents, except those with '$external' "
                                  "as the user's source db")
        mechanisms = document.get("mechanisms") or ["SCRAM-SHA-1", "SCRAM-SHA-256"]
        user = OrderedDict([
            ("_id", "%s.%s" % (database, name)), ("userId", Binary.from_uuid(uuid.uuid4())), ("user", name),
            ("db", database), ("credentials", self._credentials(name, document["pwd"], mechanisms)),
            ("roles", self._roles(document.get("roles", []), database)), ("mechanisms", list(mechanisms))])
        self.users[(database, name)] = user
        self.sim.events.append((time.monotonic(), "createUser", self.index, "%s@%s" % (name, database)))
        self.bump()
        return {}

    def cmd_updateuser(self, connection, document, database) -> dict:
        name = document["updateUser"]
        self._writable()
        user = self.users.get((database, name))
        if user is None:
            raise CommandError(11, "User %s@%s not found" % (name, database))
        user = copy.deepcopy(user)
        if "roles" in document:
            user["roles"] = self._roles(document["roles"], database)
        if "pwd" in document:
            user["credentials"] = self._credentials(name, document["pwd"], user["mechanisms"])
        self.users[(database, name)] = user
        self.bump()
        return {}

    def cmd_dropuser(self, connection, document, database) -> dict:
        name = document["dropUser"]
        self._writable()
        if self.users.pop((database, name), None) is None:
            raise CommandError(11, "User %s@%s not found" % (name, database))
        self.bump()
        return {}

    def cmd_usersinfo(self, connection, document, database) -> dict:
        wanted = document["usersInfo"]
        if isinstance(wanted, str):
            keys = [(database, wanted)]
        elif isinstance(wanted, dict):
            keys = [(wanted.get("db"), wanted.get("user"))]
        elif isinstance(wanted, list):
            keys = [(database, item) if isinstance(item, str) else (item.get("db"), item.get("user"))
                    for item in wanted]
        else:
            keys = [key for key in self.users if key[0] == database]
        users = []
        for key in keys:
            user = self.users.get(key)
            if user is None:
                continue
            shown = copy.deepcopy(user)
            if not document.get("showCredentials"):
                shown.pop("credentials")
            users.append(shown)
        return {"users": users}


class ReplicaSetSimulation:
    """``count`` mongod processes on their own loopback addresses, with the same replSetName.

    ``auth``: "enforced" (keyFile, access control on; the role's default), "transition" (keyFile and
    transitionToAuth) or "none". ``time_scale`` multiplies every delay (1.0: mongod's real timings).
    """

    def __init__(self, count: int = 3, name: str = "rs0", auth: str = "enforced", version: str = "7.0",
                 time_scale: float = 0.05, standalone: bool = False) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.version = version
        self.time_scale = time_scale
        self.term = 0
        self.log: list[dict] = []
        self.events: list[tuple] = []
        self.dns: dict[str, str] = {}  # names every host resolves alike (DNS)
        self.reconfig_running = False
        self.no_primary_since: float | None = None
        self._primary: Member | None = None
        self._takeover_since: dict[int, float] = {}
        self._majority_lost_since: float | None = None
        self._handoff_to: Member | None = None
        self._stopped = threading.Event()
        self.members: list[Member] = self._bind(count, None if standalone else name, auth)
        self._ticker = threading.Thread(target=self._tick_loop, name="mongod-sim-clock", daemon=True)
        self._ticker.start()

    def _bind(self, count: int, replset: str | None, auth: str) -> list[Member]:
        for attempt in range(20):
            network = "127.%d.%d." % (random.randint(1, 254), random.randint(2, 254))
            members: list[Member] = []
            try:
                port = 0
                for index in range(count):
                    member = Member(self, index, network + str(10 + index), port, replset, auth)
                    member.port = port = member.listener.start()
                    member.up = True
                    member.started_at = time.monotonic()
                    members.append(member)
                return members
            except OSError:
                for member in members:
                    member.listener.stop()
        raise RuntimeError("no free loopback addresses for the simulation")

    # -- what tests use ---------------------------------------------------------------------------
    @property
    def hosts(self) -> list[str]:
        return [member.address for member in self.members]

    def stop(self) -> None:
        self._stopped.set()
        with self.lock:
            for member in self.members:
                member.up = False
            self.changed.notify_all()
        stoppers = [threading.Thread(target=member.listener.stop) for member in self.members]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        self._ticker.join(timeout=5)

    def seconds(self, base: float) -> float:
        return base * self.time_scale

    def received(self, *names: str, member: int | None = None) -> list[dict]:
        wanted = {name.lower() for name in names}
        with self.lock:
            return [entry for entry in self.log if entry["command"].lower() in wanted
                    and (member is None or entry["member"] == member)]

    HANDSHAKE = ("hello", "ismaster", "saslstart", "saslcontinue", "endsessions", "ping", "buildinfo")

    def commands(self, member: int | None = None, exclude=HANDSHAKE) -> list[str]:
        """The commands a member received, in order, without the handshakes and the monitoring."""
        with self.lock:
            return [entry["command"] for entry in self.log if entry["command"].lower() not in exclude
                    and (member is None or entry["member"] == member)]

    def users(self, member: int = None) -> set[str]:
        """The users a member holds ("name@db"); by default the primary's, else the first member's."""
        with self.lock:
            holder = self.members[member] if member is not None else (self.primary_member() or self.members[0])
            return {"%s@%s" % (name, database) for (database, name) in holder.users}

    def user(self, member: int, name: str, database: str = "admin") -> dict | None:
        with self.lock:
            return copy.deepcopy(self.members[member].users.get((database, name)))

    def state(self, member: int) -> str:
        with self.lock:
            target = self.members[member]
            return STATE_NAMES[target.state] if target.up else "DOWN"

    def config(self, member: int | None = None) -> dict | None:
        with self.lock:
            holder = self.members[member] if member is not None else (self.primary_member() or self.members[0])
            return copy.deepcopy(holder.config)

    def primary(self) -> str | None:
        with self.lock:
            primary = self.primary_member()
            return primary.address if primary else None

    def primary_member(self) -> Member | None:
        primary = self._primary
        if primary is not None and primary.up and primary.state == PRIMARY:
            return primary
        return None

    def wait_until(self, predicate, timeout: float = 20.0, what: str = "the condition") -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                if time.monotonic() >= deadline:
                    raise AssertionError("simulation: timed out waiting for %s" % what)
                self.changed.wait(0.05)

    def initiate_directly(self, config: dict, member: int = 0, wait_primary: bool = True) -> None:
        """A set initiated by someone else (another tool, an operator), users and all: for tests' setups."""
        with self.lock:
            target = self.members[member]
            parsed = parse_config(config, ObjectId())
            target.config = parsed
            target.has_data = True
            target.set_state(SECONDARY)
            self.no_primary_since = time.monotonic()
        if wait_primary:
            self.wait_until(lambda: self.primary_member() is not None and all(
                not m.up or m.config is None or m.state in (PRIMARY, SECONDARY, ARBITER, REMOVED)
                for m in self.members), what="a primary and every member synced")

    def create_user(self, name: str, password: str, roles, database: str = "admin") -> None:
        """A user created on the primary by someone else; it replicates like any other."""
        with self.lock:
            primary = self.primary_member()
            if primary is None:
                raise AssertionError("simulation: no primary to create %s on" % name)
            primary.cmd_createuser(None, {"createUser": name, "pwd": password, "roles": roles}, database)

    def stop_member(self, member: int, graceful: bool = True) -> None:
        """Stop a mongod (systemctl stop: a primary hands its role over first, as mongod >= 4.4 does on SIGTERM)."""
        target = self.members[member]
        with self.lock:
            if target is self.primary_member():
                self.step_down(target, handoff=graceful)
            target.up = False
            target.delivery = target.users_delivery = None
            self.events.append((time.monotonic(), "stop", member, STATE_NAMES[target.state]))
            self.changed.notify_all()
        target.listener.stop()

    def start_member(self, member: int, auth: str | None = None) -> None:
        """Start a stopped mongod, possibly with another security setting (as a rewritten mongod.conf would)."""
        target = self.members[member]
        target.listener.start()
        with self.lock:
            if auth is not None:
                target.auth = auth
            target.up = True
            target.process_id = ObjectId()
            target.started_at = time.monotonic()
            target.state = STARTUP
            self.events.append((time.monotonic(), "start", member, target.auth))
            if target.config is not None and target.me() is not None and target.has_data:
                arbiter = target.me()["arbiterOnly"]
                target.set_state(ARBITER if arbiter else RECOVERING)
                target.recovered_at = None if arbiter else time.monotonic() + self.seconds(RECOVERING_SECONDS)
            elif target.config is not None and target.me() is not None:
                target.set_state(STARTUP2)
                target.sync_done_at = time.monotonic() + self.seconds(INITIAL_SYNC_SECONDS)
            target.bump()

    def restart_member(self, member: int, auth: str | None = None, graceful: bool = True) -> None:
        self.stop_member(member, graceful=graceful)
        self.start_member(member, auth=auth)

    def step_down(self, primary: Member, handoff: bool) -> None:
        primary.set_state(SECONDARY)
        self._primary = None
        self.no_primary_since = time.monotonic()
        self.events.append((time.monotonic(), "stepdown", primary.index, "handoff" if handoff else "timeout"))
        if handoff:
            # Election handoff: the primary asks the best caught-up electable secondary to run at once.
            self._handoff_to = primary
        self.changed.notify_all()

    # -- the network --------------------------------------------------------------------------------
    def _lookup(self, member: Member, host: str) -> tuple[str | None, int]:
        name, dummy, port = normalize_host(host).rpartition(":")
        name = name.strip("[]")
        address = member.resolver.get(name) or self.dns.get(name)
        if address is None:
            try:
                address = str(ipaddress.ip_address(name))
            except ValueError:
                address = None
        return address, int(port)

    def resolve(self, member: Member, host: str) -> Member | None:
        """The up mongod that ``member`` reaches when it connects to ``host``."""
        address, port = self._lookup(member, host)
        return next((target for target in self.members
                     if target.up and target.ip == address and target.port == port), None)

    def is_self(self, member: Member, host: str) -> bool:
        """mongod's isSelf: the name resolves, on that host, to one of its addresses with its port."""
        address, port = self._lookup(member, host)
        return address == member.ip and port == member.port

    def reachable(self, source: Member, target: Member) -> bool:
        return source.up and target.up

    # -- configs ------------------------------------------------------------------------------------
    def install(self, member: Member, config: OrderedDict, reason: str) -> None:
        member.config = config
        self.events.append((time.monotonic(), reason, member.index, config["version"]))
        member.bump()

    def committed(self, config: dict) -> bool:
        """A majority of the config's voters run it (mongod's config commitment)."""
        voters = [entry for entry in config["members"] if votes_of(entry)]
        holding = 0
        for entry in voters:
            target = next((m for m in self.members if m.up and self.is_self(m, entry["host"])), None)
            if target is not None and target.config is not None and \
                    (target.config["version"], target.config["term"]) >= (config["version"], config["term"]):
                holding += 1
        return holding >= len(voters) // 2 + 1

    def _newest_config_holder(self) -> Member | None:
        holders = [m for m in self.members if m.up and m.config is not None]
        if not holders:
            return None
        return max(holders, key=lambda m: (m.config["term"], m.config["version"]))

    # -- the clock ----------------------------------------------------------------------------------
    def _tick_loop(self) -> None:
        while not self._stopped.is_set():
            with self.lock:
                self._tick(time.monotonic())
                self.changed.wait(TICK_SECONDS)

    def _tick(self, now: float) -> None:
        heartbeat = self.seconds(HEARTBEAT_SECONDS)
        # Heartbeats carry the newest config to the members it lists.
        source = self._newest_config_holder()
        if source is not None:
            targets = [self.resolve(source, entry["host"]) for entry in source.config["members"]]
            # Members dropped from the config learn it from the heartbeats they still exchange.
            targets += [m for m in self.members if m.up and m.config is not None
                        and m.config["_id"] == source.config["_id"]]
            for target in targets:
                if target is None or target is source or target.delivery is not None:
                    continue
                if target.config is None or (target.config["term"], target.config["version"]) < \
                        (source.config["term"], source.config["version"]):
                    target.delivery = (now + heartbeat, copy.deepcopy(source.config))
        for member in self.members:
            if not member.up:
                continue
            if member.delivery is not None and now >= member.delivery[0]:
                config = member.delivery[1]
                member.delivery = None
                if member.config is None or (member.config["term"], member.config["version"]) < \
                        (config["term"], config["version"]):
                    self._receive_config(member, config, now)
            if member.state == STARTUP2 and member.sync_done_at is not None and now >= member.sync_done_at:
                member.sync_done_at = None
                member.has_data = True
                primary = self.primary_member()
                member.users = copy.deepcopy(primary.users) if primary else member.users
                member.set_state(SECONDARY)
            if member.state == RECOVERING and member.recovered_at is not None and now >= member.recovered_at:
                member.recovered_at = None
                member.set_state(SECONDARY)
        self._replicate_users(now, heartbeat)
        self._elect(now)
        self._remove_newly_added(now, heartbeat)

    def _receive_config(self, member: Member, config: OrderedDict, now: float) -> None:
        self.install(member, config, "heartbeat")
        me = member.me()
        if me is None:
            member.set_state(REMOVED)
            return
        if me["arbiterOnly"]:
            member.set_state(ARBITER)
        elif member.state in (STARTUP, REMOVED):
            if member.has_data:
                member.set_state(SECONDARY)
            else:
                member.set_state(STARTUP2)
                member.sync_done_at = now + self.seconds(INITIAL_SYNC_SECONDS)

    def _replicate_users(self, now: float, heartbeat: float) -> None:
        primary = self.primary_member()
        if primary is None:
            return
        for member in self.members:
            if member is primary or not member.up or not member.has_data or member.state not in (SECONDARY,
                                                                                                 RECOVERING):
                continue
            if member.users_delivery is not None:
                if now >= member.users_delivery[0]:
                    member.users = member.users_delivery[1]
                    member.users_delivery = None
                    member.bump()
            elif member.users != primary.users:
                member.users_delivery = (now + heartbeat, copy.deepcopy(primary.users))

    def _voters_with(self, config: dict) -> int:
        count = 0
        for entry in config["members"]:
            if not votes_of(entry):
                continue
            target = next((m for m in self.members if m.up and self.is_self(m, entry["host"])), None)
            if target is not None and target.config is not None and target.state != REMOVED:
                count += 1
        return count

    def _elect(self, now: float) -> None:
        primary = self.primary_member()
        if self._primary is not None and primary is None:  # the primary went down without a handoff
            self._primary = None
            self.no_primary_since = now
        holder = self._newest_config_holder()
        if holder is None:
            return
        config = holder.config
        timeout = self.seconds(config["settings"]["electionTimeoutMillis"] / 1000.0)
        majority = len([entry for entry in config["members"] if votes_of(entry)]) // 2 + 1
        candidates = sorted((m for m in self.members if m.electable()),
                            key=lambda m: (-priority_of(m.me()), m.state_since, m.index))
        if primary is not None:
            self._handoff_to = None
            # A primary that no longer sees a majority of voters steps down after an election timeout.
            if self._voters_with(primary.config) < majority:
                self._majority_lost_since = self._majority_lost_since or now
                if now - self._majority_lost_since >= timeout:
                    self._majority_lost_since = None
                    self.step_down(primary, handoff=False)
                return
            self._majority_lost_since = None
            # Priority takeover: a caught-up secondary with a higher priority takes over after a timeout.
            for candidate in candidates:
                if priority_of(candidate.me()) > priority_of(primary.me()):
                    since = self._takeover_since.setdefault(candidate.index, now)
                    if now - since >= timeout:
                        self._takeover_since.clear()
                        primary.set_state(SECONDARY)
                        self._become_primary(candidate, now, "priority takeover")
                    return
            self._takeover_since.clear()
            return
        if not candidates or self._voters_with(config) < majority:
            return
        handoff = self._handoff_to
        if handoff is not None:
            wait = self.seconds(HEARTBEAT_SECONDS) / 2
            candidates = [m for m in candidates if m is not handoff] or candidates
        else:
            wait = timeout
        if self.no_primary_since is None:
            self.no_primary_since = now
        if now - max(self.no_primary_since, candidates[0].state_since) >= wait:
            self._handoff_to = None
            self._become_primary(candidates[0], now, "election")

    def _become_primary(self, member: Member, now: float, reason: str) -> None:
        self.term += 1
        config = copy.deepcopy(member.config)
        config["term"] = self.term
        member.config = config
        member.set_state(PRIMARY)
        self._primary = member
        self.no_primary_since = None
        self.events.append((now, reason, member.index, self.term))
        member.bump()

    def _remove_newly_added(self, now: float, heartbeat: float) -> None:
        """The primary's automatic reconfig: a newly added member that reached SECONDARY gets its vote."""
        primary = self.primary_member()
        if primary is None or self.reconfig_running or not self.committed(primary.config):
            return
        for entry in primary.config["members"]:
            if not entry.get("newlyAdded"):
                continue
            target = self.resolve(primary, entry["host"])
            if target is None or target.state not in (SECONDARY, RECOVERING, ROLLBACK):
                continue
            if now - target.state_since < heartbeat:
                continue
            config = copy.deepcopy(primary.config)
            member = next(m for m in config["members"] if m["_id"] == entry["_id"])
            del member["newlyAdded"]
            config["version"] += 1
            self.install(primary, config, "automatic reconfig")
            return
