"""pymongo's view of mongodb+srv URIs, for tests/tests/srv.rs.

Usage: srv_resolve.py NAMESERVER_PORT URI...
Points dnspython (which pymongo uses for SRV and TXT) at 127.0.0.1:PORT and
prints, per URI, one JSON line: {"hosts": [[host, port], ...], "authSource",
"replicaSet", "loadBalanced", "tls"} from pymongo.uri_parser.parse_uri, or
{"error": "<exception class>: <message>"}.
"""
import json
import sys

import dns.resolver
from pymongo import uri_parser


def main() -> None:
    port = int(sys.argv[1])
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = port
    r.lifetime = 5.0
    dns.resolver.default_resolver = r
    for uri in sys.argv[2:]:
        try:
            parsed = uri_parser.parse_uri(uri)
            opts = parsed["options"]
            out = {
                "hosts": sorted([h, p] for h, p in parsed["nodelist"]),
                "authSource": opts.get("authSource"),
                "replicaSet": opts.get("replicaSet"),
                "loadBalanced": opts.get("loadBalanced"),
                "tls": opts.get("tls"),
            }
        except Exception as e:  # the error itself is the answer
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
