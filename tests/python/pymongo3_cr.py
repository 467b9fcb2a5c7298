"""Log in with pymongo 3.13 (the last driver line with MONGODB-CR) and
prove the login, saying which mechanism pymongo itself ran.

    pymongo3_cr.py URI [URI ...]

For each URI: connect with directConnection=True, run `ping` and
`connectionStatus` on admin, and print one line:
    OK <pymongo version> mech=<mechanism pymongo ran> user=<user> db=<db>
    FAIL code=<server error code> mech=<mechanism pymongo ran> <ExceptionClass> <message>
Exits 0 when every line was printed (the caller judges them), 2 on misuse.
Runs from its own venv (target/venv-pymongo3), made by tests/tests/cr.rs.
"""
import sys

import pymongo
import pymongo.auth
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

RAN = []


def spy(name, fn):
    def wrapped(*args, **kwargs):
        RAN.append(name)
        return fn(*args, **kwargs)

    return wrapped


# The default path calls these by module name; an explicit authMechanism
# goes through _AUTH_MAP. Record both.
for _name, _attr in [
    ("MONGODB-CR", "_authenticate_mongo_cr"),
    ("SCRAM-SHA-1", "_authenticate_scram_sha1"),
]:
    if hasattr(pymongo.auth, _attr):
        _w = spy(_name, getattr(pymongo.auth, _attr))
        setattr(pymongo.auth, _attr, _w)
        pymongo.auth._AUTH_MAP[_name] = _w
_scram = pymongo.auth._authenticate_scram
pymongo.auth._authenticate_scram = lambda c, s, m: (RAN.append(m), _scram(c, s, m))[1]


def ran():
    return ",".join(sorted(set(RAN))) or "none"


def one_line(e):
    return str(e).replace("\n", " ")


def login(uri):
    del RAN[:]
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
        users = status["authInfo"]["authenticatedUsers"]
        if len(users) != 1:
            return "FAIL code=0 connectionStatus lists %d users" % len(users)
        return "OK %s mech=%s user=%s db=%s" % (
            pymongo.version,
            ran(),
            users[0]["user"],
            users[0]["db"],
        )
    except OperationFailure as e:
        return "FAIL code=%s mech=%s %s %s" % (e.code, ran(), type(e).__name__, one_line(e))
    except PyMongoError as e:
        return "FAIL code=none mech=%s %s %s" % (ran(), type(e).__name__, one_line(e))
    finally:
        client.close()


def main():
    if len(sys.argv) < 2:
        print("usage: pymongo3_cr.py URI [URI ...]", file=sys.stderr)
        sys.exit(2)
    for uri in sys.argv[1:]:
        print(login(uri), flush=True)


if __name__ == "__main__":
    main()
