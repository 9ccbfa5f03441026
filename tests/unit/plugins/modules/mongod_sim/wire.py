"""The wire protocol end of a simulated mongod: one TCP listener per member, one thread per connection.

Messages are parsed and replies encoded with MockupDB's codec (OP_MSG and the OP_QUERY a driver's first
handshake uses). MockupDB's own server loop is not used: it binds "localhost" only, serialises every
connection of a server behind one lock and cannot stream replies, and a member here needs its own
loopback address, connections that block in an awaitable hello while others go on, and exhaust replies.

Awaitable hello (the driver's streaming monitor, mongod >= 4.4): a hello carrying ``topologyVersion``
and ``maxAwaitTimeMS`` waits until the member's topology version changes or the time is up; with the
``exhaustAllowed`` flag the reply carries ``moreToCome`` and the member keeps answering on each change
without further requests, as mongod does.
"""

from __future__ import annotations

import errno
import itertools
import socket
import threading

from mockupdb import OP_MSG_FLAGS, OpMsg, OpMsgReply, OpReply, mock_server_receive_request

MORE_TO_COME = OP_MSG_FLAGS["moreToCome"]
EXHAUST_ALLOWED = OP_MSG_FLAGS["exhaustAllowed"]
_connection_ids = itertools.count(1)


class Connection:
    """One client connection and the session state mongod keeps for it."""

    def __init__(self, sock: socket.socket, peer: tuple[str, int], listener: Listener) -> None:
        self.sock = sock
        self.peer = peer
        self.listener = listener
        self.id = next(_connection_ids)
        self.user: tuple[str, str] | None = None  # (database, name) once authenticated
        self.conversation = None  # the SASL conversation under way
        self.allow_localhost = True  # AuthzSessionExternalState's _allowLocalhost: once false, for good
        self.client_metadata: dict | None = None

    @property
    def source(self) -> str:
        return self.peer[0]

    def send(self, request, document: dict, more_to_come: bool = False) -> None:
        if isinstance(request, OpMsg):
            reply = OpMsgReply(document, flags=MORE_TO_COME if more_to_come else 0)
        else:
            reply = OpReply(document)
        self.sock.sendall(reply.reply_bytes(request))


class Listener:
    """Accepts connections on one address and hands each request to ``handler(connection, request)``.

    The handler returns the reply document, or a generator of reply documents for exhaust streams.
    """

    def __init__(self, address: str, port: int, handler) -> None:
        self.address = address
        self.port = port
        self.handler = handler
        self._sock: socket.socket | None = None
        self._connections: set[Connection] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.streamed_replies = 0  # replies sent with moreToCome (exhaust)

    def start(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.address, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(64)
        sock.settimeout(1.0)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._stopped.clear()
        thread = threading.Thread(target=self._accept, name="mongod-sim-accept-%s" % self.address, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self.port

    def stop(self) -> None:
        """Close the listening socket and every connection, like a mongod going down."""
        self._stopped.set()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.sock.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._threads = []

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            connection = Connection(sock, peer, self)
            with self._lock:
                self._connections.add(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True,
                                      name="mongod-sim-conn-%d" % connection.id)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: Connection) -> None:
        try:
            while not self._stopped.is_set():
                try:
                    request = mock_server_receive_request(connection.sock, None)
                except (OSError, ValueError):
                    return
                reply = self.handler(connection, request)
                if isinstance(reply, dict):
                    connection.send(request, reply)
                    continue
                exhaust = isinstance(request, OpMsg) and bool(request.flags & EXHAUST_ALLOWED)
                for document in reply:  # an awaitable hello: one reply, or a stream with exhaust
                    connection.send(request, document, more_to_come=exhaust)
                    if not exhaust:
                        break
                    self.streamed_replies += 1
        except OSError as error:
            if error.errno not in (errno.EPIPE, errno.ECONNRESET, errno.EBADF, errno.ENOTCONN, None):
                raise
        finally:
            with self._lock:
                self._connections.discard(connection)
            connection.sock.close()
