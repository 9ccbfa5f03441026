"""A MongoDB replica set simulated over the wire protocol, for the tests of the MongoDB modules.

Written from mongod's documented behaviour and its source (src/mongo/db/repl, src/mongo/db/auth), not from
what the modules expect; the modules only ever talk to it through pymongo, as they would to mongod 7.0.
The code is in the ``mongod_sim`` package beside this file.

Processes and network
    Each member is a TCP listener on its own loopback address (127.a.b.10, .11, ...; all on one port),
    serving OP_MSG and the driver's OP_QUERY handshake (MockupDB's codec), one thread per connection,
    awaitable ``hello`` with exhaust streaming as the driver's monitor uses it. A member can be stopped
    (its port closes; a primary hands over to a caught-up secondary first, as mongod >= 4.4 does on
    SIGTERM, or not at all when it "crashes") and started again, possibly with another security setting.
    Names resolve as on real hosts: an address resolves to itself, ``sim.dns`` holds names every host
    resolves alike, and ``member.resolver`` the host's own overrides (its /etc/hosts).

Loopback vs remote clients
    The member addresses stand for the hosts' LAN addresses, and a member's own address for its
    loopback: a connection counts as local to a member only when it comes *from that member's address*.
    ``mongod_sim.clients`` runs the code under test in a forked process whose sockets are bound to the
    address of the member it "runs on", so the module running on member i reaches member i over
    "loopback" and every other member as a remote client, exactly as on three real hosts.

Access control ("enforced": keyFile and authorization, the role's default)
    The localhost exception as AuthorizationSessionImpl::_getDefaultPrivileges grants it: while a member
    holds no user, a local client may run replSetInitiate/replSetReconfig (replSetConfigure),
    replSetGetStatus, and createUser/grantRole on admin - not replSetGetConfig, not createUser on other
    databases - and a remote one nothing. Error 13 says "not authorized on admin to execute command
    { ... }" under the exception and "Command <name> requires authentication" after it closes or for a
    remote client. The exception closes on a member once a user reaches it (it replicates with a
    heartbeat's delay), and for good on a connection that once saw users. An arbiter never gets users.
    "transition" (transitionToAuth) and "none" accept every client for everything; passwords are still
    checked by SCRAM.

Authentication
    SCRAM-SHA-256 and SCRAM-SHA-1, server side (RFC 5802/7677: PBKDF2 salted password, SASLprep for
    SHA-256, nonces, ClientProof check, ServerSignature), through saslStart/saslContinue and the
    ``speculativeAuthenticate`` and ``saslSupportedMechs`` fields of the handshake, with mongod's
    iteration counts; any failure is error 18 "Authentication failed.".

Replication
    replSetInitiate checks what mongod checks (set name, version 1, no replicaSetId or newlyAdded, this
    node found in the config (74 otherwise), every member reachable and uninitiated (quorum check, 74))
    and stores the config with mongod's defaults: member fields in mongod's order, ``term``,
    ``protocolVersion`` (Int64), ``writeConcernMajorityJournalDefault``, the settings and a
    ``settings.replicaSetId`` ObjectId. Configs spread by heartbeat (2 s); a member that receives a config
    it cannot find itself in (its name resolves elsewhere on that host) goes REMOVED and answers
    replSetGetStatus with error 93. New members go STARTUP2 for their initial sync, then SECONDARY; a
    restarted one RECOVERING, then SECONDARY. The first election comes an election timeout (10 s) after
    the initiate, failover likewise; a primary handing over (stepdown, stop) makes the next election
    quick; higher priorities take over; a primary without a majority steps down.
    replSetReconfig as mongod >= 4.4 runs it: only on the primary (10107), version greater (103), same
    name, replicaSetId and member ids (103), member and config validation (2, 14, 93 ...), no user-given
    newlyAdded (93), new voters marked newlyAdded (they vote once their initial sync is over, when the
    primary's automatic reconfig bumps the version), at most one voter added or removed (93), the current
    config committed first and the command answered once a majority of voters hold the new one (within
    maxTimeMS: error 50), one at a time (109); ``force`` on any member, with a much larger version.

Time
    Every delay is mongod's, multiplied by ``time_scale`` (tests use 0.05; 1.0 is real time).

Not modelled: data other than users, oplog and rollback, write concerns (createUser returns at once; mongod
waits for a majority; the implicit default write concern check of 5.0+ reconfigs that make a PSA set),
TLS, x.509, roles beyond the built-in ones the modules use, sharding.
"""

from __future__ import annotations

from .mongod_sim.clients import Client, module_main, run_as
from .mongod_sim.replset import STATE_NAMES, ReplicaSetSimulation

__all__ = ["STATE_NAMES", "Client", "ReplicaSetSimulation", "module_main", "run_as"]
