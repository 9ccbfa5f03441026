"""The server side of SCRAM-SHA-1 and SCRAM-SHA-256 as mongod runs it (RFC 5802, RFC 7677).

Credentials are stored as mongod stores them in admin.system.users: per mechanism an iteration count,
a salt, a StoredKey and a ServerKey (base64). SCRAM-SHA-256 salts the SASLprep'ed password (RFC 4013);
SCRAM-SHA-1 salts MongoDB's legacy digest, the hex MD5 of "<user>:mongo:<password>". mongod's defaults:
15000 iterations and a 28-byte salt for SHA-256, 10000 iterations and a 16-byte salt for SHA-1.

A conversation is saslStart (client-first message) -> server-first message, then saslContinue (client-final
message with the proof) -> server-final message with the server signature. With the client's
``skipEmptyExchange`` option the conversation is done there; without it one more empty exchange follows.
Every failure is mongod's error 18 "Authentication failed.", whether the user is unknown, the proof wrong
or the message malformed, so a client learns nothing about which.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stringprep
import unicodedata

MECHANISMS = {
    "SCRAM-SHA-1": {"digest": hashlib.sha1, "iterations": 10000, "salt_bytes": 16},
    "SCRAM-SHA-256": {"digest": hashlib.sha256, "iterations": 15000, "salt_bytes": 28},
}


class AuthenticationFailed(Exception):
    """mongod's error 18."""

    code = 18
    message = "Authentication failed."


def saslprep(text: str) -> str:
    """RFC 4013 SASLprep of a stored string (what mongod does to a SCRAM-SHA-256 password)."""
    mapped = []
    for char in text:
        if stringprep.in_table_c12(char):  # non-ASCII space characters map to SPACE
            mapped.append(" ")
        elif not stringprep.in_table_b1(char):  # "commonly mapped to nothing" are dropped
            mapped.append(char)
    normalized = unicodedata.ucd_3_2_0.normalize("NFKC", "".join(mapped))
    prohibited = (stringprep.in_table_a1, stringprep.in_table_c12, stringprep.in_table_c21_c22,
                  stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5, stringprep.in_table_c6,
                  stringprep.in_table_c7, stringprep.in_table_c8, stringprep.in_table_c9)
    for char in normalized:
        if any(check(char) for check in prohibited):
            raise ValueError("SASLprep: prohibited character %r" % char)
    if any(stringprep.in_table_d1(char) for char in normalized):
        if any(stringprep.in_table_d2(char) for char in normalized):
            raise ValueError("SASLprep: mixed bidirectional text")
        if not (stringprep.in_table_d1(normalized[0]) and stringprep.in_table_d1(normalized[-1])):
            raise ValueError("SASLprep: RandALCat text must start and end with RandALCat characters")
    return normalized


def legacy_digest(user: str, password: str) -> str:
    return hashlib.md5(("%s:mongo:%s" % (user, password)).encode("utf-8")).hexdigest()  # noqa: S324 - mongod's


def _secret(mechanism: str, user: str, password: str) -> bytes:
    if mechanism == "SCRAM-SHA-256":
        return saslprep(password).encode("utf-8")
    return legacy_digest(user, password).encode("utf-8")


