"""The mongodb_replset role's own MongoDB tasks, in the role's order, against the simulated replica set.

The tasks of tasks/replset.yml, tasks/restart_member.yml and handlers/main.yml that run the collection's
MongoDB modules are read from the role and their arguments rendered by Ansible's templating with the role's
defaults and vars, as a play on three members would; each module then runs on its simulated member (from that
member's address, which stands for the host's loopback: the role leaves login_host at localhost). mongod.conf
is rendered from the role's template for each phase. What is not run here: apt, pip, systemd (a restart is
the simulation's) and Ansible's executor itself (Molecule does that where MongoDB's packages can be had).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.scalable.webstack.plugins.modules import mongodb_replset, mongodb_users

from ..plugins.modules.mongodb_harness import simulation, writes  # noqa: F401 pylint: disable=unused-import
from ..plugins.modules.replset_simulation import Client, module_main

ROLE = Path(__file__).resolve().parents[3] / "roles" / "mongodb_replset"
MODULES = {"scalable.webstack.mongodb_replset": mongodb_replset, "scalable.webstack.mongodb_users": mongodb_users}
HOSTS = ["mongo1", "mongo2", "mongo3"]
OMIT = "__omit_place_holder__"
SECRETS = {"mongodb_replset_admin_password": "Admin-Secret'1", "mongodb_replset_keyfile": "a2V5ZmlsZS1mb3ItdGVzdHM=",
           "mongodb_replset_users": [{"name": "shop", "password": "Shop-Secret'1", "database": "shop",
                                      "roles": ["readWrite"]}]}


class Play:
    """The role's variables for the simulated members, as a play over mongo1..mongo3 would have them."""

    def __init__(self, sim, **extra):
        self.sim = sim
        self.loader = DataLoader()
        self.defaults = self.load("defaults/main.yml")
        self.role_vars = self.load("vars/main.yml")
        self.hostvars = {}
        for index, host in enumerate(HOSTS):
            self.hostvars[host] = dict(self.defaults, **SECRETS, **extra, inventory_hostname=host,
                                       mongodb_replset_member_address=sim.members[index].ip,
                                       mongodb_replset_port=sim.members[index].port)

    def load(self, relative):
        return self.loader.load_from_file(str(ROLE / relative), trusted_as_template=True)

    def templar(self, host, **facts):
        self.hostvars[host].update(facts)
        variables = dict(self.hostvars[host], **self.role_vars)
        variables.update(groups={"mongodb": HOSTS}, hostvars=self.hostvars, ansible_play_hosts=HOSTS,
                         ansible_check_mode=False, omit=OMIT, ansible_managed="managed by the test",
                         __mongodb_replset_install={"changed": False})
        return Templar(loader=self.loader, variables=variables)

    def module_tasks(self, relative):
        """(name, module, task) of each task of the file that runs one of the collection's MongoDB modules."""
        return [(task["name"], MODULES[key], task) for task in self.load(relative) for key in task if key in MODULES]

    def render(self, host, task):
        """The module arguments of ``task`` on ``host``, or None when its conditions skip it there."""
        templar = self.templar(host)
        conditions = task.get("when", [])
        if not all(templar.evaluate_conditional(condition) for condition in
                   (conditions if isinstance(conditions, list) else [conditions])):
            return None
        local_vars = templar.template(task.get("vars", {}))
        templar = self.templar(host, **{key: value for key, value in local_vars.items()
                                        if key != "ansible_python_interpreter"})
        module = next(key for key in task if key in MODULES)
        arguments = templar.template(task[module])
        return {key: value for key, value in arguments.items() if value != OMIT}

    def run(self, relative, name, hosts=None, **loop_vars):
        """Run one task of the role on the hosts (its run_once on the first), as the play would."""
        for host in HOSTS:
            self.hostvars[host].update(loop_vars)
        task = next(task for task_name, dummy, task in self.module_tasks(relative) if task_name.startswith(name))
        module = next(MODULES[key] for key in task if key in MODULES)
        hosts = hosts or HOSTS
        if task.get("run_once"):
            hosts = hosts[:1]
        rendered = {host: self.render(host, task) for host in hosts}
        clients = {}
        for host, arguments in rendered.items():  # rendered first, then started together, as forks are
            if arguments is None:
                continue
            member = self.sim.members[HOSTS.index(host)]
            arguments.update(login_host=member.ip)  # localhost, on that host
            clients[host] = Client(member.ip, module_main, module, arguments)
        return {host: client.result() for host, client in clients.items()}

    def value(self, host, name):
        """A variable of the role, rendered on ``host``."""
        return self.templar(host).template(trust_as_template("{{ %s }}" % name))

    def conf(self, host, security):
        templar = self.templar(host, __mongodb_replset_security=security)
        return yaml.safe_load(templar.template(trust_as_template((ROLE / "templates" / "mongod.conf.j2").read_text())))


