# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections, replica status, GTID histories, data comparison and error advice shared by the MariaDB
modules of scalable.webstack."""

from __future__ import annotations

import os
import re
import traceback
import typing as t

try:
    import ssl
except ImportError:  # pragma: no cover - Python is always built with ssl on Debian
    ssl = None  # type: ignore[assignment]

try:
    import pymysql
    import pymysql.cursors
    from pymysql.converters import escape_item
except ImportError:
    pymysql = None  # type: ignore[assignment]
    PYMYSQL_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    PYMYSQL_IMPORT_ERROR = None

from ansible.module_utils.basic import missing_required_lib

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")

# The operator's two ways out of diverged data, named in every refusal.
RESEED_ADVICE = (
    "re-seed the server whose data you give up from the other one: with the mariadb_master_master role, "
    "run it with -e mariadb_master_master_reseed=<that server's inventory name>; with the modules, "
    "scalable.webstack.mariadb_seed force=true on that server")


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """Options that say how a module reaches the server it runs against."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=3306),
        login_user=dict(type="str", default="root"),
        login_password=dict(type="str", no_log=True),
        login_unix_socket=dict(type="path", default="/run/mysqld/mysqld.sock"),
        login_ssl=dict(type="bool", default=False),
        login_ssl_ca=dict(type="path"),
        login_ssl_cert=dict(type="path"),
        login_ssl_key=dict(type="path", no_log=False),
        login_ssl_verify_server_cert=dict(type="bool", default=True),
        connect_timeout=dict(type="int", default=10),
    )


def require_pymysql(module) -> None:
    if pymysql is None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_IMPORT_ERROR)


def connect_login(params: dict[str, t.Any], role: str = "the server") -> "Server":
    """The server a module runs against, from the options of connection_argument_spec."""
    login_tls = tls_context(params["login_ssl_ca"], params["login_ssl_cert"], params["login_ssl_key"],
                            params["login_ssl_verify_server_cert"]) if params["login_ssl"] else None
    return Server.connect(params["login_host"], params["login_port"], params["login_user"], params["login_password"],
                          params["login_unix_socket"], params["connect_timeout"], login_tls, role=role)


class Secret(str):
    """A statement parameter that is sent to the server but never shown."""


class MariaDBError(Exception):
    """A failure with a one-line message that names the server, the user and what failed."""

    def __init__(self, message: str, errno: int = 0) -> None:
        super().__init__(message)
        self.errno = errno


def run_module(module: t.Any, run: t.Callable[[t.Any], None]) -> None:
    """Runs a module's body: a MariaDBError ends in its one-line message, anything else in "unexpected error"
    with the traceback for -vvv."""
    try:
        run(module)
    except MariaDBError as error:
        module.fail_json(msg=str(error))
    except Exception as error:  # pylint: disable=broad-except
        module.fail_json(msg="unexpected error: %s" % error, exception=traceback.format_exc())


def error_number(error: BaseException) -> int:
    return error.args[0] if error.args and isinstance(error.args[0], int) else 0


def error_text(error: BaseException) -> str:
    """'error 1045: Access denied ...' from a PyMySQL error, on one line."""
    errno = error_number(error)
    text = error.args[1] if errno and len(error.args) > 1 else str(error)
    text = " ".join(str(text).split())
    return "error %s: %s" % (errno, text) if errno else text


def tls_context(ca: str | None, cert: str | None, key: str | None, verify: bool):
    """A client TLS context: the CA (or the system's) when verifying, an optional client certificate."""
    for name, path in (("CA", ca), ("certificate", cert), ("key", key)):
        if path and not os.path.isfile(path):
            raise MariaDBError("the TLS %s file %s does not exist on this host" % (name, path))
    context = ssl.create_default_context(cafile=ca or None)
    if verify:
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert:
        context.load_cert_chain(cert, keyfile=key or None)
    return context


