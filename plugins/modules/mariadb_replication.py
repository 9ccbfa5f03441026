#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mariadb_replication
short_description: Desired state of a MariaDB replica channel, for replicas and master-master pairs
version_added: 0.1.0
description:
  - Makes one replication channel (C(CHANGE MASTER ... TO)) of the MariaDB server the task runs against
    look like the options say, and reports what it changed.
  - Reads the channel with C(SHOW ALL SLAVES STATUS) and changes only what differs. The primary's host,
    port and the start position are sent only when the channel is created, or re-pointed with
    O(force_change_primary); re-sending them would make MariaDB forget where it was.
  - A new channel starts at the primary's current position, which the module reads itself
    (C(@@gtid_binlog_pos) for GTID, C(SHOW MASTER STATUS) for file and position), so the same task
    can run on both servers of a master-master pair, each pointing at the other.
  - Before any change it checks the pair (server ids, binary log, and for O(topology=master_master)
    C(log_slave_updates), C(gtid_domain_id) and C(auto_increment_*)) and names the setting to fix.
  - Waits until both replica threads run; when one stops with an error, fails at once with the
    MariaDB error and advice.
  - All statements are built with driver parameters.
author:
  - scalable.webstack maintainers (@scalable-webstack)
requirements:
  - PyMySQL on the host the module runs on
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads both servers and returns the statements it would run (password masked); changes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The channel's settings before and after.
options:
  connection_name:
    description: Name of the channel (multi-source replication); the empty string is the default channel.
    type: str
    default: ""
  state:
    description:
      - V(running) creates or updates the channel and makes both replica threads run.
      - V(stopped) creates or updates the channel and stops its threads.
      - V(absent) stops the channel and removes it (C(RESET SLAVE ... ALL)).
    type: str
    choices: [running, stopped, absent]
    default: running
  primary_host:
    description: Host name or address of the primary. Required unless O(state=absent).
    type: str
  primary_port:
    description: Port of the primary.
    type: int
    default: 3306
  primary_user:
    description: Replication user on the primary (needs C(REPLICATION SLAVE), and C(BINLOG MONITOR) for file/position). Required unless O(state=absent).
    type: str
  primary_password:
    description: Password of O(primary_user). Needed when the channel is created, and on every run with O(update_password=always).
    type: str
  update_password:
    description:
      - V(on_create) sends O(primary_password) only when the channel is created or re-pointed.
      - V(always) sends it on every run (MariaDB does not show the stored one, so this reports a change each time).
    type: str
    choices: [on_create, always]
    default: on_create
  primary_ssl:
    description: Connect to the primary with TLS.
    type: bool
    default: false
  primary_ssl_ca:
    description: CA file on this host to verify the primary's certificate.
    type: path
  primary_ssl_verify_server_cert:
    description: Check that the primary's certificate matches O(primary_host).
    type: bool
    default: false
  primary_connect_retry:
    description: Seconds between reconnection attempts of the replica IO thread.
    type: int
    default: 10
  use_gtid:
    description:
      - V(slave_pos) replicates by GTID from the position this server last applied (recommended).
      - V(current_pos) also counts the transactions this server wrote itself.
      - V(no) replicates by binary log file and position.
    type: str
    choices: [slave_pos, current_pos, "no"]
    default: slave_pos
  gtid_position:
    description:
      - Explicit GTID position where a new channel starts, for example C(1-2-1034). Only the domains it names are
        changed in C(gtid_slave_pos). Default is the primary's current C(@@gtid_binlog_pos).
    type: str
  primary_log_file:
    description: Explicit binary log file where a new channel starts (O(use_gtid=no)). Default is the primary's current file.
    type: str
  primary_log_pos:
    description: Explicit position in O(primary_log_file).
    type: int
  peer_login_user:
    description: User that reads the primary's position and settings. Defaults to O(primary_user).
    type: str
  peer_login_password:
    description: Password of O(peer_login_user). Defaults to O(primary_password).
    type: str
  topology:
    description:
      - V(master_master) adds the checks a pair of writers needs - C(log_slave_updates) on both, distinct
        C(gtid_domain_id), C(auto_increment_increment) of at least 2 and distinct C(auto_increment_offset).
    type: str
    choices: [replica, master_master]
    default: replica
  force_change_primary:
    description:
      - Re-point an existing channel whose primary host, port or GTID mode differ, starting at the new primary's
        current position (or the explicit one). Without it such a difference fails the task.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for both replica threads to run after starting them.
    type: int
    default: 60
  login_host:
    description: Server to configure. V(localhost) connects through O(login_unix_socket).
    type: str
    default: localhost
  login_port:
    description: Port of the server to configure.
    type: int
    default: 3306
  login_user:
    description: User on the server to configure (root through the unix socket by default).
    type: str
    default: root
  login_password:
    description: Password of O(login_user).
    type: str
  login_unix_socket:
    description: Socket used when O(login_host=localhost).
    type: path
    default: /run/mysqld/mysqld.sock
  connect_timeout:
    description: Seconds to wait for a connection to either server.
    type: int
    default: 10
