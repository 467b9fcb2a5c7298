"""A MockupDB server (MongoDB Inc.'s wire-protocol test server) whose SCRAM
side is `scramp`, for testing a MongoDB client's login end to end.

    mockupdb_scram.py USER PASSWORD SOURCE [option ...]

Options:
    mechs=both|sha1|sha256|none  what hello's saslSupportedMechs lists when asked
                                 (default both; `none` omits the field)
    speculative=1|0              answer speculativeAuthenticate (default 1)
    legacy=1|0                   ignore skipEmptyExchange: reply done:false with
                                 v=, then expect an empty saslContinue (default 0)

It prints `PORT <n>` once listening, then one line per event:
    EVENT hello asked=<db.user or -> spec=<mechanism or ->
    EVENT saslStart <mechanism> skipEmptyExchange=<bool>
    EVENT emptyContinue
    VERDICT ok <mechanism>          the client proved the password (scramp
                                    verified the proof / PLAIN payload matched)
    VERDICT fail <mechanism> <why>  answered with code 18
    PROTOCOL <what>                 the client broke the protocol (answered
                                    with code 17)
It serves until its standard input closes.

For MongoDB's SCRAM-SHA-1, scramp (a generic RFC 5802 implementation) is given
the MongoDB-prepared password hex(MD5(user + ":mongo:" + password)), computed
here with hashlib, independently of the client under test.
"""
import hashlib
import os
import sys
import threading

from mockupdb import MockupDB
from scramp import ScramException, ScramMechanism

ITERATIONS = {"SCRAM-SHA-1": 10000, "SCRAM-SHA-256": 15000}
MECH_LISTS = {
    "both": ["SCRAM-SHA-1", "SCRAM-SHA-256"],
    "sha1": ["SCRAM-SHA-1"],
    "sha256": ["SCRAM-SHA-256"],
    "none": None,
}

out_lock = threading.Lock()


def say(line):
    with out_lock:
        print(line, flush=True)


class Conversation:
    def __init__(self, mech, server):
        self.mech = mech
        self.server = server
        self.awaiting_empty = False
        self.done = False


