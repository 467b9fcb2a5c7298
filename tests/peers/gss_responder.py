"""An independent GSSAPI acceptor for mongoauth's client: python-gssapi
(MIT krb5) playing the server side of MongoDB's SASL GSSAPI conversation
(RFC 4752) over OP_MSG, so that our client is checked against a server
that shares no code with ours.

    gss_responder.py [--users P1,P2,...] [--mode MODE]

Listens on 127.0.0.1 (an OS-chosen port), prints `PORT <n>`, then serves
connections until stdin closes. The acceptor key comes from the keytab in
KRB5_KTNAME (any service principal in it). Per connection it answers:
- `hello` / `isMaster` / `ismaster`: a current standalone server, no
  speculative authentication, no saslSupportedMechs;
- `saslStart {mechanism: "GSSAPI", payload}` on `$external`: the context
  token, answered in the payload's own BSON type (string: base64, or
  binary), `conversationId: 1`, `done: false`;
- `saslContinue`: while the context is open, the next token; once it is
  established, the wrapped security-layer offer (01 00 00 00: no security
  layer, no maximum size); then the client's wrapped answer is unwrapped,
  its first byte must have the "no security layer" bit, any maximum size is
  accepted, and the authorization identity must equal the context's
  initiator name, which must be in --users (default: every principal);
  then `done: true` with an empty payload;
- `connectionStatus`: the authenticated user, if any;
- anything else: `ok: 0, code: 59 CommandNotFound`.
Every authentication failure is `ok: 0, code: 18, codeName:
"AuthenticationFailed"`, with the GSS error text in errmsg.

Each event is one line on stdout: `LOGIN <principal>` on success,
`REFUSED <reason>` on failure (the test reads them after stdin closes).

--mode changes one thing to play a broken server (for the client's
negatives): `no-layer-bit` offers a layer byte without the "none" bit,
`garbage-wrap` sends bytes that are no wrap token, `extra-round` answers the
context token with one more empty `done: false` round before the wrap.
"""
import argparse
import base64
import datetime
import socket
import struct
import sys
import threading

import bson
import gssapi

OP_MSG = 2013
LOCK = threading.Lock()


def say(line):
    with LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_msg(sock):
    header = read_exact(sock, 16)
    length, request_id, _response_to, opcode = struct.unpack("<iiii", header)
    if length < 21 or length > 48 * 1024 * 1024:
        raise ValueError("bad message length %d" % length)
    body = read_exact(sock, length - 16)
    if opcode != OP_MSG:
        raise ValueError("only OP_MSG is spoken here, got opcode %d" % opcode)
    (_flags,) = struct.unpack("<I", body[:4])
    pos = 4
    doc = None
    while pos < len(body):
        kind = body[pos]
        pos += 1
        (size,) = struct.unpack("<i", body[pos : pos + 4])
        if kind == 0:
            doc = bson.decode(body[pos : pos + size])
        pos += size
    if doc is None:
        raise ValueError("OP_MSG without a body section")
    return request_id, doc


def write_msg(sock, request_id, response_to, doc):
    payload = struct.pack("<I", 0) + b"\x00" + bson.encode(doc)
    sock.sendall(struct.pack("<iiii", 16 + len(payload), request_id, response_to, OP_MSG) + payload)


def hello_reply(connection_id):
    return {
        "helloOk": True,
        "isWritablePrimary": True,
        "ismaster": True,
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "maxMessageSizeBytes": 48000000,
        "maxWriteBatchSize": 100000,
        "localTime": datetime.datetime.now(datetime.timezone.utc),
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": connection_id,
        "minWireVersion": 0,
        "maxWireVersion": 21,
        "readOnly": False,
        "ok": 1.0,
    }


def refuse(reason):
    say("REFUSED " + reason.replace("\n", " "))
    return {"ok": 0.0, "errmsg": "Authentication failed: " + reason, "code": 18, "codeName": "AuthenticationFailed"}


