"""Connection strings, the Authenticator and the ServerSession through the
binding: in process, over a socket with the C handshake driver, and with
pymongo logging in to a server built on the binding."""

import socket
import threading

import pytest

import mongoauth
from mongoauth import exceptions as ex
from mongoauth.connection import Authenticator, ConnectionString, ServerSession, encode_uri

URI = (
    "mongodb://alice:p%40ss@db1.example.com:27017,db2.example.com/shop"
    "?authMechanism=SCRAM-SHA-256&tls=true&connectTimeoutMS=500&foo=bar"
)
USERS = [("admin", "alice", "pencil")]


def test_connection_string():
    cs = ConnectionString(URI)
    assert cs.hosts == [("db1.example.com", 27017), ("db2.example.com", 27017)]
    assert cs.database == "shop"
    assert cs.tls and not cs.is_srv
    assert cs.option("TLS") == "true"
    assert cs.option_bool("tls") is True
    assert cs.option_int("connectTimeoutMS") == 500
    assert cs.option("replicaSet") is None
    assert cs.options["authMechanism"] == "SCRAM-SHA-256"
    assert len(cs.warnings) == 1 and "foo" in cs.warnings[0]
    cred = cs.credential
    assert (cred.mechanism, cred.username, cred.password, cred.source) == ("SCRAM-SHA-256", "alice", "p@ss", "shop")
    assert "p@ss" not in repr(cred)
    with pytest.raises(ex.InvalidArgument):
        cs.option("nosuch")
    with pytest.raises(ex.InvalidArgument):
        cs.option_bool("connectTimeoutMS")


def test_connection_string_errors_and_srv():
    with pytest.raises(ex.UriSyntax) as e:
        ConnectionString("mongodb://alice:p@ss@host")
    assert e.value.offset == 17 and "%40" in e.value.message
    assert isinstance(e.value, ValueError)
    with pytest.raises(ex.UriOption):
        ConnectionString("mongodb://host/?authMechanism=FOO")
    with pytest.raises(ex.UriCredential):
        ConnectionString("mongodb://alice@host").credential
    assert ConnectionString("mongodb://host").credential is None
    srv = ConnectionString("mongodb+srv://cluster0.example.com/?authMechanism=MONGODB-X509")
    assert srv.is_srv and srv.tls
    assert srv.srv_query_name == "_mongodb._tcp.cluster0.example.com"
    assert srv.credential.mechanism == "MONGODB-X509" and srv.credential.source == "$external"


def test_encode_round_trips():
    uri = encode_uri([("db1", 27017), "::1"], "al@ice", "p:ss/w%rd", "shop", {"authSource": "admin"})
    cs = ConnectionString(uri)
    assert cs.credential.username == "al@ice" and cs.credential.password == "p:ss/w%rd"
    assert cs.hosts == [("db1", 27017), ("::1", 27017)]
    with pytest.raises(ex.UriEncode):
        encode_uri([])


def test_authenticator_in_process():
    server = ServerSession(USERS)
    auth = Authenticator("alice", "pencil", "admin")
    done = False
    while not done:
        done = auth.handle_reply(server.handle(auth.command()))
    assert auth.authenticated and server.authenticated
    assert auth.mechanism == "SCRAM-SHA-256" and auth.used_speculative
    with pytest.raises(ex.UnexpectedStep):
        auth.command()
    # frames, SCRAM-SHA-1
    server.start(2)
    auth = Authenticator("alice", "pencil", "admin", "SCRAM-SHA-1", speculative=False)
    rid, done = 1, False
    while not done:
        done = auth.handle_reply_frame(server.handle_frame(auth.command_frame(rid)), rid)
        rid += 1
    assert auth.authenticated and auth.mechanism == "SCRAM-SHA-1"