notes:
  - Setting C(gtid_slave_pos) needs every replica thread of the server stopped; the module stops the channel it
    creates, but fails with the server's message when another channel is running.
seealso:
  - name: CHANGE MASTER TO
    description: MariaDB's reference for the statement this module builds.
    link: https://mariadb.com/kb/en/change-master-to/
"""

EXAMPLES = r"""
- name: Each master of the pair replicates from the other (the same task on both)
  scalable.webstack.mariadb_replication:
    primary_host: "{{ groups['mariadb'] | difference([inventory_hostname]) | first }}"
    primary_user: replicator
    primary_password: "{{ vault_mariadb_replication_password }}"
    topology: master_master
    state: running

- name: A classic replica by file and position, starting at a known point
  scalable.webstack.mariadb_replication:
    primary_host: db1.example.com
    primary_user: replicator
    primary_password: "{{ vault_mariadb_replication_password }}"
    use_gtid: "no"
    primary_log_file: mysql-bin.000042
    primary_log_pos: 1337

- name: Pause replication (the channel and its position are kept)
  scalable.webstack.mariadb_replication:
    primary_host: db1.example.com
    primary_user: replicator
    state: stopped

- name: Remove a multi-source channel
  scalable.webstack.mariadb_replication:
    connection_name: reports
    state: absent
"""

RETURN = r"""
statements:
  description: Statements run (or, in check mode, that would run), passwords masked.
  returned: always
  type: list
  elements: str
  sample:
    - "SET GLOBAL gtid_slave_pos = '2-2-15'"
    - "CHANGE MASTER '' TO MASTER_HOST='db2', MASTER_PORT=3306, MASTER_USER='replicator', MASTER_PASSWORD='********', ..."
    - "START SLAVE ''"
status:
  description: The channel after the run (before it, in check mode), with stable lower-case names; empty when absent.
  returned: always
  type: dict
  sample:
    connection_name: ""
    primary_host: db2
    primary_port: 3306
    primary_user: replicator
    primary_server_id: 2
    using_gtid: slave_pos
    gtid_io_pos: 2-2-15
    io_running: "Yes"
    sql_running: "Yes"
    seconds_behind_primary: 0
    last_io_errno: 0
    last_io_error: ""
    last_sql_errno: 0
    last_sql_error: ""
start_position:
  description: Where a created or re-pointed channel starts (GTID position, or log file and position).
  returned: when the channel was created or re-pointed
  type: dict
  sample:
    gtid: 2-2-15
"""

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._mariadb import (
    FATAL_IO_ERRORS,
    Secret,
    Server,
    advice_for,
    connection_argument_spec,
    merge_gtid_positions,
    normalize_replica_status,
    render_statement,
    require_pymysql,
)

Statement = t.Tuple[str, t.List[t.Any]]

# Settings of an existing channel that can change without re-pointing it.
MUTABLE_SETTINGS = ("primary_user", "connect_retry", "ssl", "ssl_ca", "ssl_verify_server_cert")
CHANGE_MASTER_OPTIONS = {
    "primary_host": "MASTER_HOST",
    "primary_port": "MASTER_PORT",
    "primary_user": "MASTER_USER",
    "primary_password": "MASTER_PASSWORD",
    "connect_retry": "MASTER_CONNECT_RETRY",
    "ssl": "MASTER_SSL",
    "ssl_ca": "MASTER_SSL_CA",
    "ssl_verify_server_cert": "MASTER_SSL_VERIFY_SERVER_CERT",
    "primary_log_file": "MASTER_LOG_FILE",
    "primary_log_pos": "MASTER_LOG_POS",
}
PAIR_VARIABLES = (
    "server_id", "log_bin", "log_slave_updates", "gtid_domain_id",
    "auto_increment_increment", "auto_increment_offset", "gtid_binlog_pos", "gtid_slave_pos",
)


class PreflightError(Exception):
    """The pair is not fit for replication; the message names the setting to fix."""


def desired_settings(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The channel settings the options ask for, in the shape of normalize_replica_status()."""
    return {
        "primary_host": params["primary_host"],
        "primary_port": params["primary_port"],
        "primary_user": params["primary_user"],
        "connect_retry": params["primary_connect_retry"],
        "using_gtid": params["use_gtid"],
        "ssl": params["primary_ssl"],
        "ssl_ca": params["primary_ssl_ca"] or "",
        "ssl_verify_server_cert": params["primary_ssl_verify_server_cert"],
    }


