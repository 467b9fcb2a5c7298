"""A GSSAPI (Kerberos) login with the mongoauth Python binding.

The client's GSS-API library is python-gssapi (MIT krb5) behind a small
initiator object; the server is mongoauth's ServerSession with a
python-gssapi acceptor, on a loopback socket in a thread. `--system` uses
the library's built-in system GSS-API on both sides instead (libmongoauth
built with the cargo feature gssapi-system).

    python gss_login.py [--system] [--no-user] [URI]     client + in-process server
    python gss_login.py --serve [--system]               server only: prints PORT n,
                                                          serves until stdin closes

Default URI: mongodb://user%40MONGOAUTH.TEST@localhost:PORT/?authMechanism=GSSAPI
Needs a realm (scripts/krb-realm.sh start DIR; source DIR/env) and a ticket
(kinit), a client keytab (KRB5_CLIENT_KTNAME) or a password in the URI.
Exit status: 0 logged in; 2 refused by the server (code 18); 3 a GSS-API
failure (major/minor printed); 1 anything else.
"""

from __future__ import annotations

import socket
import sys
import threading

import gssapi
import gssapi.raw

import mongoauth
from mongoauth.gss import GssFailure, GssInit

PRINCIPAL = "user@MONGOAUTH.TEST"


def _failure(e: gssapi.exceptions.GSSError) -> GssFailure:
    """python-gssapi's error as mongoauth's: major, minor and the text
    (the mechanism's first: it says what happened)."""
    try:
        parts = (e.get_all_statuses(e.min_code, False) if e.min_code else []) + e.get_all_statuses(e.maj_code, True)
        text = "; ".join(p.decode() if isinstance(p, bytes) else str(p) for p in parts)
    except Exception:  # noqa: BLE001 - the text is best effort
        text = e.gen_message()
    return GssFailure(text, major=e.maj_code, minor=e.min_code)


class Initiator:
    """The client's GSS-API library (mongoauth.gss.GssInitiator)."""

    def __init__(self) -> None:
        self.ctx: gssapi.SecurityContext | None = None

    def step(self, request: GssInit) -> tuple[bytes, bool]:
        try:
            if self.ctx is None:
                t = request.target
                # (CANONICALIZE_HOST_NAME would resolve t.host first.)
                if t.realm:
                    target = gssapi.Name(t.principal(), gssapi.NameType.kerberos_principal)
                else:
                    target = gssapi.Name(t.hostbased(), gssapi.NameType.hostbased_service)
                creds = None
                if request.principal:
                    me = gssapi.Name(request.principal, gssapi.NameType.kerberos_principal)
                    if request.password is not None:
                        creds = gssapi.raw.acquire_cred_with_password(
                            me, request.password.encode(), usage="initiate"
                        ).creds
                    else:
                        creds = gssapi.Credentials(name=me, usage="initiate")
                self.ctx = gssapi.SecurityContext(
                    name=target,
                    creds=creds,
                    usage="initiate",
                    flags=gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.out_of_sequence_detection,
                )
            token = self.ctx.step(request.input or None)
            return token or b"", self.ctx.complete
        except gssapi.exceptions.GSSError as e:
            raise _failure(e) from e

    def _context(self) -> gssapi.SecurityContext:
        if self.ctx is None:
            raise mongoauth.GssNoContext("no security context yet")
        return self.ctx

    def unwrap(self, token: bytes) -> bytes:
        try:
            return bytes(self._context().unwrap(token).message)
        except gssapi.exceptions.GSSError as e:
            raise _failure(e) from e

    def wrap(self, message: bytes) -> bytes:
        try:
            return bytes(self._context().wrap(message, False).message)
        except gssapi.exceptions.GSSError as e:
            raise _failure(e) from e


class Acceptor:
    """The server's GSS-API library (mongoauth.gss.GssAcceptor); its key
    comes from KRB5_KTNAME."""

    def __init__(self) -> None:
        self.ctx: gssapi.SecurityContext | None = None

    def step(self, token: bytes) -> tuple[bytes, bool]:
        try:
            if self.ctx is None:
                self.ctx = gssapi.SecurityContext(usage="accept")
            reply = self.ctx.step(token)
            return reply or b"", self.ctx.complete
        except gssapi.exceptions.GSSError as e:
            raise _failure(e) from e

    def _context(self) -> gssapi.SecurityContext:
        if self.ctx is None:
            raise mongoauth.GssNoContext("no security context yet")
        return self.ctx

    def wrap(self, message: bytes) -> bytes:
        return bytes(self._context().wrap(message, False).message)

    def unwrap(self, token: bytes) -> bytes:
        return bytes(self._context().unwrap(token).message)

    def source_name(self) -> str:
        return str(self._context().initiator_name)

    def reset(self) -> None:
        self.ctx = None


def serve(listener: socket.socket, system: bool, users: list[str]) -> None:
    """Answer each connection with a fresh session until the listener closes."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            session = mongoauth.ServerSession([], external_users=users, gss="system" if system else Acceptor())
            session.serve(conn)


def main(argv: list[str]) -> int:
    system = "--system" in argv
    users = [] if "--no-user" in argv else [PRINCIPAL]
    rest = [a for a in argv if not a.startswith("--")]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if "--serve" in argv:
        print(f"PORT {port}", flush=True)
        threading.Thread(target=serve, args=(listener, system, users), daemon=True).start()
        sys.stdin.read()
        return 0
    threading.Thread(target=serve, args=(listener, system, users), daemon=True).start()
    uri = rest[0] if rest else f"mongodb://user%40MONGOAUTH.TEST@localhost:{port}/?authMechanism=GSSAPI"
    uri = uri.replace("PORT", str(port))
    auth = mongoauth.Authenticator.from_uri(uri)
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            auth.login(sock, gss="system" if system else Initiator())
    except mongoauth.AuthenticationFailed as e:
        print(f"refused: {e} (server code {e.server_code})", file=sys.stderr)
        return 2
    except GssFailure as e:
        print(f"GSS failure: major {e.major:#x} minor {e.minor:#x}: {e.message}", file=sys.stderr)
        return 3
    print(f"logged in with GSSAPI as {PRINCIPAL}" if auth.authenticated else "not authenticated")
    return 0 if auth.authenticated else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
