"""Replication lag of the MariaDB pair under a sustained write load, run on an app server.

Writer threads insert through haproxy (127.0.0.1:3306, spread over both masters) for the duration;
meanwhile a probe writes a token on one master, straight to it, and times how long until the other
master has it, in both directions. Usage: python replication_lag.py SECONDS WRITERS DB1 DB2
(password in BENCH_PASSWORD)."""

import os
import statistics
import sys
import threading
import time
import uuid

import pymysql

PROBE_TIMEOUT = 60


def connect(host, port=3306):
    return pymysql.connect(host=host, port=port, user=os.environ.get("BENCH_USER", "shop"),
                           password=os.environ["BENCH_PASSWORD"], database=os.environ.get("BENCH_DATABASE", "shop"),
                           autocommit=True, connect_timeout=5)


def writer(deadline, counts, index):
    connection = connect("127.0.0.1")
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("INSERT INTO bench_writes (payload) VALUES (%s)", (uuid.uuid4().hex,))
            counts[index] += 1
    connection.close()


def probe(deadline, masters, lags):
    connections = [connect(host) for host in masters]
    direction = 0
    while time.monotonic() < deadline:
        source, target = connections[direction], connections[1 - direction]
        token = uuid.uuid4().hex
        with source.cursor() as cursor:
            cursor.execute("INSERT INTO bench_probe (token) VALUES (%s)", (token,))
        written = time.monotonic()
        with target.cursor() as cursor:
            while not cursor.execute("SELECT 1 FROM bench_probe WHERE token = %s", (token,)):
                if time.monotonic() - written > PROBE_TIMEOUT:
                    raise SystemExit(f"replication stopped: a row written on {masters[direction]} did not reach "
                                     f"{masters[1 - direction]} within {PROBE_TIMEOUT} s (SHOW ALL SLAVES STATUS)")
                time.sleep(0.0005)
        lags[direction].append((time.monotonic() - written) * 1000)
        direction = 1 - direction
        time.sleep(0.1)


def summary(values):
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"n={len(values):4d}  p50 {statistics.median(values):7.1f} ms  p99 {p99:7.1f} ms  max {values[-1]:7.1f} ms"


def main(seconds, writers, db1, db2):
    seconds, writers = float(seconds), int(writers)
    setup = connect(db1)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_writes (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                       " payload CHAR(32) NOT NULL)")
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_probe (token CHAR(32) PRIMARY KEY)")
    time.sleep(1)  # the tables replicate to the other master
    deadline = time.monotonic() + seconds
    counts, lags = [0] * writers, [[], []]
    threads = [threading.Thread(target=writer, args=(deadline, counts, index)) for index in range(writers)]
    threads.append(threading.Thread(target=probe, args=(deadline, [db1, db2], lags)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"writes through haproxy: {sum(counts) / seconds:8.0f} rows/s ({writers} writers, {seconds:.0f} s)")
    print(f"lag {db1} -> {db2}: {summary(lags[0])}")
    print(f"lag {db2} -> {db1}: {summary(lags[1])}")
    wait_for_each_other(db1, db2)
    with setup.cursor() as cursor:  # only once neither master has writes of the other left to apply
        cursor.execute("DROP TABLE bench_writes")
        cursor.execute("DROP TABLE bench_probe")


def wait_for_each_other(db1, db2):
    """Until each master has applied everything the other wrote: MASTER_GTID_WAIT for the last GTID of
    the other master's own domain (each master of the pair writes in its own gtid_domain_id)."""
    for source, target in ((db1, db2), (db2, db1)):
        with connect(source).cursor() as cursor:
            cursor.execute("SELECT @@gtid_domain_id, @@gtid_binlog_pos")
            domain, binlog_position = cursor.fetchone()
        position = ",".join(gtid for gtid in binlog_position.split(",") if gtid.startswith(f"{domain}-"))
        if not position:
            continue
        with connect(target).cursor() as cursor:
            cursor.execute("SELECT MASTER_GTID_WAIT(%s, %s)", (position, PROBE_TIMEOUT))
            if cursor.fetchone()[0] != 0:
                raise SystemExit(f"{target} did not catch up with {source} within {PROBE_TIMEOUT} s")


if __name__ == "__main__":
    main(*sys.argv[1:5])
