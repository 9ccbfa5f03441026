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
  - A new channel never skips data. With GTIDs it starts, per replication domain, at the primary's last
    GTID when this server already holds it, else at this server's last GTID there, so the primary sends what
    this server lacks. It refuses to start when the primary holds tables and this server holds none (seed this
    server first, for example with M(scalable.webstack.mariadb_seed), or give O(gtid_position)), and when both
    hold data that never came through replication and differs (C(CHECKSUM TABLE)); identical data starts at the
    primary's current position.
  - On every run with O(state=running) it compares the GTID histories of both servers per domain and refuses,
    before any change, a server that holds transactions its peer never saw and never will (a binary log reset,
    a restore from an older backup, writes in another server's domain), and a primary that came back empty.
  - On every run with O(state=running) the channel must be healthy - IO thread connected (C(Yes)) without
    C(Last_IO_Errno), SQL thread running - or the task fails with MariaDB's error and advice, also when nothing
    changed. An IO thread still C(Connecting) to a primary the module can reach is restarted; one whose primary
    does not answer fails at once.
  - Before any change it checks the pair (server ids, binary log, and for O(topology=master_master)
    C(log_slave_updates), C(gtid_strict_mode), C(gtid_domain_id) and C(auto_increment_*)) and names the
    setting to fix.
  - All statements are built with driver parameters.
author:
  - scalable.webstack maintainers (@scalable-webstack)
extends_documentation_fragment:
  - scalable.webstack.mariadb_login
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
      - V(running) creates or updates the channel and makes it healthy.
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
    description:
      - Replication user on the primary. Required unless O(state=absent).
      - It needs C(REPLICATION SLAVE), C(BINLOG MONITOR) for file/position, and, unless O(peer_login_user) is
        given, a global C(SELECT) so the module sees the primary's tables when it creates the channel.
    type: str
  primary_password:
    description:
      - Password of O(primary_user). Needed when the channel is created, with O(update_password=always), and for
        the history comparison of every run (without it, or O(peer_login_password), that comparison is skipped
        with a warning).
    type: str
  update_password:
    description:
      - V(on_create) sends O(primary_password) only when the channel is created or re-pointed.
      - V(always) makes the channel use O(primary_password) - for a password rotation. The module compares it with
        the password the channel stores (its C(master.info) in the data directory, readable when the module runs
        on the server's host as root) and changes the channel only when they differ; where that file cannot be
        read it sends the password on every run, which reports a change each time.
    type: str
    choices: [on_create, always]
    default: on_create
  primary_ssl:
    description:
      - Replicate over TLS (C(MASTER_SSL)). Omitted, the channel keeps the server's default (off in MariaDB 10.x,
        on from 11.4, where the certificate is checked by default).
      - The module's own connection to the primary uses TLS with the same CA, certificate and verification.
    type: bool
  primary_ssl_ca:
    description: CA file on this host that signed the primary's certificate.
    type: path
  primary_ssl_cert:
    description: Client certificate on this host, for replication users that C(REQUIRE X509).
    type: path
  primary_ssl_key:
    description: Key of O(primary_ssl_cert).
    type: path
  primary_ssl_verify_server_cert:
    description:
      - Check the primary's certificate and that it names O(primary_host) (C(MASTER_SSL_VERIFY_SERVER_CERT)).
      - Defaults to V(true) when O(primary_ssl=true); omitted otherwise, so the server's default applies.
    type: bool
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
      - Explicit GTID position where a new channel starts, for example C(1-2-1034) or C(1-1-80,2-2-1034), as a
        seed gives it. Only the domains it names are changed in C(gtid_slave_pos). The module then trusts it and
        skips its data checks.
    type: str
  primary_log_file:
    description: Explicit binary log file where a new channel starts (O(use_gtid=no)). Default is the primary's current file.
    type: str
  primary_log_pos:
    description: Explicit position in O(primary_log_file), 4 or more.
    type: int
  peer_login_user:
    description: User that reads the primary's position, settings, GTID history and tables. Defaults to O(primary_user).
    type: str
  peer_login_password:
    description: Password of O(peer_login_user). Defaults to O(primary_password).
    type: str
  topology:
    description:
      - V(master_master) adds the checks a pair of writers needs - C(log_slave_updates) and C(gtid_strict_mode)
        on both, distinct C(gtid_domain_id), C(auto_increment_increment) of at least 2 and distinct
        C(auto_increment_offset) - and lets each server be ahead of the other in its own GTID domain.
      - V(replica) - this server must never hold a transaction the primary lacks.
    type: str
    choices: [replica, master_master]
    default: replica
  force_change_primary:
    description:
      - Re-point an existing channel whose primary host, port or GTID mode differ, starting as a new channel
        would (or at the explicit position). Without it such a difference fails the task.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the channel to be healthy after starting or changing it.
    type: int
    default: 60
  health_timeout:
    description:
      - Seconds an unchanged channel may stay C(Connecting) (for example while its primary restarts) before the
        task fails with the IO thread's error and advice.
    type: int
    default: 15
notes:
  - Setting C(gtid_slave_pos) needs every replica thread of the server stopped; the module stops the channel it
    creates, but fails with the server's message when another channel is running.
  - Every malformed option fails with a message that names the option and the value, before any connection.
seealso:
  - name: CHANGE MASTER TO
    description: MariaDB's reference for the statement this module builds.
    link: https://mariadb.com/kb/en/change-master-to/
  - module: scalable.webstack.mariadb_seed
"""

EXAMPLES = r"""
- name: Each master of the pair replicates from the other (the same task on both)
  scalable.webstack.mariadb_replication:
    primary_host: "{{ groups['mariadb'] | difference([inventory_hostname]) | first }}"
    primary_user: replicator
    primary_password: "{{ vault_mariadb_replication_password }}"
    update_password: always
    topology: master_master
    state: running

- name: Replicate over TLS, checking the primary's certificate against our CA
  scalable.webstack.mariadb_replication:
    primary_host: db1.example.com
    primary_user: replicator
    primary_password: "{{ vault_mariadb_replication_password }}"
    primary_ssl: true
    primary_ssl_ca: /etc/mysql/tls/ca.pem

- name: A channel on a server seeded from a dump, at the dump's GTID position
  scalable.webstack.mariadb_replication:
    primary_host: db1.example.com
    primary_user: replicator
    primary_password: "{{ vault_mariadb_replication_password }}"
    gtid_position: "{{ seed.gtid_position }}"

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
    ssl: true
    ssl_verify_server_cert: true
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
    gtid: 1-1-80,2-2-15
gtid_histories:
  description: The last GTID per domain in each server's binary log, as compared on this run.
  returned: when the primary was read
  type: dict
  sample:
    local: 1-1-80,2-2-15
    primary: 1-1-79,2-2-15
"""

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._mariadb import (
    FATAL_IO_ERRORS,
    RESEED_ADVICE,
    GtidError,
    GtidHistory,
    MariaDBError,
    Secret,
    Server,
    advice_for,
    compare_histories,
    connect_login,
    connection_argument_spec,
    data_differences,
    describe_tables,
    is_healthy,
    merge_gtid_positions,
    normalize_replica_status,
    parse_gtid_position,
    related,
    render_statement,
    require_pymysql,
    run_module,
    sees_every_table,
    start_position,
    stored_channel_password,
    tls_context,
    user_tables,
)

Statement = t.Tuple[str, t.List[t.Any]]

# Settings of an existing channel that can change without re-pointing it (compared only when asked for).
MUTABLE_SETTINGS = ("primary_user", "connect_retry", "ssl", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_server_cert")
CHANGE_MASTER_OPTIONS = {
    "primary_host": "MASTER_HOST",
    "primary_port": "MASTER_PORT",
    "primary_user": "MASTER_USER",
    "primary_password": "MASTER_PASSWORD",
    "connect_retry": "MASTER_CONNECT_RETRY",
    "ssl": "MASTER_SSL",
    "ssl_ca": "MASTER_SSL_CA",
    "ssl_cert": "MASTER_SSL_CERT",
    "ssl_key": "MASTER_SSL_KEY",
    "ssl_verify_server_cert": "MASTER_SSL_VERIFY_SERVER_CERT",
    "primary_log_file": "MASTER_LOG_FILE",
    "primary_log_pos": "MASTER_LOG_POS",
}
PAIR_VARIABLES = (
    "server_id", "log_bin", "log_slave_updates", "gtid_domain_id", "gtid_strict_mode",
    "auto_increment_increment", "auto_increment_offset", "gtid_binlog_pos", "gtid_binlog_state", "gtid_slave_pos",
)
# IO errors after which a restart of the IO thread helps once the primary answers again.
RETRYABLE_IO_ERRORS = frozenset((0, 2003, 2013))


class PreflightError(Exception):
    """The pair is not fit for replication; the message names the setting to fix."""


class InputError(Exception):
    """An option's value is malformed; the message names the option and the value."""


def validate(params: dict[str, t.Any]) -> None:
    """Raise InputError for the first malformed option, naming it and its value."""

    def bad(option: str, why: str) -> InputError:
        return InputError("%s=%r is not valid: %s" % (option, params[option], why))

    for option in ("primary_port", "login_port"):
        if params[option] is not None and not 1 <= params[option] <= 65535:
            raise bad(option, "a TCP port is between 1 and 65535")
    name = params["connection_name"]
    if len(name) > 64 or any(ord(char) < 32 for char in name):
        raise bad("connection_name", "at most 64 printable characters")
    for option in ("primary_host", "primary_user"):
        value = params[option]
        if value is not None and (not value.strip() or value != value.strip() or len(value) > 255):
            raise bad(option, "a non-empty name without surrounding spaces, at most 255 characters")
    if params["primary_connect_retry"] is not None and not 1 <= params["primary_connect_retry"] <= 31536000:
        raise bad("primary_connect_retry", "seconds between 1 and 31536000")
    if not 1 <= params["connect_timeout"] <= 31536000:
        raise bad("connect_timeout", "seconds between 1 and 31536000")
    if params["wait_timeout"] < 1:
        raise bad("wait_timeout", "at least 1 second")
    if params["health_timeout"] < 0:
        raise bad("health_timeout", "0 seconds or more")
    if params["gtid_position"] is not None:
        try:
            parse_gtid_position(params["gtid_position"])
        except GtidError as error:
            raise bad("gtid_position", "%s; a position is a comma-separated list of GTIDs, one per domain, for "
                                       "example 1-1-80,2-2-1034" % error)
    if params["primary_log_pos"] is not None and params["primary_log_pos"] < 4:
        raise bad("primary_log_pos", "a binary log position is 4 or more")
    if params["primary_log_file"] is not None and (not params["primary_log_file"].strip()
                                                   or "/" in params["primary_log_file"]):
        raise bad("primary_log_file", "a binary log file name such as mysql-bin.000042, without a directory")
    if params["use_gtid"] == "no" and params["gtid_position"]:
        raise InputError("gtid_position=%r needs use_gtid slave_pos or current_pos, not 'no'" % params["gtid_position"])
    if params["use_gtid"] != "no" and params["primary_log_file"]:
        raise InputError("primary_log_file=%r and primary_log_pos need use_gtid: 'no' (use_gtid is %r)"
                         % (params["primary_log_file"], params["use_gtid"]))
    for option in ("login_ssl_ca", "login_ssl_cert", "login_ssl_key"):
        if params[option] and not params["login_ssl"]:
            raise InputError("%s=%r is set but login_ssl is false: set login_ssl: true" % (option, params[option]))
    if params["primary_ssl"] is False:
        for option in ("primary_ssl_ca", "primary_ssl_cert", "primary_ssl_key"):
            if params[option]:
                raise InputError("%s=%r is set but primary_ssl is false" % (option, params[option]))


def desired_settings(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The channel settings the options ask for, in the shape of normalize_replica_status().

    TLS settings left unset are left out: the channel keeps the server's default (on from MariaDB 11.4).
    """
    desired = {
        "primary_host": params["primary_host"],
        "primary_port": params["primary_port"],
        "primary_user": params["primary_user"],
        "connect_retry": params["primary_connect_retry"],
        "using_gtid": params["use_gtid"],
    }
    if params["primary_ssl"] is not None:
        desired["ssl"] = params["primary_ssl"]
    verify = params["primary_ssl_verify_server_cert"]
    if verify is None and params["primary_ssl"]:
        verify = True
    if verify is not None:
        desired["ssl_verify_server_cert"] = verify
    for key in ("ssl_ca", "ssl_cert", "ssl_key"):
        if params["primary_" + key] is not None:
            desired[key] = params["primary_" + key]
    return desired


def needs_repoint(current: dict[str, t.Any], desired: dict[str, t.Any]) -> bool:
    return any(current[key] != desired[key] for key in ("primary_host", "primary_port", "using_gtid"))


def changed_settings(current: dict[str, t.Any], desired: dict[str, t.Any]) -> list[str]:
    return [key for key in MUTABLE_SETTINGS if key in desired and current.get(key) != desired[key]]


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
        if variables.get("gtid_strict_mode", "ON") != "ON":
            raise PreflightError(
                "%s has gtid_strict_mode off: a master-master pair needs it on both, so a transaction out of "
                "order stops replication instead of being applied" % name)
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


def domains(params: dict[str, t.Any], local: dict[str, t.Any], peer: dict[str, t.Any]):
    """The GTID domains each side writes in: its own in a pair; in a replica topology only the primary writes."""
    if params["topology"] == "master_master":
        return {int(local["gtid_domain_id"])}, {int(peer["gtid_domain_id"])}
    return set(), None


def check_histories(params, local: Server, peer: Server, local_history: GtidHistory, peer_history: GtidHistory,
                    local_variables, peer_variables) -> None:
    """Raise PreflightError when a server holds transactions its peer never saw and will never receive."""
    peer_name = "the primary %s:%s" % (params["primary_host"], params["primary_port"])
    local_domains, peer_domains = domains(params, local_variables, peer_variables)
    problems = compare_histories(local_history, peer_history, "this server", peer_name, local_domains, peer_domains)
    if not problems:
        return
    if sees_every_table(peer) and not user_tables(peer):
        raise PreflightError(
            "%s holds no tables and lacks GTIDs this server holds (%s; it has %s): it was rebuilt or lost its data. "
            "Seed it from this server before it replicates or takes writes (the mariadb_master_master role does it "
            "on its next run; with the modules, scalable.webstack.mariadb_seed on it), then run this again"
            % (peer_name, local_history.text() or "none", peer_history.text() or "none"))
    if not user_tables(local):
        raise PreflightError(
            "this server holds no tables and lacks GTIDs %s holds (%s; this server has %s): it was rebuilt or lost "
            "its data. Seed it from the primary first (the mariadb_master_master role does it; with the modules, "
            "scalable.webstack.mariadb_seed here)" % (peer_name, peer_history.text(), local_history.text() or "none"))
    raise PreflightError("the GTID histories diverged: %s. Nothing was changed. The two ways out: %s"
                         % ("; ".join(problems), RESEED_ADVICE))


def new_channel_start(params, local: Server, peer: Server, local_history: GtidHistory,
                      peer_history: GtidHistory) -> str | None:
    """The GTID start of a new channel that skips nothing (None: by file and position); PreflightError when any
    start would skip the primary's data."""
    peer_name = "the primary %s:%s" % (params["primary_host"], params["primary_port"])
    peer_user = params["peer_login_user"] or params["primary_user"]
    if not sees_every_table(peer):
        raise PreflightError(
            "cannot tell whether %s holds data a new channel would skip: %s has no global SELECT there, so its "
            "tables are hidden. Grant it SELECT ON *.* (the mariadb_master_master role does), set peer_login_user, "
            "or give the start yourself (gtid_position, or primary_log_file and primary_log_pos)"
            % (peer_name, peer_user))
    peer_tables = user_tables(peer)
    local_tables = user_tables(local)
    if peer_tables and not local_tables:
        raise PreflightError(
            "%s holds %d tables (%s) and this server none: a new channel would start after that data and never "
            "copy it. Seed this server from the primary first (the mariadb_master_master role does it; with the "
            "modules, scalable.webstack.mariadb_seed), or give gtid_position if you loaded a copy yourself"
            % (peer_name, len(peer_tables), describe_tables(peer_tables)))
    if peer_tables and local_tables and not related(local_history, peer_history):
        differences = data_differences(local, peer, "this server", peer_name, local_tables, peer_tables)
        if differences:
            raise PreflightError(
                "this server and %s both hold data that never came through replication, and it differs: %s. "
                "Nothing was changed. The two ways out: %s; or make both identical yourself and run this again"
                % (peer_name, "; ".join(differences), RESEED_ADVICE))
        # Identical data: replication starts where both are now.
        return peer_history.text() if params["use_gtid"] != "no" else None
    if params["use_gtid"] == "no":
        return None
    return start_position(local_history, peer_history)


def file_position_start(params: dict[str, t.Any], peer: Server) -> dict[str, t.Any]:
    if params["primary_log_file"]:
        return {"primary_log_file": params["primary_log_file"], "primary_log_pos": params["primary_log_pos"]}
    rows = peer.query("SHOW MASTER STATUS")
    if not rows:
        raise PreflightError(
            "SHOW MASTER STATUS on the primary %s returned nothing: enable log_bin there, and grant %s "
            "BINLOG MONITOR" % (params["primary_host"], params["peer_login_user"] or params["primary_user"]))
    return {"primary_log_file": rows[0]["File"], "primary_log_pos": int(rows[0]["Position"])}


def plan_statements(
    params: dict[str, t.Any],
    current: dict[str, t.Any],
    local_gtid_slave_pos: str,
    position: dict[str, t.Any] | None,
    send_password: bool = False,
) -> list[Statement]:
    """The statements that take the channel from current (normalized status, {} when absent) to params."""
    name = params["connection_name"]
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
        settings["connect_retry"] = desired["connect_retry"]
        for key in ("ssl", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_server_cert"):
            if key in desired:
                settings[key] = desired[key]
        if params["use_gtid"] == "no":
            settings.update(position)
        else:
            statements.append(("SET GLOBAL gtid_slave_pos = %s", [merge_gtid_positions(local_gtid_slave_pos, position["gtid"])]))
        statements.append(change_master(name, settings, params["use_gtid"]))
    else:
        changes = {key: desired[key] for key in changed_settings(current, desired)}
        if send_password:
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


class Unhealthy(Exception):
    """The channel is not healthy: message with MariaDB's error and advice, and the status."""

    def __init__(self, message: str, status: dict[str, t.Any]) -> None:
        super().__init__(message)
        self.status = status


def health_problem(status: dict[str, t.Any], peer_error: MariaDBError | None) -> str | None:
    """Why the channel cannot become healthy by waiting, or None."""
    if not status:
        return "the channel does not exist"
    io_errno, sql_errno = status["last_io_errno"], status["last_sql_errno"]
    if sql_errno:
        return ("the replica SQL thread stopped with error %s: %s. Advice: %s"
                % (sql_errno, status["last_sql_error"], advice_for(sql_errno)))
    if status["sql_running"] == "No" and status["io_running"] == "No" and not io_errno:
        return "both replica threads are stopped (STOP SLAVE)"
    if io_errno and (status["io_running"] == "No" or io_errno in FATAL_IO_ERRORS):
        return ("the replica IO thread failed with error %s: %s. Advice: %s"
                % (io_errno, status["last_io_error"], advice_for(io_errno)))
    if io_errno and peer_error is not None:
        return ("the replica IO thread is %s with error %s: %s; the module cannot reach the primary either: %s"
                % (status["io_running"], io_errno, status["last_io_error"], peer_error))
    return None


def wait_healthy(server: Server, name: str, timeout: float, peer_error: MariaDBError | None = None,
                 sleep=time.sleep, clock=time.monotonic) -> dict[str, t.Any]:
    """The channel's status once it is healthy; Unhealthy when it fails or is still not healthy after timeout."""
    deadline = clock() + timeout
    while True:
        status = normalize_replica_status(server.replica_channels().get(name))
        if is_healthy(status):
            return status
        problem = health_problem(status, peer_error)
        if problem:
            raise Unhealthy(problem, status)
        if clock() >= deadline:
            io_errno = status["last_io_errno"]
            detail = ("IO thread %s, last IO error %s: %s. Advice: %s"
                      % (status["io_running"], io_errno, status["last_io_error"], advice_for(io_errno))
                      if io_errno else "IO thread %s, SQL thread %s" % (status["io_running"], status["sql_running"]))
            raise Unhealthy("the channel was not healthy after %ss (%s)" % (timeout, detail), status)
        sleep(0.5)


def diff_view(status: dict[str, t.Any]) -> dict[str, t.Any]:
    keys = ("primary_host", "primary_port", "primary_user", "connect_retry", "using_gtid", "ssl", "ssl_ca",
            "ssl_cert", "ssl_key", "ssl_verify_server_cert")
    view = {key: status.get(key) for key in keys} if status else {}
    if status:
        view["state"] = "running" if is_healthy(status) else "stopped"
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
        primary_ssl=dict(type="bool"),
        primary_ssl_ca=dict(type="path"),
        primary_ssl_cert=dict(type="path"),
        primary_ssl_key=dict(type="path", no_log=False),
        primary_ssl_verify_server_cert=dict(type="bool"),
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
        health_timeout=dict(type="int", default=15),
    )
    return spec


def primary_tls(params: dict[str, t.Any]):
    if not params["primary_ssl"]:
        return None
    verify = params["primary_ssl_verify_server_cert"]
    return tls_context(params["primary_ssl_ca"], params["primary_ssl_cert"], params["primary_ssl_key"],
                       True if verify is None else verify)


def run(module: AnsibleModule) -> None:
    params = module.params
    try:
        validate(params)
    except InputError as error:
        module.fail_json(msg=str(error))
    require_pymysql(module)

    server = connect_login(params, role="the server to configure")
    name = params["connection_name"]
    current = normalize_replica_status(server.replica_channels().get(name))
    result: dict[str, t.Any] = dict(changed=False, statements=[], status=current)

    position = None
    send_password = False
    peer_error: MariaDBError | None = None
    local_gtid_slave_pos = ""
    if params["state"] != "absent":
        desired = desired_settings(params)
        creating = not current or needs_repoint(current, desired)
        if current and creating and not params["force_change_primary"]:
            module.fail_json(
                msg="channel %r replicates from %s:%s (GTID %s) but the task asks for %s:%s (GTID %s); set "
                    "force_change_primary: true to re-point it, starting as a new channel would"
                    % (name, current["primary_host"], current["primary_port"], current["using_gtid"],
                       params["primary_host"], params["primary_port"], params["use_gtid"]), **result)
        if creating and params["primary_password"] is None:
            module.fail_json(msg="primary_password is needed to create the channel %r" % name, **result)
        peer_user = params["peer_login_user"] or params["primary_user"]
        peer_password = params["peer_login_password"] if params["peer_login_user"] else params["primary_password"]
        peer = None
        if peer_password is None:
            module.warn("the GTID histories were not compared: give primary_password (or peer_login_password) "
                        "so the module can read the primary")
        elif creating or params["state"] == "running":
            try:
                peer = Server.connect(params["primary_host"], params["primary_port"], peer_user, peer_password,
                                      connect_timeout=params["connect_timeout"], ssl_context=primary_tls(params),
                                      role="the primary")
            except MariaDBError as error:
                if creating:
                    module.fail_json(msg="%s. Nothing was changed" % error, **result)
                peer_error = error
        local_variables = server.global_variables(PAIR_VARIABLES)
        local_gtid_slave_pos = local_variables["gtid_slave_pos"] or ""
        if peer is not None:
            try:
                peer_variables = peer.global_variables(PAIR_VARIABLES)
                check_pair(local_variables, peer_variables, params)
                local_history = GtidHistory.from_variables(local_variables)
                peer_history = GtidHistory.from_variables(peer_variables)
                result["gtid_histories"] = dict(local=local_history.text(), primary=peer_history.text())
                explicit = params["gtid_position"] is not None or params["primary_log_file"] is not None
                if params["state"] == "running" and not (creating and explicit):
                    check_histories(params, server, peer, local_history, peer_history, local_variables,
                                    peer_variables)
                if creating:
                    if params["use_gtid"] != "no":
                        gtid = params["gtid_position"] if explicit else \
                            new_channel_start(params, server, peer, local_history, peer_history)
                        position = {"gtid": gtid or ""}
                    else:
                        if not explicit:
                            new_channel_start(params, server, peer, local_history, peer_history)
                        position = file_position_start(params, peer)
            except PreflightError as error:
                module.fail_json(msg="preflight: %s" % error, **result)
            finally:
                peer.close()
            if position is not None:
                result["start_position"] = position
        if not creating and params["update_password"] == "always":
            stored = stored_channel_password(server, name)
            send_password = stored is None or stored != params["primary_password"]

    statements = plan_statements(params, current, local_gtid_slave_pos, position, send_password)
    # An IO thread still retrying a primary that answers the module again reconnects now, not at its next retry.
    if (not statements and params["state"] == "running" and current and current["io_running"] == "Connecting"
            and current["last_io_errno"] in RETRYABLE_IO_ERRORS and peer_error is None
            and params["primary_password"] is not None):
        statements = [("STOP SLAVE %s IO_THREAD", [name]), ("START SLAVE %s IO_THREAD", [name])]
    result["statements"] = [render_statement(sql, values) for sql, values in statements]
    result["changed"] = bool(statements)
    after = {} if params["state"] == "absent" else dict(diff_view(current) or {}, **desired_settings(params),
                                                        state=params["state"])
    if send_password:
        after["primary_password"] = "(changed)"
    result["diff"] = dict(before=diff_view(current), after=after)

    if module.check_mode and statements:
        module.exit_json(**result)

    for sql, values in statements:
        server.execute(sql, values)

    if params["state"] == "running":
        timeout = params["wait_timeout"] if statements else params["health_timeout"]
        try:
            result["status"] = wait_healthy(server, name, 0 if module.check_mode else timeout, peer_error)
        except Unhealthy as error:
            result["status"] = error.status
            module.fail_json(msg="channel %r from %s:%s: %s"
                             % (name, params["primary_host"], params["primary_port"], error), **result)
    elif statements:
        result["status"] = normalize_replica_status(server.replica_channels().get(name))
    server.close()
    module.exit_json(**result)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[
            ("state", "running", ("primary_host", "primary_user")),
            ("state", "stopped", ("primary_host", "primary_user")),
            ("update_password", "always", ("primary_password",)),
        ],
        required_together=[("primary_log_file", "primary_log_pos"), ("primary_ssl_cert", "primary_ssl_key"),
                           ("login_ssl_cert", "login_ssl_key")],
        mutually_exclusive=[("gtid_position", "primary_log_file")],
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