class Server:
    """One MariaDB server, queried with driver parameters only; errors name server, user and statement."""

    def __init__(self, connection, where: str = "", user: str = "") -> None:
        self.connection = connection
        self.where = where
        self.user = user

    @staticmethod
    def describe(host: str, port: int, unix_socket: str | None = None) -> str:
        return "the unix socket %s" % unix_socket if host == "localhost" and unix_socket else "%s:%s" % (host, port)

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        user: str,
        password: str | None,
        unix_socket: str | None = None,
        connect_timeout: int = 10,
        ssl_context=None,
        role: str = "the server",
    ) -> "Server":
        where = cls.describe(host, port, unix_socket)
        kwargs: dict[str, t.Any] = dict(
            user=user,
            password=password or "",
            connect_timeout=connect_timeout,
            autocommit=True,
            charset="utf8mb4",
            cursorclass=pymysql.cursors.DictCursor,
        )
        if host == "localhost" and unix_socket:
            kwargs["unix_socket"] = unix_socket
        else:
            kwargs.update(host=host, port=port)
        if ssl_context is not None:
            kwargs["ssl"] = ssl_context
        try:
            connection = pymysql.connect(**kwargs)
        except Exception as error:  # pylint: disable=broad-except
            errno = error_number(error)
            raise MariaDBError(
                "cannot connect to %s at %s as %s (%s, connect_timeout %ss): %s. Advice: %s"
                % (role, where, user, "TLS" if ssl_context is not None else "no TLS", connect_timeout,
                   error_text(error), advice_for(errno)), errno)
        return cls(connection, where, user)

    def _run(self, sql: str, params: t.Sequence[t.Any] | None, fetch: bool):
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall()) if fetch else None
        except Exception as error:  # pylint: disable=broad-except
            errno = error_number(error)
            shown = render_statement(sql, params or ())
            raise MariaDBError("%s on %s as %s failed: %s. Advice: %s"
                               % (shown, self.where, self.user, error_text(error), advice_for(errno)), errno)

    def query(self, sql: str, params: t.Sequence[t.Any] | None = None) -> list[dict[str, t.Any]]:
        return self._run(sql, params, True)

    def execute(self, sql: str, params: t.Sequence[t.Any] | None = None) -> None:
        self._run(sql, params, False)

    def global_variables(self, names: t.Iterable[str]) -> dict[str, t.Any]:
        """Read global system variables. Names come from the caller's code, never from users."""
        names = list(names)
        rows = self.query(
            "SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value "
            "FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME IN (%s)" % ", ".join(["%s"] * len(names)),
            [name.upper() for name in names],
        )
        found = {row["name"].lower(): row["value"] for row in rows}
        return {name: found.get(name) for name in names}

    def replica_channels(self) -> dict[str, dict[str, t.Any]]:
        """Every replication channel by connection name ('' is the default channel)."""
        return {row["Connection_name"]: row for row in self.query("SHOW ALL SLAVES STATUS")}

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # pylint: disable=broad-except
            pass


def render_statement(sql: str, params: t.Sequence[t.Any] = ()) -> str:
    """The statement as it would be sent, with Secret parameters masked."""
    shown = tuple("'********'" if isinstance(value, Secret) else escape_item(value, "utf8mb4") for value in params)
    return sql % shown if shown else sql


