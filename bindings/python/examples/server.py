"""A tiny MongoDB-protocol authentication server on the mongoauth binding:
each connection is answered by a `ServerSession` (SCRAM-SHA-1 and
SCRAM-SHA-256 for the users given; `ping` and the other commands a driver
sends after its login), one thread per connection.

    python server.py [--port N] DB:USER:PASSWORD...

Prints `PORT n` once listening on 127.0.0.1; serves until stdin closes.
pymongo, mongosh or `scram_login.py` can log in to it.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading

import mongoauth


def serve_connection(conn: socket.socket, users: list[tuple[str, str, str]], connection_id: int) -> None:
    """Answer one connection until the client closes it."""
    with conn, mongoauth.ServerSession(users, connection_id=connection_id) as session:
        session.serve(conn)


def accept_loop(listener: socket.socket, users: list[tuple[str, str, str]]) -> None:
    """Accept connections until the listener is closed."""
    connection_id = 0
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        connection_id += 1
        threading.Thread(target=serve_connection, args=(conn, users, connection_id), daemon=True).start()


def parse_user(spec: str) -> tuple[str, str, str]:
    """DB:USER:PASSWORD (the password may contain ':')."""
    parts = spec.split(":", 2)
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected DB:USER:PASSWORD, got {spec!r}")
    return parts[0], parts[1], parts[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("users", nargs="+", type=parse_user)
    args = ap.parse_args()
    users: list[tuple[str, str, str]] = args.users
    with socket.create_server(("127.0.0.1", args.port)) as listener:
        print(f"PORT {listener.getsockname()[1]}", flush=True)
        threading.Thread(target=accept_loop, args=(listener, users), daemon=True).start()
        sys.stdin.read()  # until stdin closes
    return 0


if __name__ == "__main__":
    sys.exit(main())
