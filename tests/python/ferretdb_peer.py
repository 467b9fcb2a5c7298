"""pymongo and mongoauth's Python binding against FerretDB (tests/tests/interop_ferretdb.rs).

    ferretdb_peer.py setup ROOT_URI     users as JSON on stdin: [{db, user, pwd, mechanisms?}]
    ferretdb_peer.py pymongo URI...     log in with pymongo (the reference)
    ferretdb_peer.py binding URI...     log in with mongoauth's Python binding

`setup` creates each user as root with `createUser` (roles: []), then reads
back what FerretDB stored (`usersInfo` with `showCredentials`) and prints one
JSON line per user and mechanism: whether the stored SCRAM keys were derived
from the password as given or from its SASLprep form.

`pymongo` and `binding` print one line per URI, in order:
    OK                      logged in (pymongo: `ping` and `connectionStatus` ran)
    FAIL code=18 <detail>   the server refused the credential (AuthenticationFailed)
    ERR <kind> <detail>     anything else (another server code, a client error)
Exit 0 when every line was printed (the caller judges them), 2 on misuse.
"""
import base64
import hashlib
import hmac
import json
import socket
import sys

MECHS = ("SCRAM-SHA-1", "SCRAM-SHA-256")


def one_line(e):
    return ("%s %s" % (type(e).__name__, e)).replace("\n", " ")[:300]


# ---------------------------------------------------------------- pymongo


def pymongo_login(uri):
    from pymongo import MongoClient
    from pymongo.errors import OperationFailure, PyMongoError

    client = None
    try:
        client = MongoClient(
            uri,
            directConnection=True,
            serverSelectionTimeoutMS=5000,
            connectTimeoutMS=5000,
            socketTimeoutMS=10000,
        )
        client.admin.command("ping")
        users = client.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"]
        if len(users) != 1:
            return "ERR connectionStatus lists %d users" % len(users)
        return "OK"
    except OperationFailure as e:
        if e.code == 18:
            return "FAIL code=18 " + one_line(e)
        return "ERR code=%s %s" % (e.code, one_line(e))
    except PyMongoError as e:
        return "ERR " + one_line(e)
    finally:
        if client is not None:
            client.close()


# ---------------------------------------------------------------- the binding


def binding_outcome(run):
    """The only place that knows the binding's error classes: map a login to
    OK / FAIL code=18 / ERR."""
    import mongoauth.exceptions as mx

    try:
        return "OK" if run() else "ERR not authenticated after the handshake"
    except mx.AuthenticationFailed as e:
        return "FAIL code=18 " + one_line(e)
    except mx.CommandFailed as e:
        if e.server_code == 18:
            return "FAIL code=18 " + one_line(e)
        return "ERR code=%s %s" % (e.server_code, one_line(e))
    except (mx.MongoauthError, OSError, EOFError) as e:
        return "ERR " + one_line(e)


def binding_login(uri):
    from mongoauth.connection import Authenticator, ConnectionString

    def run():
        cs = ConnectionString(uri)
        auth = Authenticator.from_uri(cs)
        with socket.create_connection(cs.hosts[0], timeout=10) as sock:
            auth.handshake(sock)
        return auth.authenticated

    return binding_outcome(run)


# ---------------------------------------------------------------- setup


def scram_keys(mech, salted_password):
    h = hashlib.sha1 if mech == "SCRAM-SHA-1" else hashlib.sha256
    client_key = hmac.new(salted_password, b"Client Key", h).digest()
    server_key = hmac.new(salted_password, b"Server Key", h).digest()
    return h(client_key).digest(), server_key


def salted(mech, user, password, salt, iterations):
    if mech == "SCRAM-SHA-1":
        # MongoDB's SHA-1 password: hex(md5(user:mongo:pwd)), never SASLprep'd.
        secret = hashlib.md5(("%s:mongo:%s" % (user, password)).encode()).hexdigest().encode()
        return hashlib.pbkdf2_hmac("sha1", secret, salt, iterations)
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)


def b64(v):
    return v if isinstance(v, bytes) else base64.b64decode(v)


def stored_form(mech, user, pwd, cred):
    """Which password FerretDB hashed: "raw", "saslprep", or "neither"."""
    from pymongo.saslprep import saslprep

    salt, iterations = b64(cred["salt"]), int(cred["iterationCount"])
    want = (b64(cred["storedKey"]), b64(cred["serverKey"]))
    forms = [("raw", pwd)]
    try:
        forms.append(("saslprep", saslprep(pwd)))
    except ValueError:
        pass
    found = [n for n, p in forms if scram_keys(mech, salted(mech, user, p, salt, iterations)) == want]
    if not found:
        return "neither"
    return "raw=saslprep" if len(found) == 2 else found[0]


def setup(root_uri):
    from pymongo import MongoClient

    users = json.load(sys.stdin)
    client = MongoClient(root_uri, directConnection=True, serverSelectionTimeoutMS=10000)
    try:
        for u in users:
            cmd = {"createUser": u["user"], "pwd": u["pwd"], "roles": []}
            if u.get("mechanisms"):
                cmd["mechanisms"] = u["mechanisms"]
            client[u["db"]].command(cmd)
        for u in users:
            info = client[u["db"]].command(
                {"usersInfo": {"user": u["user"], "db": u["db"]}, "showCredentials": True}
            )["users"]
            if len(info) != 1:
                raise SystemExit("usersInfo for %s@%s: %r" % (u["user"], u["db"], info))
            creds = info[0].get("credentials", {})
            for mech in MECHS:
                if mech in creds:
                    form = stored_form(mech, u["user"], u["pwd"], creds[mech])
                else:
                    form = "absent"
                print(json.dumps({"db": u["db"], "user": u["user"], "mechanism": mech, "stored": form}))
    finally:
        client.close()


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("setup", "pymongo", "binding"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        setup(args[0])
        return
    login = pymongo_login if cmd == "pymongo" else binding_login
    for uri in args:
        print(login(uri), flush=True)


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    main()