def normalize_replica_status(row: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """A replica status row (SHOW ALL SLAVES STATUS) with stable, lower-case names."""
    if not row:
        return {}

    def number(value: t.Any) -> int | None:
        return None if value in (None, "") else int(value)

    return {
        "connection_name": row.get("Connection_name", ""),
        "primary_host": row.get("Master_Host"),
        "primary_port": number(row.get("Master_Port")),
        "primary_user": row.get("Master_User"),
        "primary_server_id": number(row.get("Master_Server_Id")),
        "connect_retry": number(row.get("Connect_Retry")),
        "using_gtid": (row.get("Using_Gtid") or "No").lower(),
        "gtid_io_pos": row.get("Gtid_IO_Pos") or "",
        "io_running": row.get("Slave_IO_Running"),
        "sql_running": row.get("Slave_SQL_Running"),
        "io_state": row.get("Slave_IO_State") or "",
        "primary_log_file": row.get("Master_Log_File") or "",
        "read_primary_log_pos": number(row.get("Read_Master_Log_Pos")),
        "exec_primary_log_pos": number(row.get("Exec_Master_Log_Pos")),
        "seconds_behind_primary": number(row.get("Seconds_Behind_Master")),
        "ssl": row.get("Master_SSL_Allowed") == "Yes",
        "ssl_ca": row.get("Master_SSL_CA_File") or "",
        "ssl_cert": row.get("Master_SSL_Cert") or "",
        "ssl_key": row.get("Master_SSL_Key") or "",
        "ssl_verify_server_cert": row.get("Master_SSL_Verify_Server_Cert") == "Yes",
        "last_io_errno": number(row.get("Last_IO_Errno")) or 0,
        "last_io_error": row.get("Last_IO_Error") or "",
        "last_sql_errno": number(row.get("Last_SQL_Errno")) or 0,
        "last_sql_error": row.get("Last_SQL_Error") or "",
    }


def is_healthy(status: dict[str, t.Any]) -> bool:
    """Both threads run, the IO thread is connected (Yes, not Connecting) and neither reports an error."""
    return bool(status) and status["io_running"] == "Yes" and status["sql_running"] == "Yes" \
        and not status["last_io_errno"] and not status["last_sql_errno"]


# ---------------------------------------------------------------------------------------------------------
# GTIDs

class GtidError(ValueError):
    """A GTID list that does not parse; the message names the bad part."""


_GTID = re.compile(r"^(\d+)-(\d+)-(\d+)$")


def parse_gtids(text: str | None) -> list[tuple[int, int, int]]:
    """'1-1-5, 2-2-9' -> [(1, 1, 5), (2, 2, 9)]; GtidError names the first part that is not a GTID."""
    gtids = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        match = _GTID.match(part)
        if not match:
            raise GtidError("%r is not a GTID: expected domain-server_id-sequence, three numbers joined by '-', "
                            "for example 1-2-1034" % part)
        domain, server_id, sequence = (int(number) for number in match.groups())
        if domain > 0xFFFFFFFF or server_id > 0xFFFFFFFF or sequence > 0xFFFFFFFFFFFFFFFF:
            raise GtidError("%r is out of range: domain and server_id are 32-bit, the sequence 64-bit" % part)
        gtids.append((domain, server_id, sequence))
    return gtids


def parse_gtid_position(position: str | None) -> dict[int, str]:
    """'0-1-5,1-2-9' -> {0: '0-1-5', 1: '1-2-9'}: one GTID per replication domain."""
    result: dict[int, str] = {}
    for domain, server_id, sequence in parse_gtids(position):
        if domain in result:
            raise GtidError("domain %d appears twice (%s and %d-%d-%d): a position holds one GTID per domain"
                            % (domain, result[domain], domain, server_id, sequence))
        result[domain] = "%d-%d-%d" % (domain, server_id, sequence)
    return result


def merge_gtid_positions(current: str, update: str) -> str:
    """current with the domains of update replaced: other channels' domains keep their position."""
    merged = parse_gtid_position(current)
    merged.update(parse_gtid_position(update))
    return ",".join(merged[domain] for domain in sorted(merged))


class GtidHistory:
    """What a server's binary log holds: the last GTID per domain and per (domain, server_id)."""

    def __init__(self, position: str = "", state: str = "") -> None:
        self.position: dict[int, tuple[int, int]] = {}
        for domain, server_id, sequence in parse_gtids(position):
            self.position[domain] = (server_id, sequence)
        self.state: dict[tuple[int, int], int] = {}
        for domain, server_id, sequence in parse_gtids(state or position):
            self.state[(domain, server_id)] = max(sequence, self.state.get((domain, server_id), 0))
        for domain, (server_id, sequence) in self.position.items():
            self.state[(domain, server_id)] = max(sequence, self.state.get((domain, server_id), 0))

    @classmethod
    def read(cls, server: Server) -> "GtidHistory":
        return cls.from_variables(
            server.global_variables(("log_bin", "gtid_binlog_pos", "gtid_binlog_state", "gtid_slave_pos")))

    @classmethod
    def from_variables(cls, variables: dict[str, t.Any]) -> "GtidHistory":
        """From the binary log's GTIDs; from gtid_slave_pos on a replica without a binary log."""
        if variables["log_bin"] == "ON":
            return cls(variables["gtid_binlog_pos"] or "", variables["gtid_binlog_state"] or "")
        return cls(variables["gtid_slave_pos"] or "")

    def last(self, domain: int) -> str:
        if domain not in self.position:
            return "none"
        server_id, sequence = self.position[domain]
        return "%d-%d-%d" % (domain, server_id, sequence)

    def contains(self, domain: int, gtid: tuple[int, int] | None) -> bool:
        """Whether this history holds the GTID (domain, server_id, seq): its last GTID of that origin is as far."""
        if gtid is None:
            return True
        server_id, sequence = gtid
        return self.state.get((domain, server_id), -1) >= sequence

    def empty(self) -> bool:
        return not self.position

    def text(self) -> str:
        return ",".join(self.last(domain) for domain in sorted(self.position))


def compare_histories(
    local: GtidHistory,
    peer: GtidHistory,
    local_name: str,
    peer_name: str,
    local_domains: t.Collection[int],
    peer_domains: t.Collection[int] | None,
) -> list[str]:
    """What one server holds that the other never saw and never will receive, one sentence each.

    local_domains / peer_domains are the domains each server writes in (its gtid_domain_id); peer_domains None
    means the peer is the only writer (replica topology): this server must not be ahead anywhere. A server may
    be ahead of the other in its own domain (the other lags); in another server's domain it must not be.
    """
    problems = []
    for domain in sorted(set(local.position) | set(peer.position)):
        mine, theirs = local.position.get(domain), peer.position.get(domain)
        if mine == theirs:
            continue
        local_has_theirs = local.contains(domain, theirs)
        peer_has_mine = peer.contains(domain, mine)
        if local_has_theirs and peer_has_mine:
            continue
        if local_has_theirs:  # this server is ahead in the domain
            if domain in local_domains or (peer_domains is not None and domain not in peer_domains):
                continue
            owner = ("%s's own domain %d" % (peer_name, domain)) if peer_domains is None or domain in peer_domains \
                else "domain %d" % domain
            problems.append(
                "%s has transactions in %s up to %s that %s never saw (its last there is %s): %s lost part of its "
                "history there (a binary log reset, or a restore from an older backup), or %s wrote in a domain "
                "that is not its own" % (local_name, owner, local.last(domain), peer_name, peer.last(domain),
                                         peer_name, local_name))
        elif peer_has_mine:  # the peer is ahead
            if peer_domains is None or domain in peer_domains or domain not in local_domains:
                continue
            problems.append(
                "%s has transactions in %s's own domain %d up to %s that %s never saw (its last there is %s): "
                "%s lost part of its own history (a binary log reset, or a restore from an older backup) and "
                "will write again under GTIDs %s already holds"
                % (peer_name, local_name, domain, peer.last(domain), local_name, local.last(domain), local_name,
                   peer_name))
        else:
            problems.append(
                "the GTID histories of %s and %s split in domain %d: %s ends at %s, which %s does not hold, and %s "
                "ends at %s, which %s does not hold"
                % (local_name, peer_name, domain, local_name, local.last(domain), peer_name, peer_name,
                   peer.last(domain), local_name))
    return problems


def related(local: GtidHistory, peer: GtidHistory) -> bool:
    """Whether the two servers exchanged transactions: in some domain one holds the other's last GTID."""
    for domain in set(local.position) & set(peer.position):
        if local.contains(domain, peer.position[domain]) or peer.contains(domain, local.position[domain]):
            return True
    return False


def start_position(local: GtidHistory, peer: GtidHistory) -> str:
    """Where a new channel from peer starts so that nothing the peer has is skipped.

    Per domain of the peer: its last GTID when this server already holds it, else this server's last GTID in
    the domain (the peer sends the rest), else nothing (the peer sends the domain from its first binary log).
    """
    start = []
    for domain in sorted(peer.position):
        if local.contains(domain, peer.position[domain]):
            start.append(peer.last(domain))
        elif domain in local.position and peer.contains(domain, local.position[domain]):
            start.append(local.last(domain))
    return ",".join(start)


# ---------------------------------------------------------------------------------------------------------
# Data

def sees_every_table(server: Server) -> bool:
    """Whether the login user holds a global SELECT, so information_schema shows every table."""
    rows = server.query(
        "SELECT COUNT(*) AS n FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'SELECT' AND GRANTEE = "
        "CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')")
    return bool(rows and int(rows[0]["n"]))


def user_tables(server: Server) -> dict[str, dict[str, t.Any]]:
    """Tables and views outside the system schemas: 'db.table' -> type, engine, estimated rows."""
    rows = server.query(
        "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, TABLE_ROWS AS est "
        "FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN (%s)" % ", ".join(["%s"] * len(SYSTEM_SCHEMAS)),
        list(SYSTEM_SCHEMAS))
    return {"%s.%s" % (row["db"], row["name"]): row for row in rows}


def user_databases(server: Server) -> list[str]:
    rows = server.query("SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (%s)"
                        % ", ".join(["%s"] * len(SYSTEM_SCHEMAS)), list(SYSTEM_SCHEMAS))
    return sorted(row["name"] for row in rows)


def quote_identifier(name: str) -> str:
    return "`%s`" % name.replace("`", "``")


def quote_table(qualified: str, tables: dict[str, dict[str, t.Any]]) -> str:
    row = tables[qualified]
    return "%s.%s" % (quote_identifier(row["db"]), quote_identifier(row["name"]))


def table_checksums(server: Server, tables: dict[str, dict[str, t.Any]]) -> dict[str, t.Any]:
    """CHECKSUM TABLE of every base table (views have none): 'db.table' -> checksum."""
    names = sorted(name for name, row in tables.items() if row["type"] != "VIEW")
    sums: dict[str, t.Any] = {}
    for start in range(0, len(names), 50):
        chunk = names[start:start + 50]
        rows = server.query("CHECKSUM TABLE " + ", ".join(quote_table(name, tables) for name in chunk))
        for name, row in zip(chunk, rows):
            sums[name] = row["Checksum"]
    return sums


def row_count(server: Server, qualified: str, tables: dict[str, dict[str, t.Any]]) -> int:
    return int(server.query("SELECT COUNT(*) AS n FROM " + quote_table(qualified, tables))[0]["n"])


def describe_tables(names: t.Iterable[str], limit: int = 5) -> str:
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def data_differences(
    local: Server, peer: Server, local_name: str, peer_name: str,
    local_tables: dict[str, dict[str, t.Any]], peer_tables: dict[str, dict[str, t.Any]],
) -> list[str]:
    """What differs between the user tables of two servers, one sentence each (empty when identical)."""
    differences = []
    only_local = set(local_tables) - set(peer_tables)
    only_peer = set(peer_tables) - set(local_tables)
    if only_local:
        differences.append("only %s has %s" % (local_name, describe_tables(only_local)))
    if only_peer:
        differences.append("only %s has %s" % (peer_name, describe_tables(only_peer)))
    common = {name: local_tables[name] for name in set(local_tables) & set(peer_tables)}
    local_sums = table_checksums(local, common)
    peer_sums = table_checksums(peer, {name: peer_tables[name] for name in common})
    changed = sorted(name for name in local_sums if local_sums[name] != peer_sums.get(name))
    for name in changed[:5]:
        differences.append("%s differs (%d rows on %s, %d on %s)" % (
            name, row_count(local, name, local_tables), local_name, row_count(peer, name, peer_tables), peer_name))
    if len(changed) > 5:
        differences.append("%d more tables differ" % (len(changed) - 5))
    return differences


# ---------------------------------------------------------------------------------------------------------
# The password a channel stores (master.info), to tell whether a rotation reached it

def _info_file_name(connection_name: str) -> str:
    if not connection_name:
        return "master.info"
    encoded = "".join(char if (char.isascii() and char.isalnum()) or char == "_" else "@%04x" % ord(char)
                      for char in connection_name.lower())
    return "master-%s.info" % encoded


def stored_channel_password(server: Server, connection_name: str) -> str | None:
    """The password a channel connects with, read from its master.info in the data directory; None when the file
    cannot be read here (the module runs on another host, or the server uses another master_info_file)."""
    try:
        datadir = server.global_variables(("datadir",))["datadir"] or ""
        with open(os.path.join(datadir, _info_file_name(connection_name)), "rb") as handle:
            lines = handle.read().decode("utf-8", "surrogateescape").split("\n")
    except (OSError, MariaDBError):
        return None
    # Line 1 is the number of lines; then log file, position, host, user, password.
    if len(lines) < 6 or not lines[0].strip().isdigit():
        return None
    return lines[5]


# ---------------------------------------------------------------------------------------------------------
# Errors and what to do about them

ERROR_ADVICE = {
    1045: "the credentials were refused: check the user and password (for a channel: primary_user and "
          "primary_password, and that the user is granted REPLICATION SLAVE for this server's address on the "
          "primary), and whether the user requires TLS (REQUIRE SSL) while the connection has none",
    1227: "the login user lacks a privilege for this statement: grant it (SLAVE MONITOR or SUPER reads replica "
          "status, REPLICATION SLAVE ADMIN changes channels) or log in as root through the unix socket",
    1593: "primary and replica have the same server_id (or server_uuid): give every server its own server_id",
    1236: "the primary cannot send the events this replica asks for: its binary logs were purged, the primary "
          "was rebuilt or restored (its GTIDs no longer match), or the histories diverged; re-seed this server "
          "from the primary (" + RESEED_ADVICE + ")",
    1950: "gtid_strict_mode refused a GTID out of order: the two servers' histories diverged; " + RESEED_ADVICE,
    2002: "cannot reach the server through that socket: is mariadbd running, and is login_unix_socket right?",
    2003: "cannot reach the server: check that mariadbd runs there, the host and port, its bind-address, and the "
          "firewall between the two hosts",
    2005: "the host name does not resolve: check it and DNS or /etc/hosts",
    2013: "the connection was lost during the handshake: check the network, max_connections and the TLS settings "
          "of both sides",
    2026: "the TLS connection failed: check the CA file, that the server's certificate carries the host name or "
          "address used to reach it, and that the server has TLS configured (ssl_cert, ssl_key)",
    1032: "a row the primary changed does not exist here: the data diverged (this server was not seeded with the "
          "primary's rows, or was written with sql_log_bin=0); " + RESEED_ADVICE,
    1062: "a row replicated from the primary already exists here (duplicate key): the data diverged; with two "
          "writers give each its own auto_increment_offset and create shared objects on one side only; "
          + RESEED_ADVICE,
    1007: "a database replicated from the primary already exists here: create shared objects on one side only "
          "or with sql_log_bin=0",
    1050: "a table replicated from the primary already exists here: create shared objects on one side only "
          "or with sql_log_bin=0",
    1146: "a table the primary changed does not exist here: the data diverged; " + RESEED_ADVICE,
}

# Errors the IO thread keeps retrying that will not go away by waiting.
FATAL_IO_ERRORS = frozenset((1045, 1236, 1593, 2005, 2026))


def advice_for(errno: int) -> str:
    return ERROR_ADVICE.get(errno, "see the MariaDB error text")
