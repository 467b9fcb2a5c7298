"""An independent SCRAM peer built on `scramp` (PyPI), driven line by line.

    scramp_peer.py client MECH USER PASSWORD
    scramp_peer.py server MECH USER PASSWORD ITERATIONS [tamper]

Messages travel base64-encoded, one per line: `MSG <b64>` from us, bare
`<b64>` lines to us. `OK` or `ERR <text>` ends the conversation.
For MongoDB's SCRAM-SHA-1 the caller passes the MD5-prepared password:
scramp implements the generic RFC mechanism.
"""
import base64
import sys

from scramp import ScramClient, ScramException, ScramMechanism


def send(msg: str) -> None:
    print("MSG " + base64.b64encode(msg.encode()).decode(), flush=True)


def recv() -> str:
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return base64.b64decode(line.strip()).decode()


def client(mech: str, user: str, password: str) -> None:
    c = ScramClient([mech], user, password)
    send(c.get_client_first())
    try:
        c.set_server_first(recv())
        send(c.get_client_final())
        c.set_server_final(recv())
    except ScramException as e:
        print("ERR " + str(e).replace("\n", " "), flush=True)
        return
    print("OK", flush=True)


def server(mech: str, user: str, password: str, iterations: int, tamper: bool) -> None:
    m = ScramMechanism(mech)
    salt, stored_key, server_key, count = m.make_auth_info(password, iteration_count=iterations)

    def auth_fn(username):
        if username != user:
            raise ScramException("unknown user")
        return salt, stored_key, server_key, count

    s = m.make_server(auth_fn)
    try:
        s.set_client_first(recv())
        send(s.get_server_first())
        s.set_client_final(recv())
    except ScramException as e:
        code = getattr(e.server_error, "value", e.server_error) or "other-error"
        send("e=" + str(code))
        print("ERR " + str(e).replace("\n", " "), flush=True)
        return
    final = s.get_server_final()
    if tamper:
        sig = bytearray(base64.b64decode(final[2:]))
        sig[0] ^= 1
        final = "v=" + base64.b64encode(bytes(sig)).decode()
    send(final)
    print("OK", flush=True)


if __name__ == "__main__":
    role, mech, user, password = sys.argv[1:5]
    if role == "client":
        client(mech, user, password)
    else:
        server(mech, user, password, int(sys.argv[5]), len(sys.argv) > 6 and sys.argv[6] == "tamper")
