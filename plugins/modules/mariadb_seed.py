#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mariadb_seed
short_description: Seed an empty MariaDB server with a consistent copy of another one, streamed between the hosts
version_added: 0.1.0
description:
  - Gives the MariaDB server the task runs against (the target) a copy of every user database of another
    server (the donor) when the target holds no tables and the donor does, so that a replication channel from
    the donor starts where the copy ends and nothing is skipped. A target with data is left alone, unless
    O(force=true).
  - The copy is C(mariadb-dump --single-transaction --gtid --master-data=2) run on the target host against the
    donor over the MariaDB protocol (with TLS when asked), streamed straight into the target's C(mariadb) client
    with C(sql_log_bin=0). The donor keeps serving reads and writes; the dump is one InnoDB consistent snapshot,
    taken without a global read lock.
  - After the load the target's GTID state is the snapshot's - C(RESET MASTER), then C(gtid_slave_pos) and
    C(gtid_binlog_state) set to the dump's position - so its own writes continue the donor's numbering and the
    donor's channel from it, if any, finds its position (in the donor's own domain the binary log starts where
    that channel will ask, see RV(binlog_state)). The position is returned for
    M(scalable.webstack.mariadb_replication) O(scalable.webstack.mariadb_replication#module:gtid_position).
  - When both servers hold data it checks, before anything changes, that it did not diverge - GTID histories per
    domain, and when they never exchanged transactions, the tables and their C(CHECKSUM TABLE) - and refuses
    with what differs and the two ways out. A target with data that replicates from the donor is checked
    without reading the donor (the history check of M(scalable.webstack.mariadb_replication) covers it).
author:
  - scalable.webstack maintainers (@scalable-webstack)
extends_documentation_fragment:
  - scalable.webstack.mariadb_login
requirements:
  - PyMySQL on the host the module runs on
  - the C(mariadb-dump) (or C(mysqldump)) and C(mariadb) (or C(mysql)) clients on the host the module runs on
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads both servers and tells whether it would seed; the returned position is the donor's current one.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
options:
  donor_host:
    description: Host name or address of the server to copy from, as the target's host reaches it.
    type: str
    required: true
  donor_port:
    description: Port of the donor.
    type: int
    default: 3306
  donor_user:
    description:
      - User on the donor. It needs C(SELECT), C(SHOW VIEW), C(TRIGGER), C(EVENT) and C(BINLOG MONITOR) on C(*.*)
        (the replication user of the mariadb_master_master role has them).
    type: str
    required: true
  donor_password:
    description: Password of O(donor_user).
    type: str
    required: true
  donor_ssl:
    description: Connect to the donor over TLS. Omitted, the clients' default applies (TLS from MariaDB 11.4).
    type: bool
  donor_ssl_ca:
    description: CA file on the target's host that signed the donor's certificate.
    type: path
  donor_ssl_cert:
    description: Client certificate for users that C(REQUIRE X509).
    type: path
  donor_ssl_key:
    description: Key of O(donor_ssl_cert).
    type: path
  donor_ssl_verify_server_cert:
    description: With O(donor_ssl), check the donor's certificate and that it names O(donor_host).
    type: bool
    default: true
  force:
    description:
      - Replace the target's data even when it holds some - every user database of the target is dropped first.
        For a server whose data diverged and is given up; the refusal message names this way out.
    type: bool
    default: false
  topology:
    description:
      - How the two servers replicate, for the history check. V(master_master) lets each be ahead of the other
        in its own GTID domain; V(replica) - the donor is the only writer.
    type: str
    choices: [master_master, replica]
    default: master_master
notes:
  - Limits of a logical copy - its time grows with the data (about a minute per few GB on small machines), the
    donor keeps the snapshot's undo history while it runs, and C(ALTER), C(DROP), C(RENAME) or C(TRUNCATE TABLE)
    on the donor during the copy break its consistency; MyISAM and Aria tables are not copied consistently. For
    large data sets restore a C(mariadb-backup) copy yourself and give its C(xtrabackup_binlog_info) GTID to
    M(scalable.webstack.mariadb_replication).
  - Every replica channel of the target is stopped while it is seeded;
    M(scalable.webstack.mariadb_replication) starts them again.
seealso:
  - module: scalable.webstack.mariadb_replication
  - name: mariadb-dump
    description: The client that makes the copy.
    link: https://mariadb.com/kb/en/mariadb-dump/
"""

EXAMPLES = r"""
- name: Seed this server from its peer when it came back empty
  scalable.webstack.mariadb_seed:
    donor_host: db1.example.com
    donor_user: replicator
    donor_password: "{{ vault_mariadb_replication_password }}"
    donor_ssl: true
    donor_ssl_ca: /etc/mysql/tls/ca.pem
  register: seed

- name: Replicate from the peer where the copy ends
  scalable.webstack.mariadb_replication:
    primary_host: db1.example.com
    primary_user: replicator
    primary_password: "{{ vault_mariadb_replication_password }}"
    primary_ssl: true
    primary_ssl_ca: /etc/mysql/tls/ca.pem
    gtid_position: "{{ seed.gtid_position if seed is changed else omit }}"

- name: Give up this server's diverged data and copy the peer's
  scalable.webstack.mariadb_seed:
    donor_host: db1.example.com
    donor_user: replicator
    donor_password: "{{ vault_mariadb_replication_password }}"
    force: true
"""

RETURN = r"""
seeded:
  description: Whether the target was (or, in check mode, would be) seeded.
  returned: always
  type: bool
  sample: true
reason:
  description: Why the module seeded or left the target alone.
  returned: always
  type: str
  sample: this server holds no tables and the donor db1:3306 holds 3 (shop.orders, shop.products, shop.users)
gtid_position:
  description: The GTID position of the copy, where a channel from the donor starts (in check mode, the donor's current one).
  returned: when seeded
  type: str
  sample: 1-1-10455,2-2-310
databases:
  description: The donor's databases copied.
  returned: when seeded
  type: list
  elements: str
  sample: [shop]
tables:
  description: Number of tables and views the target holds after the copy.
  returned: when seeded, except in check mode
  type: int
  sample: 3
binlog_state:
  description:
    - The GTID state the target's binary log starts with - the copy's position, except in the domains where the
      donor's own channel will ask for an earlier GTID (its own transactions, which it skips anyway).
  returned: when seeded, except in check mode
  type: str
  sample: 1-1-10401,2-2-310
seconds:
  description: Duration of the copy.
  returned: when seeded, except in check mode
  type: float
  sample: 2.4
"""

import os
import re
import shlex
import shutil
import tempfile
import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._mariadb import (
    RESEED_ADVICE,
    GtidHistory,
    MariaDBError,
    Server,
    compare_histories,
    connect_login,
    connection_argument_spec,
    data_differences,
    describe_tables,
    parse_gtid_position,
    quote_identifier,
    related,
    require_pymysql,
    run_module,
    sees_every_table,
    tls_context,
    user_databases,
    user_tables,
)

HISTORY_VARIABLES = ("log_bin", "gtid_binlog_pos", "gtid_binlog_state", "gtid_slave_pos", "gtid_domain_id")


class SeedError(Exception):
    """The copy failed; the message says where and with what output."""


def option_value(value: str) -> str:
    """A value for a MariaDB option file, quoted so that any character survives."""
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def client_options(password: str | None, tls: bool | None, ca: str | None, cert: str | None, key: str | None,
                   verify: bool, user: str | None = None, socket: str | None = None) -> str:
    """The [client] group of an option file for the command-line clients: secrets never on a command line."""
    lines = ["[client]"]
    if user:
        lines.append("user=%s" % option_value(user))
    if password:
        lines.append("password=%s" % option_value(password))
    if socket:
        lines.append("socket=%s" % option_value(socket))
    if tls:
        lines.append("ssl")
        for name, value in (("ssl-ca", ca), ("ssl-cert", cert), ("ssl-key", key)):
            if value:
                lines.append("%s=%s" % (name, option_value(value)))
        lines.append("ssl-verify-server-cert" if verify else "skip-ssl-verify-server-cert")
    elif tls is False:
        lines.append("skip-ssl")
    return "\n".join(lines) + "\n"


def find_client(*names: str) -> str:
    for name in names:
        path = shutil.which(name) or ("/usr/bin/" + name if os.path.exists("/usr/bin/" + name) else None)
        if path:
            return path
    raise SeedError("none of %s is installed on this host: install the MariaDB client (mariadb-client)"
                    % ", ".join(names))


def copy_script(dump_command: list[str], load_command: list[str], workdir: str) -> str:
    """The bash pipeline of the copy: the dump flows from one client to the other without passing through
    Python; awk passes every line on and keeps the snapshot's GTID line. The exit codes go to files."""
    quote = shlex.quote
    return (
        "set -o pipefail\n"
        "{ printf 'SET SESSION sql_log_bin = 0;\\n'; %s 2>%s | awk -v out=%s "
        "'index($0, \"-- SET GLOBAL gtid_slave_pos=\") == 1 { print > out } { print }'; } | %s 2>%s\n"
        "echo \"${PIPESTATUS[0]} ${PIPESTATUS[1]}\" > %s\n"
        % (" ".join(quote(part) for part in dump_command), quote(os.path.join(workdir, "dump.err")),
           quote(os.path.join(workdir, "gtid.txt")), " ".join(quote(part) for part in load_command),
           quote(os.path.join(workdir, "load.err")), quote(os.path.join(workdir, "status"))))


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return " ".join(handle.read().decode("utf-8", "replace").split())[-2000:]
    except OSError:
        return ""


def stream_copy(run_command: t.Callable[..., t.Any], dump_command: list[str], load_command: list[str],
                workdir: str) -> str:
    """Run the dump into the loader; the GTID position the dump names. run_command is AnsibleModule's."""
    script = os.path.join(workdir, "copy.sh")
    with open(os.open(script, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700), "w") as handle:
        handle.write(copy_script(dump_command, load_command, workdir))
    run_command(["/bin/bash", script], environ_update={"LC_ALL": "C"})
    codes = _read(os.path.join(workdir, "status")).split()
    group_code, load_code = (int(codes[0]), int(codes[1])) if len(codes) == 2 else (-1, -1)
    if load_code != 0:
        raise SeedError("loading the copy into this server failed (exit %s): %s"
                        % (load_code, _read(os.path.join(workdir, "load.err")) or _read(os.path.join(workdir, "dump.err"))))
    if group_code != 0:
        raise SeedError("mariadb-dump on the donor failed (exit %s): %s"
                        % (group_code, _read(os.path.join(workdir, "dump.err"))))
    lines = _read(os.path.join(workdir, "gtid.txt"))
    found = re.findall(r"-- SET GLOBAL gtid_slave_pos='([0-9,-]*)';", lines)
    if not found:
        raise SeedError("the dump names no GTID position (no 'SET GLOBAL gtid_slave_pos' line): is log_bin on "
                        "on the donor? %s" % _read(os.path.join(workdir, "dump.err")))
    return found[-1]


def binlog_state_for(position: str, donor_slave_pos: str) -> str:
    """The binary log state the seeded server starts with: the copy's position, except where the donor's own
    channel (from this server, in a pair) will ask for an earlier GTID. The donor's gtid_slave_pos follows its own
    transactions coming back only as far as they came back, so in its own domain it is behind the copy; the
    binary log must start there, or the donor's request finds its GTID \"purged\" (error 1236). The events in
    between are the donor's own, which it would skip anyway."""
    state = parse_gtid_position(position)
    for domain, gtid in parse_gtid_position(donor_slave_pos).items():
        if domain in state and int(gtid.rsplit("-", 1)[1]) < int(state[domain].rsplit("-", 1)[1]):
            state[domain] = gtid
    return ",".join(state[domain] for domain in sorted(state))


def argument_spec() -> dict[str, dict[str, t.Any]]:
    spec = connection_argument_spec()
    spec.update(
        donor_host=dict(type="str", required=True),
        donor_port=dict(type="int", default=3306),
        donor_user=dict(type="str", required=True),
        donor_password=dict(type="str", required=True, no_log=True),
        donor_ssl=dict(type="bool"),
        donor_ssl_ca=dict(type="path"),
        donor_ssl_cert=dict(type="path"),
        donor_ssl_key=dict(type="path", no_log=False),
        donor_ssl_verify_server_cert=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
        topology=dict(type="str", default="master_master", choices=["master_master", "replica"]),
    )
    return spec


def validate(params: dict[str, t.Any]) -> str | None:
    """The first malformed option, named with its value, or None."""
    for option in ("donor_port", "login_port"):
        if not 1 <= params[option] <= 65535:
            return "%s=%r is not valid: a TCP port is between 1 and 65535" % (option, params[option])
    for option in ("donor_host", "donor_user"):
        value = params[option]
        if not value.strip() or value != value.strip() or len(value) > 255:
            return ("%s=%r is not valid: a non-empty name without surrounding spaces, at most 255 characters"
                    % (option, value))
    if not 1 <= params["connect_timeout"] <= 31536000:
        return "connect_timeout=%r is not valid: seconds between 1 and 31536000" % params["connect_timeout"]
    for option in ("login_ssl_ca", "login_ssl_cert", "login_ssl_key"):
        if params[option] and not params["login_ssl"]:
            return "%s=%r is set but login_ssl is false: set login_ssl: true" % (option, params[option])
    if params["donor_ssl"] is False:
        for option in ("donor_ssl_ca", "donor_ssl_cert", "donor_ssl_key"):
            if params[option]:
                return "%s=%r is set but donor_ssl is false" % (option, params[option])
    return None


def replicates_from(channels: dict[str, dict[str, t.Any]], host: str, port: int, server_id: int | None = None) -> bool:
    for row in channels.values():
        if (row.get("Master_Host") == host and int(row.get("Master_Port") or 0) == port) or \
                (server_id is not None and str(row.get("Master_Server_Id")) == str(server_id)):
            return True
    return False


def domains(params, local_variables, donor_variables):
    if params["topology"] == "master_master":
        return {int(local_variables["gtid_domain_id"])}, {int(donor_variables["gtid_domain_id"])}
    return set(), None


def check_both_with_data(params, local: Server, donor: Server, donor_name: str, local_tables, donor_tables) -> str:
    """Why a target with data may stay as it is; SeedError naming what differs when it diverged."""
    local_variables = local.global_variables(HISTORY_VARIABLES)
    donor_variables = donor.global_variables(HISTORY_VARIABLES)
    local_history = GtidHistory.from_variables(local_variables)
    donor_history = GtidHistory.from_variables(donor_variables)
    local_domains, donor_domains = domains(params, local_variables, donor_variables)
    problems = compare_histories(local_history, donor_history, "this server", donor_name, local_domains,
                                 donor_domains)
    if problems:
        raise SeedError("both servers hold data and their GTID histories diverged: %s. Nothing was changed. The two "
                        "ways out: %s" % ("; ".join(problems), RESEED_ADVICE))
    if related(local_history, donor_history):
        return "both servers hold data and share their GTID history (%s here, %s on %s)" % (
            local_history.text(), donor_history.text(), donor_name)
    differences = data_differences(local, donor, "this server", donor_name, local_tables, donor_tables)
    if differences:
        raise SeedError("both servers hold data that never came through replication, and it differs: %s. Nothing was "
                        "changed. The two ways out: %s; or make both identical yourself and run this again"
                        % ("; ".join(differences), RESEED_ADVICE))
    return "both servers hold the same %d tables with the same checksums" % len(local_tables)


def run(module: AnsibleModule) -> None:
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    require_pymysql(module)
    local = connect_login(params, role="the server to seed")
    donor_name = "the donor %s:%s" % (params["donor_host"], params["donor_port"])
    result: dict[str, t.Any] = dict(changed=False, seeded=False)
    local_tables = user_tables(local)
    channels = local.replica_channels()
    if local_tables and not params["force"] and replicates_from(channels, params["donor_host"], params["donor_port"]):
        module.exit_json(reason="this server holds %d tables and replicates from %s" % (len(local_tables), donor_name),
                         **result)

    donor_tls = None
    if params["donor_ssl"]:
        donor_tls = tls_context(params["donor_ssl_ca"], params["donor_ssl_cert"], params["donor_ssl_key"],
                                params["donor_ssl_verify_server_cert"])
    donor = Server.connect(params["donor_host"], params["donor_port"], params["donor_user"], params["donor_password"],
                           connect_timeout=params["connect_timeout"], ssl_context=donor_tls, role="the donor")
    if not sees_every_table(donor):
        module.fail_json(msg="%s has no global SELECT on %s, so its tables are hidden and cannot be copied: grant it "
                             "SELECT, SHOW VIEW, TRIGGER, EVENT ON *.*" % (params["donor_user"], donor_name), **result)
    donor_tables = user_tables(donor)
    if not params["force"]:
        if not donor_tables:
            reason = "neither server holds tables" if not local_tables else \
                "%s holds no tables (it is seeded from this server)" % donor_name
            module.exit_json(reason=reason, **result)
        if local_tables:
            try:
                reason = check_both_with_data(params, local, donor, donor_name, local_tables, donor_tables)
            except SeedError as error:
                module.fail_json(msg=str(error), **result)
            module.exit_json(reason=reason, **result)
        reason = "this server holds no tables and %s holds %d (%s)" % (donor_name, len(donor_tables),
                                                                       describe_tables(donor_tables))
    else:
        reason = "force: this server's %d tables are replaced by a copy of %s's %d" % (
            len(local_tables), donor_name, len(donor_tables))

    databases = user_databases(donor)
    result.update(changed=True, seeded=True, reason=reason, databases=databases)
    if module.check_mode:
        result["gtid_position"] = donor.global_variables(("gtid_binlog_pos",))["gtid_binlog_pos"] or ""
        module.exit_json(**result)

    started = time.monotonic()
    local.execute("STOP ALL SLAVES")
    local.execute("SET SESSION sql_log_bin = 0")
    before = {}
    for database in user_databases(local):
        before[database] = local.query("SHOW CREATE DATABASE " + quote_identifier(database))[0]["Create Database"]
    if params["force"]:
        for database in before:
            local.execute("DROP DATABASE " + quote_identifier(database))

    workdir = tempfile.mkdtemp(prefix="webstack-seed-")
    try:
        os.chmod(workdir, 0o700)
        donor_options = os.path.join(workdir, "donor.cnf")
        local_options = os.path.join(workdir, "local.cnf")
        with open(os.open(donor_options, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(client_options(params["donor_password"], params["donor_ssl"], params["donor_ssl_ca"],
                                        params["donor_ssl_cert"], params["donor_ssl_key"],
                                        params["donor_ssl_verify_server_cert"]))
        local_socket = params["login_unix_socket"] if params["login_host"] == "localhost" else None
        with open(os.open(local_options, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(client_options(params["login_password"], params["login_ssl"] or None, params["login_ssl_ca"],
                                        params["login_ssl_cert"], params["login_ssl_key"],
                                        params["login_ssl_verify_server_cert"], user=params["login_user"],
                                        socket=local_socket))
        dump_command = [
            find_client("mariadb-dump", "mysqldump"), "--defaults-extra-file=" + donor_options,
            "--host=" + params["donor_host"], "--port=%d" % params["donor_port"], "--user=" + params["donor_user"],
            "--protocol=TCP", "--single-transaction", "--gtid", "--master-data=2", "--routines", "--events",
            "--triggers", "--hex-blob", "--quick", "--max-allowed-packet=1G", "--databases", *databases]
        load_command = [find_client("mariadb", "mysql"), "--defaults-extra-file=" + local_options, "--binary-mode",
                        "--max-allowed-packet=1G"]
        if not local_socket:
            load_command += ["--host=" + params["login_host"], "--port=%d" % params["login_port"], "--protocol=TCP"]
        position = stream_copy(module.run_command, dump_command, load_command, workdir)
    except SeedError as error:
        for database in databases:
            local.execute("DROP DATABASE IF EXISTS " + quote_identifier(database))
        for database, create in before.items():
            if database in databases or params["force"]:
                local.execute("DROP DATABASE IF EXISTS " + quote_identifier(database))
                local.execute(create)
        module.fail_json(msg="%s. The copy was removed again: this server holds what it held before" % error,
                         **result)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    # This server's binary log now starts where the copy ends: its own writes continue the donor's numbering,
    # and a channel from it (the donor's, in a pair) finds its position. Its old binlog dump threads go first.
    for row in local.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE %s",
                           ["Binlog Dump%"]):
        try:
            local.execute("KILL CONNECTION %s", [int(row["id"])])
        except MariaDBError:
            pass  # it ended by itself
    state = binlog_state_for(position, donor.global_variables(("gtid_slave_pos",))["gtid_slave_pos"] or "")
    donor.close()
    local.execute("RESET MASTER")
    local.execute("SET GLOBAL gtid_binlog_state = %s", [state])
    local.execute("SET GLOBAL gtid_slave_pos = %s", [position])
    after = user_tables(local)
    missing = set(donor_tables) - set(after)
    if missing:
        module.fail_json(msg="the copy lacks %s of %s: run again" % (describe_tables(missing), donor_name), **result)
    result.update(gtid_position=position, binlog_state=state, tables=len(after),
                  seconds=round(time.monotonic() - started, 2))
    module.exit_json(**result)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[("donor_ssl_cert", "donor_ssl_key"), ("login_ssl_cert", "login_ssl_key")],
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