def needs_repoint(current: dict[str, t.Any], desired: dict[str, t.Any]) -> bool:
    return any(current[key] != desired[key] for key in ("primary_host", "primary_port", "using_gtid"))


def changed_settings(current: dict[str, t.Any], desired: dict[str, t.Any]) -> list[str]:
    return [key for key in MUTABLE_SETTINGS if current[key] != desired[key]]


def change_master(connection_name: str, settings: dict[str, t.Any], use_gtid: str | None = None) -> Statement:
    """CHANGE MASTER for the given settings; values go as driver parameters, option names from a fixed map."""
    clauses, params = [], [connection_name]
    for key, value in settings.items():
        clauses.append("%s=%%s" % CHANGE_MASTER_OPTIONS[key])
        params.append(int(value) if isinstance(value, bool) else value)
    if use_gtid is not None:
        # A keyword, not a string: taken from the option's choices, never from free text.
        clauses.append("MASTER_USE_GTID=%s" % {"slave_pos": "slave_pos", "current_pos": "current_pos", "no": "no"}[use_gtid])
    return "CHANGE MASTER %s TO " + ", ".join(clauses), params


def check_pair(local: dict[str, t.Any], peer: dict[str, t.Any], params: dict[str, t.Any]) -> None:
    """Raise PreflightError naming the first setting that would break replication."""
    peer_name = "%s:%s" % (params["primary_host"], params["primary_port"])
    if int(local["server_id"]) == 0:
        raise PreflightError("server_id is 0 on this server: set a non-zero server_id")
    if int(peer["server_id"]) == 0:
        raise PreflightError("server_id is 0 on the primary %s: set a non-zero server_id" % peer_name)
    if int(local["server_id"]) == int(peer["server_id"]):
        raise PreflightError(
            "this server and the primary %s both have server_id %s: give each server its own server_id"
            % (peer_name, local["server_id"]))
    if peer["log_bin"] != "ON":
        raise PreflightError("the primary %s has no binary log: set log_bin on it" % peer_name)
    if params["topology"] != "master_master":
        return
    for name, variables in (("this server", local), ("the primary %s" % peer_name, peer)):
        if variables["log_bin"] != "ON":
            raise PreflightError("%s has no binary log: a master-master pair needs log_bin on both" % name)
        if variables["log_slave_updates"] != "ON":
            raise PreflightError("%s has log_slave_updates off: a master-master pair needs it on both" % name)
        if int(variables["auto_increment_increment"]) < 2:
            raise PreflightError(
                "%s has auto_increment_increment %s: two writers need at least 2"
                % (name, variables["auto_increment_increment"]))
    if int(local["gtid_domain_id"]) == int(peer["gtid_domain_id"]):
        raise PreflightError(
            "this server and the primary %s share gtid_domain_id %s: give each master its own gtid_domain_id"
            % (peer_name, local["gtid_domain_id"]))
    if int(local["auto_increment_offset"]) == int(peer["auto_increment_offset"]):
        raise PreflightError(
            "this server and the primary %s share auto_increment_offset %s: give each master its own offset"
            % (peer_name, local["auto_increment_offset"]))


def start_position(params: dict[str, t.Any], peer: Server | None, peer_variables: dict[str, t.Any]) -> dict[str, t.Any]:
    """Where a new channel starts: the explicit position, or the primary's current one."""
    if params["use_gtid"] == "no":
        if params["primary_log_file"]:
            return {"primary_log_file": params["primary_log_file"], "primary_log_pos": params["primary_log_pos"]}
        rows = peer.query("SHOW MASTER STATUS") if peer else []
        if not rows:
            raise PreflightError(
                "SHOW MASTER STATUS on the primary %s returned nothing: enable log_bin there, and grant %s "
                "BINLOG MONITOR" % (params["primary_host"], params["peer_login_user"] or params["primary_user"]))
        return {"primary_log_file": rows[0]["File"], "primary_log_pos": int(rows[0]["Position"])}
    if params["gtid_position"] is not None:
        return {"gtid": params["gtid_position"]}
    return {"gtid": peer_variables["gtid_binlog_pos"] or ""}