class Conversation:
    """One connection's GSSAPI login."""

    def __init__(self, creds, users, mode):
        self.creds = creds
        self.users = users
        self.mode = mode
        self.reset()

    def reset(self):
        self.ctx = None
        self.state = "start"
        self.string_payload = False
        self.user = None

    def payload_in(self, doc):
        p = doc.get("payload", b"")
        if isinstance(p, str):
            self.string_payload = True
            return base64.b64decode(p, validate=True)
        self.string_payload = False
        return bytes(p)

    def payload_out(self, data):
        data = data or b""
        if self.string_payload:
            return base64.b64encode(data).decode("ascii")
        return bson.Binary(data, 0)

    def reply(self, data, done):
        return {"conversationId": 1, "done": done, "payload": self.payload_out(data), "ok": 1.0}

    def sasl_start(self, doc):
        self.reset()
        if doc.get("$db") != "$external":
            return refuse("GSSAPI must authenticate against $external, not %r" % doc.get("$db"))
        if doc.get("mechanism") != "GSSAPI":
            return {"ok": 0.0, "errmsg": "only GSSAPI here", "code": 2, "codeName": "BadValue"}
        self.ctx = gssapi.SecurityContext(creds=self.creds, usage="accept")
        return self.context_step(self.payload_in(doc))

    def context_step(self, token):
        try:
            out = self.ctx.step(token)
        except gssapi.exceptions.GSSError as e:
            self.state = "failed"
            return refuse("gss_accept_sec_context: %s" % e.gen_message())
        if self.ctx.complete:
            self.state = "extra" if self.mode == "extra-round" else "established"
        else:
            self.state = "context"
        return self.reply(out, False)

    def sasl_continue(self, doc):
        if self.ctx is None or doc.get("conversationId", 1) != 1:
            return refuse("saslContinue without a conversation")
        token = self.payload_in(doc)
        if self.state == "context":
            return self.context_step(token)
        if self.state == "extra":
            self.state = "established"
            return self.reply(b"", False)
        if self.state == "established":
            # RFC 4752: the acceptor offers its layers; the client's token of
            # this round (if any) carries nothing.
            if self.mode == "no-layer-bit":
                offer = b"\x04\x00\x00\x00"
            else:
                offer = b"\x01\x00\x00\x00"
            if self.mode == "garbage-wrap":
                wrapped = b"\x05\x04garbage-not-a-wrap-token"
            else:
                wrapped = self.ctx.wrap(offer, False).message
            self.state = "offered"
            return self.reply(wrapped, False)
        if self.state == "offered":
            try:
                answer = self.ctx.unwrap(token).message
            except gssapi.exceptions.GSSError as e:
                self.state = "failed"
                return refuse("gss_unwrap: %s" % e.gen_message())
            if len(answer) < 4:
                return refuse("security-layer answer of %d bytes" % len(answer))
            if not answer[0] & 0x01:
                return refuse("the client chose a security layer (%#x)" % answer[0])
            principal = str(self.ctx.initiator_name)
            authzid = answer[4:].decode("utf-8", "replace")
            if authzid != principal:
                self.state = "failed"
                return refuse("authorization identity %r is not the principal %r" % (authzid, principal))
            if self.users is not None and principal not in self.users:
                self.state = "failed"
                return refuse("no user for principal %r" % principal)
            self.state = "done"
            self.user = principal
            say("LOGIN " + principal)
            return self.reply(b"", True)
        return refuse("saslContinue after the conversation (%s)" % self.state)


def serve(conn, creds, users, mode, connection_id):
    conv = Conversation(creds, users, mode)
    next_id = 1
    try:
        while True:
            request_id, doc = read_msg(conn)
            name = next(iter(doc), "")
            if name in ("hello", "isMaster", "ismaster"):
                reply = hello_reply(connection_id)
            elif name == "saslStart":
                reply = conv.sasl_start(doc)
            elif name == "saslContinue":
                reply = conv.sasl_continue(doc)
            elif name == "connectionStatus":
                users = [{"user": conv.user, "db": "$external"}] if conv.user else []
                reply = {"authInfo": {"authenticatedUsers": users, "authenticatedUserRoles": []}, "ok": 1.0}
            elif name == "ping":
                reply = {"ok": 1.0}
            else:
                reply = {"ok": 0.0, "errmsg": "no such command: %s" % name, "code": 59, "codeName": "CommandNotFound"}
            write_msg(conn, next_id, request_id, reply)
            next_id += 1
    except (EOFError, ConnectionError):
        pass
    except Exception as e:  # a broken request: say it, drop the connection
        say("REFUSED protocol: %r" % (e,))
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", default=None)
    ap.add_argument("--mode", default="normal", choices=["normal", "no-layer-bit", "garbage-wrap", "extra-round"])
    args = ap.parse_args()
    users = None if args.users is None else set(u for u in args.users.split(",") if u)
    creds = gssapi.Credentials(usage="accept")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    say("PORT %d" % listener.getsockname()[1])

    def accept_loop():
        n = 0
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            n += 1
            threading.Thread(target=serve, args=(conn, creds, users, args.mode, n), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()
    listener.close()


if __name__ == "__main__":
    main()