def test_authenticator_next_loop():
    server = ServerSession(USERS)
    auth = Authenticator("alice", "pencil", "admin")
    steps = []
    while (n := auth.next()) != "done":
        assert n == "send"
        steps.append(n)
        with pytest.raises(ex.UnexpectedStep):
            auth.provide_token("x.y.z")
        with pytest.raises(ex.UnexpectedStep):
            auth.provide_time()
        auth.handle_reply(server.handle(auth.command()))
    assert steps and auth.authenticated and server.authenticated
    # MONGODB-AWS starts, asks for nothing before the hello is answered
    aws = Authenticator(None, None, "$external", "MONGODB-AWS")
    assert aws.next() == "send"
    with pytest.raises(ex.UnexpectedStep):
        aws.provide_aws_credentials("AKIDEXAMPLE", "secret")
    oidc = Authenticator("alice@example.com", None, "$external", "MONGODB-OIDC", speculative=False)
    assert oidc.next() == "send"


def test_authenticator_wrong_password_and_bad_replies():
    server = ServerSession(USERS)
    auth = Authenticator("alice", "wrong", "admin")
    with pytest.raises(ex.AuthenticationFailed) as e:
        while not auth.handle_reply(server.handle(auth.command())):
            pass
    assert e.value.server_code == 18
    auth = Authenticator("alice", "pencil", "admin")
    with pytest.raises(ex.BsonMalformed):
        auth.handle_reply(b"\x05\x00\x00")
    auth = Authenticator("alice", "pencil", "admin")
    with pytest.raises(ex.ProtocolViolation):
        server.start(3)
        auth.handle_reply_frame(server.handle_frame(auth.command_frame(1)), 2)
    with pytest.raises(ex.InvalidCredential):
        Authenticator("alice", None, "$external", "PLAIN")
    # GSSAPI needs the server's host (mongoauth_authenticator_set_gss_host)
    with pytest.raises(ex.InvalidCredential):
        Authenticator("alice", "x", "$external", "GSSAPI")


class BindingServer:
    """A TCP server whose every connection is answered by a ServerSession
    of the binding (threads; stops when closed)."""

    def __init__(self, users):
        self.users = users
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.ids = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.ids += 1
            threading.Thread(target=self._serve, args=(conn, self.ids), daemon=True).start()

    def _serve(self, conn, cid):
        with conn:
            ServerSession(self.users, connection_id=cid).serve(conn)

    def close(self):
        self.sock.close()


@pytest.fixture
def binding_server():
    s = BindingServer(USERS)
    yield s
    s.close()


def test_handshake_over_a_socket(binding_server):
    with socket.create_connection(("127.0.0.1", binding_server.port)) as sock:
        auth = Authenticator.from_uri(f"mongodb://alice:pencil@127.0.0.1:{binding_server.port}/?authSource=admin")
        auth.handshake(sock)
        assert auth.authenticated and auth.mechanism == "SCRAM-SHA-256"
    with socket.create_connection(("127.0.0.1", binding_server.port)) as sock:
        auth = Authenticator("alice", "nope", "admin")
        with pytest.raises(ex.AuthenticationFailed) as e:
            auth.handshake(sock)
        assert e.value.server_code == 18
    # the peer closing mid-handshake
    a, b = socket.socketpair()
    b.close()
    with a, pytest.raises((ex.UnexpectedEof, ex.IoError)):
        Authenticator("alice", "pencil", "admin").handshake(a)


def test_pymongo_logs_in_to_the_binding_server(binding_server):
    import pymongo  # a missing pymongo is a failure, not a skip
    from pymongo.errors import OperationFailure

    uri = f"mongodb://alice:pencil@127.0.0.1:{binding_server.port}/?authSource=admin"
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1", None):
        opts = {"authMechanism": mech} if mech else {}
        client = pymongo.MongoClient(uri, directConnection=True, serverSelectionTimeoutMS=5000, **opts)
        try:
            assert client.admin.command("ping")["ok"] == 1
        finally:
            client.close()
    bad = pymongo.MongoClient(
        f"mongodb://alice:wrong@127.0.0.1:{binding_server.port}/?authSource=admin",
        directConnection=True,
        serverSelectionTimeoutMS=5000,
    )
    try:
        with pytest.raises(OperationFailure) as e:
            bad.admin.command("ping")
        assert e.value.code == 18
    finally:
        bad.close()


