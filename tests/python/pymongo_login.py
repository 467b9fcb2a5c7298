"""Log in with pymongo (MongoDB Inc.'s Python driver) and prove the login.

    pymongo_login.py URI [URI ...]

For each URI: connect with directConnection=True, run `ping` and
`connectionStatus` on admin, and print one line:
    OK <pymongo version> user=<user> db=<db>
    FAIL code=<server error code> <ExceptionClass> <message>
Exits 0 when every line was printed (the caller judges them), 2 on misuse.
"""
import sys

import pymongo
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError


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
        users = status["authInfo"]["authenticatedUsers"]
        if len(users) != 1:
            return "FAIL code=0 connectionStatus lists %d users" % len(users)
        return "OK %s user=%s db=%s" % (pymongo.version, users[0]["user"], users[0]["db"])
    except OperationFailure as e:
        return "FAIL code=%s %s %s" % (e.code, type(e).__name__, str(e).replace("\n", " "))
    except PyMongoError as e:
        return "FAIL code=none %s %s" % (type(e).__name__, str(e).replace("\n", " "))
    finally:
        client.close()


def main():
    if len(sys.argv) < 2:
        print("usage: pymongo_login.py URI [URI ...]", file=sys.stderr)
        sys.exit(2)
    for uri in sys.argv[1:]:
        print(login(uri), flush=True)


if __name__ == "__main__":
    main()
