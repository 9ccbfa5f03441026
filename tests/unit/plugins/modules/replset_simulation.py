"""A replica set simulated over the MongoDB wire protocol with MockupDB, for mongodb_replset's tests.

Each member is a MockupDB server answering hello, replSetGetStatus, replSetGetConfig, replSetInitiate,
replSetReconfig and PLAIN authentication the way a mongod does (wire version 17, MongoDB 7.0), from
one shared state: a config, the state of every member, and the users. After an initiate every member is
SECONDARY, and a few status polls later the electable member with the highest priority becomes
PRIMARY. A reconfig is refused unless sent to the primary with the next version and with at most one
voting change, as MongoDB >= 4.4 does. Every command received is logged for the tests to inspect.
"""

from __future__ import annotations

import threading

from mockupdb import MockupDB

WIRE_VERSION = 17
PRIMARY, SECONDARY, STARTUP2, ARBITER, STARTUP = 1, 2, 5, 7, 0
STATE_NAMES = {PRIMARY: "PRIMARY", SECONDARY: "SECONDARY", STARTUP2: "STARTUP2", ARBITER: "ARBITER",
               STARTUP: "STARTUP"}
PRIVILEGED = {"replsetgetstatus", "replsetgetconfig", "replsetinitiate", "replsetreconfig"}
WRITES = {"replsetinitiate", "replsetreconfig"}