def plan_statements(
    params: dict[str, t.Any],
    current: dict[str, t.Any],
    local_gtid_slave_pos: str,
    position: dict[str, t.Any] | None,
) -> list[Statement]:
    """The statements that take the channel from current (normalized status, {} when absent) to params."""
    name = params["connection_name"]
    # "Connecting" counts as running: the IO thread is retrying, not stopped.
    any_running = bool(current) and (current["io_running"] != "No" or current["sql_running"] == "Yes")
    fully_running = bool(current) and current["io_running"] != "No" and current["sql_running"] == "Yes"
    statements: list[Statement] = []

    if params["state"] == "absent":
        if current:
            if any_running:
                statements.append(("STOP SLAVE %s", [name]))
            statements.append(("RESET SLAVE %s ALL", [name]))
        return statements

    desired = desired_settings(params)
    stopped_here = False
    if position is not None:  # create or re-point
        if any_running:
            statements.append(("STOP SLAVE %s", [name]))
            stopped_here = True
        settings = {key: desired[key] for key in ("primary_host", "primary_port", "primary_user")}
        settings["primary_password"] = Secret(params["primary_password"])
        settings.update({key: desired[key] for key in ("connect_retry", "ssl")})
        if desired["ssl_ca"]:
            settings["ssl_ca"] = desired["ssl_ca"]
        settings["ssl_verify_server_cert"] = desired["ssl_verify_server_cert"]
        if params["use_gtid"] == "no":
            settings.update(position)
        else:
            statements.append(("SET GLOBAL gtid_slave_pos = %s", [merge_gtid_positions(local_gtid_slave_pos, position["gtid"])]))
        statements.append(change_master(name, settings, params["use_gtid"]))
    else:
        changes = {key: desired[key] for key in changed_settings(current, desired)}
        if params["update_password"] == "always":
            changes["primary_password"] = Secret(params["primary_password"])
        if changes:
            if any_running:
                statements.append(("STOP SLAVE %s", [name]))
                stopped_here = True
            statements.append(change_master(name, changes))

    if params["state"] == "running" and (stopped_here or not fully_running or position is not None):
        statements.append(("START SLAVE %s", [name]))
    if params["state"] == "stopped" and any_running and not stopped_here:
        statements.append(("STOP SLAVE %s", [name]))
    return statements


def wait_for_threads(server: Server, name: str, timeout: int) -> dict[str, t.Any]:
    """Both threads running -> their status; a thread stopped by an error -> RuntimeError with advice."""
    deadline = time.monotonic() + timeout
    while True:
        status = normalize_replica_status(server.replica_channels().get(name))
        if status["io_running"] == "Yes" and status["sql_running"] == "Yes":
            return status
        io_errno, sql_errno = status["last_io_errno"], status["last_sql_errno"]
        if sql_errno:
            raise RuntimeError("the replica SQL thread stopped with error %s: %s. Advice: %s"
                               % (sql_errno, status["last_sql_error"], advice_for(sql_errno)), status)
        if io_errno and (status["io_running"] == "No" or io_errno in FATAL_IO_ERRORS):
            raise RuntimeError("the replica IO thread failed with error %s: %s. Advice: %s"
                               % (io_errno, status["last_io_error"], advice_for(io_errno)), status)
        if time.monotonic() >= deadline:
            detail = ("last IO error %s: %s. Advice: %s" % (io_errno, status["last_io_error"], advice_for(io_errno))
                      if io_errno else "IO thread %s, SQL thread %s" % (status["io_running"], status["sql_running"]))
            raise RuntimeError("the replica threads were not both running after %ss (%s)" % (timeout, detail), status)
        time.sleep(0.5)


def diff_view(status: dict[str, t.Any]) -> dict[str, t.Any]:
    keys = ("primary_host", "primary_port", "primary_user", "connect_retry", "using_gtid", "ssl", "ssl_ca",
            "ssl_verify_server_cert")
    view = {key: status[key] for key in keys} if status else {}
    if status:
        view["state"] = "running" if status["io_running"] != "No" and status["sql_running"] == "Yes" else "stopped"
    return view


