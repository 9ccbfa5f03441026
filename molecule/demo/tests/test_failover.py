"""Failures during traffic: a backend stopped under a stream of reads, a master under a stream of writes."""

import time

from conftest import (BACKEND1, BACKEND2, DB1, DB2, haproxy_servers, other_host, product_names, request, table_digest,
                      uncached_get, unique)
from request_stream import RequestStream, wait_until

testinfra_hosts = ["ansible://demo-lb1"]


def test_stopping_backend1_during_a_stream_of_requests_loses_none(host):
    backend1 = other_host(host, BACKEND1)
    try:
        with RequestStream(uncached_get) as stream:
            stream.wait_for(40)
            assert {answer.headers["backend"] for answer in stream.answers} == {BACKEND1, BACKEND2}
            assert backend1.run("systemctl stop uwsgi-emperor").rc == 0
            stopped = time.time()
            wait_until(lambda: haproxy_servers()[("shop", BACKEND1)].startswith("DOWN"), 120,
                       "haproxy marking backend1 DOWN")
            stream.wait_for(60)
        assert stream.failures == []
        # Sent once uWSGI had stopped: whether haproxy had marked backend1 DOWN yet or redispatched the
        # request after a refused connection, backend2 answered.
        after_stop = [answer.headers["backend"] for answer in stream.answers if answer.sent > stopped]
        assert len(after_stop) >= 60 and set(after_stop) == {BACKEND2}
    finally:
        backend1.run("systemctl start uwsgi-emperor")
    wait_until(lambda: haproxy_servers()[("shop", BACKEND1)] == "UP", 120, "haproxy marking backend1 UP")
    wait_until(lambda: uncached_get().headers.get("backend") == BACKEND1, 90, "backend1 back in the pool")


def test_stopping_db1_during_a_stream_of_writes_loses_none(host):
    db1, db2 = other_host(host, DB1), other_host(host, DB2)
    names = []

    def write():
        name = unique("write")
        answer = request("POST", "/products/", document={"name": name, "price": 1})
        if answer.status == 201:
            names.append(name)
        return answer

    try:
        with RequestStream(write, pause=0.05) as stream:
            stream.wait_for(30)
            assert db1.run("systemctl stop mariadb").rc == 0
            stream.wait_for(60)
            assert db1.run("systemctl start mariadb").rc == 0
            stream.wait_for(30)
        assert stream.failures == []
        assert len(names) == len(stream.answers)
    finally:
        db1.run("systemctl start mariadb")
    for db in (db1, db2):
        wait_until(lambda db=db: set(names) <= product_names(db), 120, f"every write on {db.backend.host}")
    wait_until(lambda: table_digest(db1) == table_digest(db2), 60, "both masters holding the same rows")