def test_arbiter_is_not_a_login():
    """An arbiter's hello ends the handshake without a login: its own
    exception (NotAuthenticated), never success (issue #12 item 2)."""
    a = Authenticator("alice", "pencil", "admin")
    a.command()
    # {ismaster: true, arbiterOnly: true, ok: 1.0}
    arbiter = (
        bytes([0x2A, 0, 0, 0])
        + b"\x08ismaster\x00\x01"
        + b"\x08arbiterOnly\x00\x01"
        + b"\x01ok\x00"
        + bytes([0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        + b"\x00"
    )
    with pytest.raises(ex.NotAuthenticated):
        a.handle_reply(arbiter)
    assert not a.authenticated


def test_context_managers_release_and_closed_objects_raise():
    """`with` (or close()) frees the C object; any later use is ObjectFreed
    (an ObjectMisuse), never a crash; close() is idempotent."""
    cache = mongoauth.KeyCache()
    with ServerSession(USERS) as server, Authenticator("alice", "pencil", "admin", key_cache=cache) as auth:
        while not auth.handle_reply(server.handle(auth.command())):
            pass
        assert auth.authenticated and len(cache) == 1
        # the cache cannot go while an open authenticator points to it
        with pytest.raises(ex.Busy):
            cache.close()
    for call in (auth.command, lambda: auth.authenticated, lambda: auth.handle_reply(b""), lambda: server.handle(b"")):
        with pytest.raises(ex.ObjectFreed) as e:
            call()
        assert isinstance(e.value, ex.ObjectMisuse) and "closed" in e.value.message
    auth.close()
    server.close()
    with mongoauth.ConnectionString("mongodb://alice:pencil@host/") as cs:
        assert cs.hosts == [("host", 27017)]
    with pytest.raises(ex.ObjectFreed):
        cs.credential
    with cache:
        assert len(cache) == 1
    with pytest.raises(ex.ObjectFreed):
        len(cache)
    with pytest.raises(ex.ObjectFreed):
        Authenticator("alice", "pencil", "admin", key_cache=cache)


def test_key_cache_skips_pbkdf2_on_the_second_login():
    server = ServerSession(USERS)
    with mongoauth.KeyCache() as cache:
        for _ in range(2):
            server.start()
            with Authenticator("alice", "pencil", "admin", key_cache=cache) as auth:
                while not auth.handle_reply(server.handle(auth.command())):
                    pass
                assert auth.authenticated
        assert len(cache) == 1
    # options other than the defaults take the general path
    server.start()
    with Authenticator("alice", "pencil", "admin", "SCRAM-SHA-1", speculative=False, legacy_hello=False) as auth:
        while not auth.handle_reply(server.handle(auth.command())):
            pass
        assert auth.authenticated and auth.mechanism == "SCRAM-SHA-1" and not auth.used_speculative


def test_logins_in_threads_at_once():
    """The Authenticator's reused C buffers are per thread: logins running
    in several threads at once (the GIL released in every C call), and an
    Authenticator made in one thread and used in another, all succeed."""
    errors: list[BaseException] = []

    def logins(n: int) -> None:
        try:
            with ServerSession(USERS) as server, mongoauth.KeyCache() as cache:
                for i in range(n):
                    server.start(i + 1)
                    with Authenticator("alice", "pencil" if i % 3 else "wrong", "admin", key_cache=cache) as auth:
                        try:
                            while not auth.handle_reply(server.handle(auth.command())):
                                pass
                        except ex.AuthenticationFailed:
                            assert i % 3 == 0
                            continue
                        assert i % 3 and auth.authenticated and server.authenticated
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=logins, args=(60,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    made = Authenticator("alice", "pencil", "admin")
    server = ServerSession(USERS)

    def use() -> None:
        try:
            while not made.handle_reply(server.handle(made.command())):
                pass
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=use)
    t.start()
    t.join(10)
    assert not errors and made.authenticated
