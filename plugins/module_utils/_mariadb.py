# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections, replica status and error advice shared by the MariaDB modules of scalable.webstack."""

from __future__ import annotations

import traceback
import typing as t

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


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """Options that say how a module reaches the server it runs against."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=3306),
        login_user=dict(type="str", default="root"),
        login_password=dict(type="str", no_log=True),
        login_unix_socket=dict(type="path", default="/run/mysqld/mysqld.sock"),
        connect_timeout=dict(type="int", default=10),
    )


def require_pymysql(module) -> None:
    if pymysql is None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_IMPORT_ERROR)


class Secret(str):
    """A statement parameter that is sent to the server but never shown."""


class Server:
    """One MariaDB server, queried with driver parameters only."""

    def __init__(self, connection) -> None:
        self.connection = connection

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        user: str,
        password: str | None,
        unix_socket: str | None = None,
        connect_timeout: int = 10,
        ssl: dict[str, t.Any] | None = None,
    ) -> "Server":
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
        if ssl:
            kwargs["ssl"] = ssl
        return cls(pymysql.connect(**kwargs))

    def query(self, sql: str, params: t.Sequence[t.Any] | None = None) -> list[dict[str, t.Any]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def execute(self, sql: str, params: t.Sequence[t.Any] | None = None) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)

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
        "ssl_verify_server_cert": row.get("Master_SSL_Verify_Server_Cert") == "Yes",
        "last_io_errno": number(row.get("Last_IO_Errno")) or 0,
        "last_io_error": row.get("Last_IO_Error") or "",
        "last_sql_errno": number(row.get("Last_SQL_Errno")) or 0,
        "last_sql_error": row.get("Last_SQL_Error") or "",
    }


def parse_gtid_position(position: str) -> dict[int, str]:
    """'0-1-5,1-2-9' -> {0: '0-1-5', 1: '1-2-9'}: one GTID per replication domain."""
    result: dict[int, str] = {}
    for gtid in (position or "").split(","):
        gtid = gtid.strip()
        if gtid:
            domain, server_id, sequence = gtid.split("-")
            result[int(domain)] = "%d-%d-%d" % (int(domain), int(server_id), int(sequence))
    return result


def merge_gtid_positions(current: str, update: str) -> str:
    """current with the domains of update replaced: other channels' domains keep their position."""
    merged = parse_gtid_position(current)
    merged.update(parse_gtid_position(update))
    return ",".join(merged[domain] for domain in sorted(merged))


# Replica errors (Last_IO_Errno / Last_SQL_Errno) and what to do about them.
ERROR_ADVICE = {
    1045: "the primary refused the replication user's credentials: check primary_user/primary_password "
          "and that the user is granted REPLICATION SLAVE for this server's address on the primary",
    1593: "primary and replica have the same server_id (or server_uuid): give every server its own server_id",
    1236: "the primary cannot send the events this replica asks for: its binary logs were purged or the GTID "
          "histories diverged; re-seed the replica, or give an explicit gtid_position / log file and position",
    2003: "cannot reach the primary: check primary_host/primary_port, the primary's bind-address, "
          "and the firewall between the two hosts",
    2005: "the primary's host name does not resolve: check primary_host and DNS or /etc/hosts",
    2013: "the connection to the primary was lost during the handshake: check the network and the primary's "
          "max_connections and SSL settings",
    2026: "the SSL connection to the primary failed: check primary_ssl, primary_ssl_ca and the primary's "
          "certificate",
    1062: "a row replicated from the primary already exists here (duplicate key): the data diverged; with two "
          "writers give each its own auto_increment_offset and create shared objects on one side only",
    1007: "a database replicated from the primary already exists here: create shared objects on one side only "
          "or with sql_log_bin=0",
    1050: "a table replicated from the primary already exists here: create shared objects on one side only "
          "or with sql_log_bin=0",
}

# Errors the IO thread keeps retrying that will not go away by waiting.
FATAL_IO_ERRORS = frozenset((1045, 1236, 1593, 2005, 2026))


def advice_for(errno: int) -> str:
    return ERROR_ADVICE.get(errno, "see the MariaDB error text")
