"""Running the MongoDB modules on simulated members: each run in its own process, from its member's address."""

from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.modules import mongodb_replset, mongodb_users

from .replset_simulation import Client, ReplicaSetSimulation, module_main

ADMIN = {"login_user": "admin", "login_password": "Admin-Secret'1"}
WRITES = {"replsetinitiate", "replsetreconfig", "createuser", "updateuser", "dropuser"}


@pytest.fixture
def simulation(monkeypatch):
    """Make simulations (stopped at the end); the modules poll faster, as the simulation runs faster."""
    monkeypatch.setattr(mongodb_replset, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(mongodb_users, "POLL_SECONDS", 0.05)
    simulations = []

    def make(count: int = 3, **kwargs) -> ReplicaSetSimulation:
        kwargs.setdefault("time_scale", 0.02)  # heartbeats every 40 ms, a 200 ms election timeout
        simulation = ReplicaSetSimulation(count, **kwargs)
        simulations.append(simulation)
        return simulation

    yield make
    for simulation in simulations:
        simulation.stop()


def task(sim: ReplicaSetSimulation, index: int, module=mongodb_replset, **args) -> Client:
    """The module started on member ``index``, talking to its own mongod as login_host (its "loopback")."""
    member = sim.members[index]
    params = {"login_host": member.ip, "login_port": member.port, "connect_timeout": 2, "timeout": 20}
    if module is mongodb_replset:
        params.update(replica_set="rs0", members=sim.hosts, member=sim.hosts[index])
    params.update(args)
    return Client(member.ip, module_main, module, params)


def run(sim: ReplicaSetSimulation, index: int, module=mongodb_replset, **args) -> tuple[int, dict]:
    return task(sim, index, module, **args).result()


def on_every_member(sim: ReplicaSetSimulation, order=None, **args) -> dict[int, tuple[int, dict]]:
    """The same task on every member at once, as Ansible runs one task on all hosts."""
    clients = {index: task(sim, index, **args) for index in (order or range(len(sim.members)))}
    return {index: client.result() for index, client in clients.items()}


def writes(sim: ReplicaSetSimulation, since: int = 0) -> list[tuple[int, str]]:
    """(member, command) of every write command received after log entry ``since``, refused or not."""
    with sim.lock:
        return [(entry["member"], entry["command"]) for entry in sim.log[since:]
                if entry["command"].lower() in WRITES]


def succeeded_writes(sim: ReplicaSetSimulation, since: int = 0) -> list[tuple[int, str]]:
    with sim.lock:
        return [(entry["member"], entry["command"]) for entry in sim.log[since:]
                if entry["command"].lower() in WRITES and entry["code"] is None]


def unauthenticated_remote_successes(sim: ReplicaSetSimulation) -> list[dict]:
    """Commands a member ran for an unauthenticated client on another host (the handshake aside)."""
    handshake = {"hello", "ismaster", "saslstart", "saslcontinue", "endsessions", "ping", "buildinfo"}
    with sim.lock:
        return [entry for entry in sim.log if entry["user"] is None and entry["code"] is None
                and entry["client"] != sim.members[entry["member"]].ip
                and entry["command"].lower() not in handshake]