class Peer:
    def __init__(self, user, password, source, mechs, speculative, legacy):
        self.user = user
        self.password = password
        self.source = source
        self.mechs = MECH_LISTS[mechs]
        self.speculative = speculative
        self.legacy = legacy
        self.conversations = {}  # client port -> Conversation
        self.auth_info = {}

    def scram_password(self, mech):
        if mech == "SCRAM-SHA-1":
            digest = "%s:mongo:%s" % (self.user, self.password)
            return hashlib.md5(digest.encode("utf-8")).hexdigest()
        return self.password

    def scram_server(self, mech):
        m = ScramMechanism(mech)
        if mech not in self.auth_info:
            self.auth_info[mech] = m.make_auth_info(
                self.scram_password(mech), iteration_count=ITERATIONS[mech]
            )
        info = self.auth_info[mech]

        def auth_fn(username):
            if username != self.user:
                raise ScramException("unknown user")
            return info

        return m.make_server(auth_fn)

    # --- SCRAM steps -----------------------------------------------------

    def start_scram(self, port, mech, payload):
        server = self.scram_server(mech)
        server.set_client_first(payload.decode("utf-8"))
        self.conversations[port] = Conversation(mech, server)
        return server.get_server_first().encode("utf-8")

    def fail(self, request, port, mech, why):
        self.conversations.pop(port, None)
        say("VERDICT fail %s %s" % (mech, why.replace("\n", " ")))
        return request.command_err(
            code=18, errmsg="Authentication failed.", codeName="AuthenticationFailed"
        )

    def protocol(self, request, what):
        say("PROTOCOL " + what)
        return request.command_err(code=17, errmsg=what, codeName="ProtocolError")

    # --- handlers -----------------------------------------------------------

    def handle(self, request):
        doc = request.doc
        name = request.command_name
        port = request.client_port
        if name.lower() in ("ismaster", "hello"):
            return self.hello(request, doc, port, name)
        if name == "saslStart":
            return self.sasl_start(request, doc, port)
        if name == "saslContinue":
            return self.sasl_continue(request, doc, port)
        if name in ("ping", "endSessions"):
            return request.ok()
        return request.command_err(code=59, errmsg="no such command: " + name)

    def hello(self, request, doc, port, name):
        reply = {
            "helloOk": True,
            ("isWritablePrimary" if name == "hello" else "ismaster"): True,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": 48000000,
            "maxWriteBatchSize": 100000,
            "minWireVersion": 0,
            "maxWireVersion": 21,
            "connectionId": port,
        }
        asked = doc.get("saslSupportedMechs")
        if asked is not None and self.mechs is not None:
            if asked == "%s.%s" % (self.source, self.user):
                reply["saslSupportedMechs"] = self.mechs
        spec = doc.get("speculativeAuthenticate")
        spec_mech = "-"
        if spec is not None:
            spec_mech = spec.get("mechanism", "?")
            if spec.get("db") != self.source:
                say("PROTOCOL speculativeAuthenticate db=%r" % (spec.get("db"),))
            elif self.speculative and "saslStart" in spec:
                try:
                    first = self.start_scram(port, spec_mech, spec["payload"])
                except (ScramException, ValueError, KeyError) as e:
                    # mongod drops speculative failures silently.
                    say("EVENT speculative-dropped %s" % (e,))
                else:
                    reply["speculativeAuthenticate"] = {
                        "conversationId": 1,
                        "done": False,
                        "payload": first,
                    }
        say("EVENT %s asked=%s spec=%s" % (name, asked or "-", spec_mech))
        reply["ok"] = 1
        return request.reply(reply)

    def sasl_start(self, request, doc, port):
        mech = doc.get("mechanism")
        if doc.get("$db") != self.source:
            return self.protocol(request, "saslStart on db %r" % (doc.get("$db"),))
        payload = doc.get("payload")
        if not isinstance(payload, bytes):
            return self.protocol(request, "saslStart payload is not BinData")
        skip = bool((doc.get("options") or {}).get("skipEmptyExchange", False))
        say("EVENT saslStart %s skipEmptyExchange=%s" % (mech, skip))
        if mech == "PLAIN":
            expected = b"\0" + self.user.encode() + b"\0" + self.password.encode()
            with_authzid = self.user.encode() + expected
            if payload in (expected, with_authzid):
                say("VERDICT ok PLAIN")
                return request.reply(conversationId=1, done=True, payload=b"", ok=1)
            return self.fail(request, port, mech, "PLAIN payload %r" % (payload,))
        if mech not in ITERATIONS:
            return request.command_err(
                code=334, errmsg="unsupported mechanism", codeName="MechanismUnavailable"
            )
        if not skip:
            return self.protocol(request, "SCRAM saslStart without skipEmptyExchange")
        try:
            first = self.start_scram(port, mech, payload)
        except ScramException as e:
            return self.fail(request, port, mech, str(e))
        return request.reply(conversationId=1, done=False, payload=first, ok=1)

    def sasl_continue(self, request, doc, port):
        conv = self.conversations.get(port)
        if conv is None:
            return self.protocol(request, "saslContinue without a conversation")
        if doc.get("conversationId") != 1:
            return self.protocol(request, "conversationId %r" % (doc.get("conversationId"),))
        if doc.get("$db") != self.source:
            return self.protocol(request, "saslContinue on db %r" % (doc.get("$db"),))
        payload = doc.get("payload")
        if not isinstance(payload, bytes):
            return self.protocol(request, "saslContinue payload is not BinData")
        if conv.awaiting_empty:
            if payload != b"":
                return self.protocol(request, "expected an empty saslContinue")
            say("EVENT emptyContinue")
            self.conversations.pop(port, None)
            return request.reply(conversationId=1, done=True, payload=b"", ok=1)
        try:
            conv.server.set_client_final(payload.decode("utf-8"))
        except ScramException as e:
            return self.fail(request, port, conv.mech, str(e))
        final = conv.server.get_server_final().encode("utf-8")
        say("VERDICT ok %s" % (conv.mech,))
        if self.legacy:
            conv.awaiting_empty = True
            return request.reply(conversationId=1, done=False, payload=final, ok=1)
        self.conversations.pop(port, None)
        return request.reply(conversationId=1, done=True, payload=final, ok=1)


def main():
    user, password, source = sys.argv[1:4]
    opts = dict(a.split("=", 1) for a in sys.argv[4:])
    peer = Peer(
        user,
        password,
        source,
        opts.get("mechs", "both"),
        opts.get("speculative", "1") == "1",
        opts.get("legacy", "0") == "1",
    )
    server = MockupDB(port=None, auto_ismaster=None, request_timeout=30)
    server.autoresponds(peer.handle)
    port = server.run()
    say("PORT %d" % port)
    sys.stdin.read()
    # MockupDB.stop() waits up to a second for its accept loop's select();
    # everything is reported already, so leave at once.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
