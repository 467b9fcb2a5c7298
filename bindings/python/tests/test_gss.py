"""GSSAPI through the binding without Kerberos: a toy GSS "mechanism" in
Python on both sides (tokens name the principal, wrap and unwrap are the
identity), so the plumbing (the three needs, the acceptor callbacks, the
errors with their major/minor status) is checked here, and the real
library in scripts/bindings-tests.sh's realm run (examples/gss_login.py)."""

import socket
import threading

import pytest

import mongoauth
from mongoauth import exceptions as ex
from mongoauth.connection import Authenticator, ServerSession
from mongoauth.gss import GssFailure, GssInit

PRINCIPAL = "user@TOY.TEST"
URI = "mongodb://user%40TOY.TEST@db.example.com/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:svc,SERVICE_REALM:TOY.TEST"


class ToyInitiator:
    def __init__(self, fail_with=None):
        self.requests = []
        self.fail_with = fail_with

    def step(self, request: GssInit):
        self.requests.append(request)
        if self.fail_with:
            raise self.fail_with
        return b"toy:" + (request.principal or "").encode(), True

    def unwrap(self, token):
        return token

    def wrap(self, message):
        return message


class ToyAcceptor:
    def __init__(self, fail=False):
        self.name = None
        self.fail = fail
        self.resets = 0

    def step(self, token):
        if self.fail:
            raise GssFailure("toy acceptor refuses", major=0xD0000, minor=7)
        assert token.startswith(b"toy:")
        self.name = token[4:].decode()
        return b"", True

    def wrap(self, message):
        return message

    def unwrap(self, token):
        return token

    def source_name(self):
        return self.name

    def reset(self):
        self.resets += 1
        self.name = None


def run(auth, session, gss):
    while True:
        step = auth.next()
        if step == "done":
            return
        if step.startswith("need_gss_"):
            auth.provide_gss(gss)
            continue
        assert step == "send"
        auth.handle_reply(session.handle(auth.command()))


def test_gss_login_in_process_with_python_objects():
    session = ServerSession([], external_users=[PRINCIPAL], gss=ToyAcceptor())
    auth = Authenticator.from_uri(URI)
    init = ToyInitiator()
    run(auth, session, init)
    assert auth.authenticated and session.authenticated
    first = init.requests[0]
    assert first.target.service == "svc" and first.target.host == "db.example.com"
    assert first.target.realm == "TOY.TEST" and first.target.principal() == "svc/db.example.com@TOY.TEST"
    assert first.principal == PRINCIPAL and first.password is None and first.input == b""
    assert "password=None" in repr(first)


def test_gss_request_step_by_step():
    session = ServerSession([], external_users=[PRINCIPAL], gss=ToyAcceptor())
    auth = Authenticator.from_uri(URI)
    seen = []
    while (step := auth.next()) != "done":
        if step == "send":
            auth.handle_reply(session.handle(auth.command()))
        elif step == "need_gss_init":
            req = auth.gss_request()
            seen.append(step)
            auth.provide_gss_step(b"toy:" + req.principal.encode(), True)
        elif step == "need_gss_unwrap":
            seen.append(step)
            auth.provide_gss_unwrapped(auth.gss_request())
        else:
            seen.append(step)
            auth.provide_gss_wrapped(auth.gss_request())
    assert auth.authenticated
    assert seen == ["need_gss_init", "need_gss_unwrap", "need_gss_wrap"]
    with pytest.raises(ex.UnexpectedStep):
        auth.gss_request()


def test_initiator_failure_propagates_with_codes():
    auth = Authenticator.from_uri(URI)
    session = ServerSession([], external_users=[PRINCIPAL], gss=ToyAcceptor())
    with pytest.raises(GssFailure) as e:
        run(auth, session, ToyInitiator(fail_with=GssFailure("no ticket", major=0xD0000, minor=0x96C73A9C)))
    assert e.value.major == 0xD0000 and e.value.minor == 0x96C73A9C
    assert isinstance(e.value, ex.GssError)
    # the login recorded it: its message has the context and the text
    assert "no ticket" in e.value.message and "GSSAPI" in e.value.message
    assert auth.next() == "done" and not auth.authenticated


def test_acceptor_failure_is_code_18():
    auth = Authenticator.from_uri(URI)
    session = ServerSession([], external_users=[PRINCIPAL], gss=ToyAcceptor(fail=True))
    with pytest.raises(mongoauth.AuthenticationFailed) as e:
        run(auth, session, ToyInitiator())
    assert e.value.server_code == 18
    assert not session.authenticated


def test_unknown_principal_is_code_18():
    auth = Authenticator.from_uri(URI)
    session = ServerSession([], external_users=["someone@TOY.TEST"], gss=ToyAcceptor())
    with pytest.raises(mongoauth.AuthenticationFailed):
        run(auth, session, ToyInitiator())


def test_gss_over_socket_with_login():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with conn:
            ServerSession([], external_users=[PRINCIPAL], gss=ToyAcceptor()).serve(conn)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    auth = Authenticator.from_uri(URI)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        auth.login(sock, gss=ToyInitiator())
    assert auth.authenticated
    t.join(5)
    listener.close()


def test_system_library_flag():
    assert mongoauth.gss.system_available() in (True, False)
    if not mongoauth.gss.system_available():
        with pytest.raises(ex.UnsupportedMechanism):
            ServerSession([], gss="system")
