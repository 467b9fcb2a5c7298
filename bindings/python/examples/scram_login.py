"""Log in to a MongoDB server with the mongoauth binding: a SCRAM login
(or whatever the connection string asks for) over a plain TCP socket, with
the library's handshake driver.

    python scram_login.py URI

e.g. `mongodb://alice:pencil@127.0.0.1:27017/?authSource=admin`. Prints
`logged in as USER on SOURCE with MECHANISM`. Exit status: 0 logged in;
2 refused by the server (code 18, a wrong username or password); 1
anything else.
"""

from __future__ import annotations

import socket
import sys

import mongoauth


def login(uri: str) -> str:
    """Log in as the connection string says; returns what to print."""
    with mongoauth.ConnectionString(uri) as cs:
        credential = cs.credential
        if credential is None:
            raise ValueError("the connection string has no credential")
        host, port = cs.hosts[0]
        with mongoauth.Authenticator.from_uri(cs) as auth:
            with socket.create_connection((host, port), timeout=10) as sock:
                auth.handshake(sock)
            return f"logged in as {credential.username} on {credential.source} with {auth.mechanism}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        print(login(argv[1]))
    except mongoauth.AuthenticationFailed as e:
        print(f"refused: server code {e.server_code}: {e.message}", file=sys.stderr)
        return 2
    except (mongoauth.MongoauthError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