def make_credentials(mechanism: str, user: str, password: str, salt: bytes | None = None,
                     iterations: int | None = None) -> dict:
    """The credentials document of one mechanism, as usersInfo with showCredentials shows it."""
    spec = MECHANISMS[mechanism]
    salt = salt if salt is not None else os.urandom(spec["salt_bytes"])
    iterations = iterations or spec["iterations"]
    digest = spec["digest"]
    salted = hashlib.pbkdf2_hmac(digest().name, _secret(mechanism, user, password), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    server_key = hmac.new(salted, b"Server Key", digest).digest()
    return {
        "iterationCount": iterations,
        "salt": base64.b64encode(salt).decode(),
        "storedKey": base64.b64encode(digest(client_key).digest()).decode(),
        "serverKey": base64.b64encode(server_key).decode(),
    }


def _parse(message: bytes) -> dict[str, bytes]:
    fields = {}
    for part in message.split(b","):
        if len(part) < 2 or part[1:2] != b"=":
            raise AuthenticationFailed()
        fields[part[:1].decode()] = part[2:]
    return fields


def _unescape_user(name: bytes) -> str:
    if b"=" in name.replace(b"=2C", b"").replace(b"=3D", b""):
        raise AuthenticationFailed()
    return name.replace(b"=2C", b",").replace(b"=3D", b"=").decode("utf-8")


class ScramConversation:
    """One saslStart/saslContinue conversation on one connection."""

    def __init__(self, mechanism: str, database: str, lookup, skip_empty_exchange: bool) -> None:
        if mechanism not in MECHANISMS:
            raise AuthenticationFailed()
        self.mechanism = mechanism
        self.database = database
        self.lookup = lookup  # (database, user) -> the user's credentials document, or None
        self.skip_empty_exchange = skip_empty_exchange
        self.user: str | None = None
        self.step = 0
        self.done = False
        self._credentials: dict | None = None
        self._client_first_bare = b""
        self._server_first = b""
        self._nonce = b""

    def start(self, payload: bytes) -> bytes:
        """client-first message -> server-first message."""
        if not payload.startswith(b"n,"):  # no channel binding ("y," / "p=") in this simulation
            raise AuthenticationFailed()
        header_end = payload.find(b",", 2)
        if header_end < 0:
            raise AuthenticationFailed()
        self._client_first_bare = payload[header_end + 1:]
        fields = _parse(self._client_first_bare)
        if "n" not in fields or "r" not in fields:
            raise AuthenticationFailed()
        self.user = _unescape_user(fields["n"])
        credentials = self.lookup(self.database, self.user)
        if not credentials or self.mechanism not in credentials:
            raise AuthenticationFailed()
        self._credentials = credentials[self.mechanism]
        self._nonce = fields["r"] + base64.b64encode(os.urandom(24))
        self._server_first = b"r=%s,s=%s,i=%d" % (
            self._nonce, self._credentials["salt"].encode(), self._credentials["iterationCount"])
        self.step = 1
        return self._server_first

    def next(self, payload: bytes) -> bytes:
        """client-final message -> server-final message; then the empty exchange when asked for."""
        if self.step == 1:
            return self._verify(payload)
        if self.step == 2 and not payload:
            self.done = True
            return b""
        raise AuthenticationFailed()

    def _verify(self, payload: bytes) -> bytes:
        without_proof, separator, proof_field = payload.rpartition(b",p=")
        if not separator:
            raise AuthenticationFailed()
        fields = _parse(without_proof)
        if fields.get("c") != b"biws" or fields.get("r") != self._nonce:  # biws = base64("n,,")
            raise AuthenticationFailed()
        digest = MECHANISMS[self.mechanism]["digest"]
        auth_message = b",".join((self._client_first_bare, self._server_first, without_proof))
        stored_key = base64.b64decode(self._credentials["storedKey"])
        client_signature = hmac.new(stored_key, auth_message, digest).digest()
        try:
            proof = base64.b64decode(proof_field, validate=True)
        except ValueError:
            raise AuthenticationFailed() from None
        if len(proof) != len(client_signature):
            raise AuthenticationFailed()
        client_key = bytes(a ^ b for a, b in zip(proof, client_signature))
        if not hmac.compare_digest(digest(client_key).digest(), stored_key):
            raise AuthenticationFailed()
        server_key = base64.b64decode(self._credentials["serverKey"])
        server_signature = hmac.new(server_key, auth_message, digest).digest()
        self.step = 2
        self.done = self.skip_empty_exchange
        return b"v=" + base64.b64encode(server_signature)