class ReplicaSetSimulation:
    def __init__(self, count: int, standalone: bool = False, election_polls: int = 3) -> None:
        self.lock = threading.RLock()
        self.standalone = standalone
        self.election_polls = election_polls
        self.servers = []
        for index in range(count):
            server = MockupDB(request_timeout=30)
            server.autoresponds(lambda request, index=index: self._handle(index, request))
            self.servers.append(server)
        self.hosts = ["127.0.0.1:%d" % server.run() for server in self.servers]
        self.config: dict | None = None
        self.states = {host: STARTUP for host in self.hosts}
        self.polls_until_election: int | None = None
        self.users: dict[str, str] = {}
        self.authenticated: set[tuple[int, int]] = set()
        self.log: list[tuple[str, str, dict]] = []

    # -- what tests use ---------------------------------------------------------------------------
    def stop(self) -> None:
        # Each MockupDB takes a moment to shut down; stop them side by side.
        stoppers = [threading.Thread(target=server.stop) for server in self.servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()

    def received(self, *names: str) -> list[tuple[str, str, dict]]:
        wanted = {name.lower() for name in names}
        return [entry for entry in self.log if entry[1] in wanted]

    def writes(self) -> list[tuple[str, str, dict]]:
        return [entry for entry in self.log if entry[1] in WRITES]

    def initiate_elsewhere(self, name: str, hosts: list[str]) -> None:
        """Make the set exist as if another tool had initiated it (for 'member of another set')."""
        with self.lock:
            self._initiate({"_id": name, "version": 1,
                            "members": [{"_id": i, "host": host} for i, host in enumerate(hosts)]})
            self._elect()

    def primary(self) -> str | None:
        return next((host for host, state in self.states.items() if state == PRIMARY), None)

    # -- the protocol -----------------------------------------------------------------------------
    def _handle(self, index: int, request) -> bool:
        host = self.hosts[index]
        name = next(iter(request.doc)).lower() if request.doc else ""
        with self.lock:
            self.log.append((host, name, dict(request.doc)))
            if name in ("hello", "ismaster"):
                self._tick()
                return request.replies(self._hello(host))
            if name in ("ping", "endsessions", "buildinfo"):
                return request.replies(ok=1)
            if name == "saslstart":
                return self._authenticate(index, request)
            if name in PRIVILEGED and self.users and (index, request.client_port) not in self.authenticated:
                return request.command_err(code=13, errmsg="command %s requires authentication" % name)
            handler = getattr(self, "_" + name, None)
            if handler is None:
                return request.command_err(code=59, errmsg="no such command: %s" % name)
            return handler(host, request)

    def _authenticate(self, index: int, request) -> bool:
        dummy, user, password = bytes(request.doc["payload"]).split(b"\0")
        if self.users.get(user.decode()) != password.decode():
            return request.command_err(code=18, errmsg="Authentication failed.")
        self.authenticated.add((index, request.client_port))
        return request.replies(ok=1, done=True, conversationId=1, payload=b"")

    def _member(self, host: str) -> dict | None:
        return next((m for m in (self.config or {}).get("members", []) if m["host"] == host), None)

    def _hello(self, host: str) -> dict:
        reply = {"ok": 1, "helloOk": True, "maxWireVersion": WIRE_VERSION, "minWireVersion": 0,
                 "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000}
        if self.standalone:
            return dict(reply, isWritablePrimary=True, ismaster=True)
        if self._member(host) is None:
            return dict(reply, isWritablePrimary=False, ismaster=False, secondary=False, isreplicaset=True,
                        info="Does not have a valid replica set config")
        state = self.states[host]
        reply.update(setName=self.config["_id"], setVersion=self.config["version"], me=host,
                     hosts=[m["host"] for m in self.config["members"] if not m.get("arbiterOnly")],
                     isWritablePrimary=state == PRIMARY, ismaster=state == PRIMARY,
                     secondary=state == SECONDARY)
        if self.primary():
            reply["primary"] = self.primary()
        return reply

    def _replsetgetstatus(self, host, request):
        if self.standalone:
            return request.command_err(code=76, errmsg="not running with --replSet")
        if self._member(host) is None:
            return request.command_err(code=94, errmsg="no replset config has been received")
        self._tick()
        members = [{"_id": m["_id"], "name": m["host"], "health": 1, "state": self.states[m["host"]],
                    "stateStr": STATE_NAMES[self.states[m["host"]]]} for m in self.config["members"]]
        return request.replies(ok=1, set=self.config["_id"], myState=self.states[host], members=members)

    def _replsetgetconfig(self, host, request):
        if self._member(host) is None:
            return request.command_err(code=94, errmsg="no replset config has been received")
        return request.replies(ok=1, config=self.config)

    def _replsetinitiate(self, host, request):
        if self.config is not None:
            return request.command_err(code=23, errmsg="already initialized")
        config = dict(request.doc["replSetInitiate"])
        if host not in [m["host"] for m in config["members"]]:
            return request.command_err(code=93, errmsg="this node is not in the config")
        self._initiate(config)
        return request.replies(ok=1)

    def _initiate(self, config: dict) -> None:
        self.config = config
        for member in config["members"]:
            self.states[member["host"]] = ARBITER if member.get("arbiterOnly") else SECONDARY
        self.polls_until_election = self.election_polls

    def _replsetreconfig(self, host, request):
        if self.states[host] != PRIMARY:
            return request.command_err(code=10107, errmsg="replSetReconfig should only be run on a writable PRIMARY")
        new = dict(request.doc["replSetReconfig"])
        if new["version"] != self.config["version"] + 1:
            return request.command_err(code=103, errmsg="version must be %d" % (self.config["version"] + 1))
        old_votes = {m["host"]: m.get("votes", 1) for m in self.config["members"]}
        new_votes = {m["host"]: m.get("votes", 1) for m in new["members"]}
        changed = [h for h in set(old_votes) | set(new_votes) if old_votes.get(h, 0) != new_votes.get(h, 0)]
        if len(changed) > 1:
            return request.command_err(
                code=103, errmsg="Only one voting member may be added or removed at a time (%s)" % sorted(changed))
        for member in new["members"]:
            if member["host"] not in old_votes:
                self.states[member["host"]] = ARBITER if member.get("arbiterOnly") else SECONDARY
        for removed in set(old_votes) - set(new_votes):
            self.states[removed] = STARTUP
        self.config = new
        return request.replies(ok=1)

    def _tick(self) -> None:
        if self.polls_until_election is None:
            return
        self.polls_until_election -= 1
        if self.polls_until_election <= 0:
            self._elect()

    def _elect(self) -> None:
        self.polls_until_election = None
        electable = [m for m in self.config["members"] if m.get("priority", 1) > 0 and not m.get("arbiterOnly")]
        winner = max(electable, key=lambda m: m.get("priority", 1))
        self.states[winner["host"]] = PRIMARY