def succeeded(results):
    assert all(code == 0 for code, dummy in results.values()), results
    return {host: result for host, (dummy, result) in results.items()}


def test_role_tasks_bring_a_fresh_set_up_with_access_control(simulation):
    """The role's first run on three fresh members: initiate, admin user through the localhost exception on the
    primary, app users with it; the second run changes nothing."""
    sim = simulation(3)
    play = Play(sim)
    assert [name for name, dummy, dummy_task in play.module_tasks("tasks/replset.yml")] == [
        "Initiate or reconcile the replica set {{ mongodb_replset_name }}", "Keep the application users as listed"]
    assert play.conf("mongo1", play.value("mongo1", "__mongodb_replset_security_now"))[
        "security"] == {"keyFile": "/etc/mongodb-keyfile", "authorization": "enabled"}

    replset = succeeded(play.run("tasks/replset.yml", "Initiate"))
    assert replset["mongo1"]["action"] == "initiated" and replset["mongo1"]["user_created"]
    assert all(replset[host]["action"] in ("joined", "none") and not replset[host]["changed"] for host in HOSTS[1:])
    assert {result["auth"] for result in replset.values()} == {"credentials"}
    users = succeeded(play.run("tasks/replset.yml", "Keep the application users"))
    assert list(users) == ["mongo1"] and users["mongo1"]["created"] == ["shop@shop"]
    sim.wait_until(lambda: all(sim.users(index) == {"admin@admin", "shop@shop"} for index in range(3)),
                   what="the users on every member")

    mark = len(sim.log)
    assert not any(result["changed"] for result in succeeded(play.run("tasks/replset.yml", "Initiate")).values())
    assert not succeeded(play.run("tasks/replset.yml", "Keep the application users"))["mongo1"]["changed"]
    assert writes(sim, mark) == []


def rolling_restart(play, sim, security):
    """The role's handler: every member reads its state, then each restarts in the rendered order, the role's
    wait task proving it back before the next."""
    before = succeeded(play.run("handlers/main.yml", "Find the primary"))
    for host, result in before.items():
        play.hostvars[host]["__mongodb_replset_before_restart"] = result
    order = play.value("mongo1", "__mongodb_replset_restart_order")
    assert sorted(order) == HOSTS and before[order[-1]]["member_state"] == "PRIMARY"
    for host in order:
        index = HOSTS.index(host)
        sim.restart_member(index, auth=security)
        waited = succeeded(play.run("tasks/restart_member.yml", "Wait until the member is back", [host],
                                    __mongodb_replset_restart_host=host))
        assert waited[host]["member_state"] in ("PRIMARY", "SECONDARY")
        assert sim.state(index) in ("PRIMARY", "SECONDARY")
    return order


def test_role_turns_access_control_on_for_a_running_set(simulation):
    """A set the role built without access control; mongodb_replset_authorization turned on: the mongod.conf
    in place decides a transition (keyFile, transitionToAuth), the admin user is created, then access control
    is enforced - each time a rolling restart, primary last, every member waited for."""
    sim = simulation(3, auth="none", time_scale=0.05)
    open_play = Play(sim, mongodb_replset_authorization=False)
    succeeded(open_play.run("tasks/replset.yml", "Initiate"))
    assert sim.users() == set()

    play = Play(sim)
    running = play.conf("mongo1", "none")
    assert "security" not in running and running["replication"] == {"replSetName": "rs0"}
    for host in HOSTS:
        play.hostvars[host]["__mongodb_replset_running_conf"] = running
    phase = play.value("mongo2", "__mongodb_replset_security_now")
    assert phase == "transition"
    assert play.conf("mongo2", phase)["security"] == {"keyFile": "/etc/mongodb-keyfile", "transitionToAuth": True}
    rolling_restart(play, sim, "transition")

    results = succeeded(play.run("tasks/replset.yml", "Initiate"))
    assert sum(result["user_created"] for result in results.values()) == 1
    succeeded(play.run("tasks/replset.yml", "Keep the application users"))
    assert play.conf("mongo2", "enforced")["security"] == {"keyFile": "/etc/mongodb-keyfile",
                                                           "authorization": "enabled"}
    rolling_restart(play, sim, "enforced")

    mark = len(sim.log)
    results = succeeded(play.run("tasks/replset.yml", "Initiate"))
    assert {result["auth"] for result in results.values()} == {"credentials"}
    assert writes(sim, mark) == []
    assert sim.users() == {"admin@admin", "shop@shop"}
    # The next run reads mongod.conf with access control enforced: no transition again.
    for host in HOSTS:
        play.hostvars[host]["__mongodb_replset_running_conf"] = play.conf(host, "enforced")
    assert play.value("mongo1", "__mongodb_replset_security_now") == "enforced"