def argument_spec() -> dict[str, dict[str, t.Any]]:
    spec = connection_argument_spec()
    spec.update(
        connection_name=dict(type="str", default=""),
        state=dict(type="str", default="running", choices=["running", "stopped", "absent"]),
        primary_host=dict(type="str"),
        primary_port=dict(type="int", default=3306),
        primary_user=dict(type="str"),
        primary_password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        primary_ssl=dict(type="bool", default=False),
        primary_ssl_ca=dict(type="path"),
        primary_ssl_verify_server_cert=dict(type="bool", default=False),
        primary_connect_retry=dict(type="int", default=10),
        use_gtid=dict(type="str", default="slave_pos", choices=["slave_pos", "current_pos", "no"]),
        gtid_position=dict(type="str"),
        primary_log_file=dict(type="str"),
        primary_log_pos=dict(type="int"),
        peer_login_user=dict(type="str"),
        peer_login_password=dict(type="str", no_log=True),
        topology=dict(type="str", default="replica", choices=["replica", "master_master"]),
        force_change_primary=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=60),
    )
    return spec


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[
            ("state", "running", ("primary_host", "primary_user")),
            ("state", "stopped", ("primary_host", "primary_user")),
            ("update_password", "always", ("primary_password",)),
        ],
        required_together=[("primary_log_file", "primary_log_pos")],
        mutually_exclusive=[("gtid_position", "primary_log_file")],
        supports_check_mode=True,
    )
    params = module.params
    if params["use_gtid"] == "no" and params["gtid_position"]:
        module.fail_json(msg="gtid_position needs use_gtid slave_pos or current_pos")
    if params["use_gtid"] != "no" and params["primary_log_file"]:
        module.fail_json(msg="primary_log_file/primary_log_pos need use_gtid: 'no'")
    require_pymysql(module)

    try:
        server = Server.connect(params["login_host"], params["login_port"], params["login_user"],
                                params["login_password"], params["login_unix_socket"], params["connect_timeout"])
    except Exception as error:  # pylint: disable=broad-except
        module.fail_json(msg="cannot connect to the server to configure: %s" % error)

    name = params["connection_name"]
    current = normalize_replica_status(server.replica_channels().get(name))
    result: dict[str, t.Any] = dict(changed=False, statements=[], status=current)
    position = None

    if params["state"] != "absent" and (not current or needs_repoint(current, desired_settings(params))):
        if current and not params["force_change_primary"]:
            module.fail_json(
                msg="channel %r replicates from %s:%s (GTID %s) but the task asks for %s:%s (GTID %s); set "
                    "force_change_primary: true to re-point it from the new primary's current position"
                    % (name, current["primary_host"], current["primary_port"], current["using_gtid"],
                       params["primary_host"], params["primary_port"], params["use_gtid"]), **result)
        if params["primary_password"] is None:
            module.fail_json(msg="primary_password is needed to create the channel %r" % name, **result)
        peer_user = params["peer_login_user"] or params["primary_user"]
        peer_password = params["peer_login_password"] if params["peer_login_user"] else params["primary_password"]
        ssl = {"ca": params["primary_ssl_ca"]} if params["primary_ssl"] and params["primary_ssl_ca"] else None
        try:
            peer = Server.connect(params["primary_host"], params["primary_port"], peer_user, peer_password,
                                  connect_timeout=params["connect_timeout"], ssl=ssl)
        except Exception as error:  # pylint: disable=broad-except
            errno = error.args[0] if error.args and isinstance(error.args[0], int) else 0
            module.fail_json(msg="cannot read the primary %s:%s as %s: %s. Advice: %s"
                             % (params["primary_host"], params["primary_port"], peer_user, error, advice_for(errno)),
                             **result)
        try:
            local_variables = server.global_variables(PAIR_VARIABLES)
            peer_variables = peer.global_variables(PAIR_VARIABLES)
            check_pair(local_variables, peer_variables, params)
            position = start_position(params, peer, peer_variables)
        except PreflightError as error:
            module.fail_json(msg="preflight: %s" % error, **result)
        finally:
            peer.close()
        result["start_position"] = position
        local_gtid_slave_pos = local_variables["gtid_slave_pos"] or ""
    else:
        local_gtid_slave_pos = ""

    statements = plan_statements(params, current, local_gtid_slave_pos, position)
    result["statements"] = [render_statement(sql, values) for sql, values in statements]
    result["changed"] = bool(statements)
    after = {} if params["state"] == "absent" else dict(
        diff_view(current) or {}, **desired_settings(params), state=params["state"])
    result["diff"] = dict(before=diff_view(current), after=after)

    if module.check_mode or not statements:
        module.exit_json(**result)

    for sql, values in statements:
        try:
            server.execute(sql, values)
        except Exception as error:  # pylint: disable=broad-except
            module.fail_json(msg="%s failed: %s" % (render_statement(sql, values), error), **result)

    if params["state"] == "running":
        try:
            result["status"] = wait_for_threads(server, name, params["wait_timeout"])
        except RuntimeError as error:
            result["status"] = error.args[1]
            module.fail_json(msg=error.args[0], **result)
    else:
        result["status"] = normalize_replica_status(server.replica_channels().get(name))
    server.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
