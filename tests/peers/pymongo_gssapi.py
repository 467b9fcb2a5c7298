"""Log in with pymongo's GSSAPI client (pykerberos, `pymongo[gssapi]`) and
prove the login.

    pymongo_gssapi.py URI [URI ...]

For each URI: connect with directConnection=True, run `ping` and
`connectionStatus` on admin, and print one line:
    OK <pymongo version> user=<authenticated user> db=<db>
    FAIL code=<server error code> <ExceptionClass> <message>
Exits 0 when every line was printed (the caller judges them), 2 on misuse.
The ticket comes from the environment (KRB5CCNAME after kinit, or
KRB5_CLIENT_KTNAME). Runs from target/venv-gss (tests/krb.rs).
"""
import sys

import kerberos  # noqa: F401  (pymongo[gssapi] on Unix: fail loudly if missing)
import pymongo
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError


def one_line(e):
    return str(e).replace("\n", " ")


def login(uri):
    client = MongoClient(
        uri,
        directConnection=True,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
        socketTimeoutMS=10000,
    )
    try:
        client.admin.command("ping")
        status = client.admin.command("connectionStatus")
        users = status.get("authInfo", {}).get("authenticatedUsers", [])
        if not users:
            return "FAIL code=none NotAuthenticated connectionStatus lists no user"
        u = users[0]
        return "OK %s user=%s db=%s" % (pymongo.version, u.get("user"), u.get("db"))
    except OperationFailure as e:
        return "FAIL code=%s %s %s" % (e.code, type(e).__name__, one_line(e))
    except PyMongoError as e:
        code = getattr(e, "code", None)
        return "FAIL code=%s %s %s" % (code, type(e).__name__, one_line(e))
    finally:
        client.close()


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for uri in sys.argv[1:]:
        print(login(uri), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
