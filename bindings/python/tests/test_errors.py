"""The exception classes: real classes grouped by status range, the
authentication-failed kind for a wrong password (in process and over a
socket, with a text that names the login and never the password), and
`Busy` for a call on an authenticator from inside its own handshake."""

from __future__ import annotations

import inspect
import socket
import threading

import pytest

from mongoauth import exceptions as ex
from mongoauth.connection import Authenticator, ServerSession

USER, DB, PASSWORD, WRONG = "carol", "inventory", "pencil", "s3cr3t-Wr0ng"


def test_every_status_has_a_real_class():
    for status in ex.Status:
        if status == ex.Status.OK:
            continue
        cls = ex.BY_CODE[status]
        assert inspect.isclass(cls) and cls.__module__ == "mongoauth.exceptions"
        assert cls.__qualname__ == cls.__name__  # defined with `class`, not type()
        assert cls.__doc__ and cls.__doc__.strip()
        e = ex.error_for(int(status), "text", server_code=7)
        assert type(e) is cls and e.status == status and e.code == status
        assert e.message == "text" and e.server_code == 7 and e.offset is None
        assert str(e).startswith("MONGOAUTH_STATUS_" + status.name)


def test_groups():
    assert issubclass(ex.Busy, ex.ObjectMisuse) and issubclass(ex.ObjectFreed, ex.ObjectMisuse)
    assert issubclass(ex.InvalidObject, ex.ObjectMisuse) and issubclass(ex.WrongAllocation, ex.ObjectMisuse)
    assert issubclass(ex.ObjectMisuse, ex.CallerError) and issubclass(ex.CallerError, ValueError)
    assert issubclass(ex.AuthenticationFailed, ex.ScramError)
    assert issubclass(ex.CommandFailed, ex.HandshakeError)
    assert ex.AuthenticationFailed.default_status == 107 == ex.Status.AUTHENTICATION_FAILED
    assert type(ex.error_for(42, "future caller code")) is ex.CallerError
    assert type(ex.error_for(1234, "?")) is ex.MongoauthError


def _wrong_password_in_process() -> ex.AuthenticationFailed:
    server = ServerSession([(DB, USER, PASSWORD)])
    auth = Authenticator(USER, WRONG, DB, "SCRAM-SHA-256")
    with pytest.raises(ex.AuthenticationFailed) as e:
        while not auth.handle_reply(server.handle(auth.command())):
            pass
    return e.value


def _wrong_password_over_a_socket() -> ex.AuthenticationFailed:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with conn:
            ServerSession([(DB, USER, PASSWORD)]).serve(conn)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            auth = Authenticator(USER, WRONG, DB, "SCRAM-SHA-256")
            with pytest.raises(ex.AuthenticationFailed) as e:
                auth.handshake(sock)
    finally:
        listener.close()
        t.join(5)
    return e.value


@pytest.mark.parametrize("run", [_wrong_password_in_process, _wrong_password_over_a_socket])
def test_wrong_password_is_authentication_failed(run):
    e = run()
    assert e.status == ex.Status.AUTHENTICATION_FAILED and e.server_code == 18
    for text in (str(e), e.message, repr(e)):
        assert WRONG not in text and PASSWORD not in text


@pytest.mark.parametrize("run", [_wrong_password_in_process, _wrong_password_over_a_socket])
def test_wrong_password_text_names_mechanism_user_and_database(run):
    e = run()
    assert "SCRAM-SHA-256" in str(e)
    assert USER in str(e)
    assert DB in str(e)
    assert WRONG not in str(e)


class _ProbingSocket:
    """A socket whose every recv/send first calls back into the
    authenticator that is running the handshake."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.auth: Authenticator | None = None
        self.seen: list[BaseException] = []

    def _probe(self) -> None:
        assert self.auth is not None
        if self.auth.authenticated:  # a predicate (bool, no status) answers False for a busy object
            self.seen.append(AssertionError("authenticated was True inside the handshake"))
        for call in (self.auth.command, lambda: self.auth.mechanism, lambda: self.auth.handle_reply(b"\x05\0\0\0\0")):
            try:
                call()
            except ex.MongoauthError as e:
                self.seen.append(e)
            else:
                self.seen.append(AssertionError("the call went through"))

    def recv(self, n: int) -> bytes:
        self._probe()
        return self.sock.recv(n)

    def send(self, data) -> int:
        self._probe()
        return self.sock.send(data)


def test_a_call_from_inside_the_handshake_is_busy():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with conn:
            ServerSession([(DB, USER, PASSWORD)]).serve(conn)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            probing = _ProbingSocket(sock)
            auth = Authenticator(USER, PASSWORD, DB)
            probing.auth = auth
            auth.handshake(probing)  # type: ignore[arg-type]
    finally:
        listener.close()
        t.join(5)
    assert len(probing.seen) >= 6
    assert all(type(e) is ex.Busy for e in probing.seen), probing.seen
    assert all(isinstance(e, ex.ObjectMisuse) and "authenticator" in e.message for e in probing.seen)
    # the login completed, and the object is usable again
    assert auth.authenticated and auth.mechanism == "SCRAM-SHA-256"
