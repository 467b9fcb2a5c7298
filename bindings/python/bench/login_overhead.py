"""The Python binding's overhead: a whole login through Python against the
same login in Rust, measured side by side in one run (a benchmark, not a
test).

Rows:
* in memory: a client `Authenticator` (warm key cache) and a `ServerSession`
  in one process, the bytes handed over directly; Python drives both
  through the binding, Rust (`mongoauth-login-bench`, a persistent helper
  process driven over stdin) drives both natively, with the C library's
  authenticator configuration (a 16448-byte payload buffer, room for
  GSSAPI and OIDC tokens: the same work);
* in memory, Rust defaults: the same Python figures against Rust with
  `Authenticator::new`'s default payload buffer (386 bytes without the
  `gssapi` feature), which costs Rust less than the C object's;
* loopback socket: each login over a new TCP connection to the same
  server (`mongoauth-loopback-server`), the client in Python
  (`Authenticator.handshake`) or in Rust (`mongoauth::io::authenticate`).

Rounds alternate Rust, Python, Rust, Python...; each prints the median time
per login over the rounds, the spread (min-max of the rounds) and the
ratio Python / Rust (of the medians; and the median of the per-round
ratios). `--abi-lib PATH` loads a shared libmongoauth.so in cffi's ABI
mode instead of the wheel's compiled extension (API mode), to compare.

    cargo build --release -p mongoauth-demo --bins
    python bindings/python/bench/login_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import time
from typing import Callable, TextIO


def _repo_file(name: str) -> str:
    here = pathlib.Path(__file__).resolve()
    for folder in here.parents:
        candidate = folder / "target" / "release" / name
        if candidate.exists():
            return str(candidate)
    return name


class RustHelper:
    """The `mongoauth-login-bench` process: one command per line."""

    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, command: str) -> float:
        """Seconds the helper took for `command`."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().split()
        if len(answer) != 2 or answer[0] != "ns":
            raise RuntimeError(f"mongoauth-login-bench answered {answer!r} to {command!r}")
        return int(answer[1]) / 1e9

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def start_server(path: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([path, "admin:alice:pencil"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        raise RuntimeError(f"mongoauth-loopback-server printed {line!r}")
    return proc, int(line[1])


def summary(name: str, rust: list[float], py: list[float], out: TextIO) -> float:
    """Print one row; returns the ratio of the medians."""
    mr, mp = statistics.median(rust), statistics.median(py)
    paired = statistics.median(p / r for p, r in zip(py, rust))
    out.write(
        f"{name:<25} Rust {mr * 1e6:8.2f} us ({min(rust) * 1e6:.2f}-{max(rust) * 1e6:.2f})   "
        f"Python {mp * 1e6:8.2f} us ({min(py) * 1e6:.2f}-{max(py) * 1e6:.2f})   "
        f"ratio {mp / mr:.2f}x (paired rounds {paired:.2f}x)\n"
    )
    return mp / mr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few rounds (a smoke run, figures rough)")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--logins", type=int, default=None, help="in-memory logins per round")
    ap.add_argument("--tcp-logins", type=int, default=None, help="socket logins per round")
    ap.add_argument("--no-tcp", action="store_true", help="only the in-memory row")
    ap.add_argument("--helper", default=_repo_file("mongoauth-login-bench"))
    ap.add_argument("--server", default=_repo_file("mongoauth-loopback-server"))
    ap.add_argument("--abi-lib", help="a libmongoauth.so to load in cffi ABI mode (MONGOAUTH_LIB)")
    ap.add_argument("--max-ratio", type=float, default=None, help="exit 1 if the in-memory ratio is above this")
    args = ap.parse_args()
    rounds = args.rounds or (5 if args.quick else 21)
    logins = args.logins or (300 if args.quick else 3000)
    tcp_logins = args.tcp_logins or (50 if args.quick else 300)
    if args.abi_lib:
        os.environ["MONGOAUTH_LIB"] = os.path.abspath(args.abi_lib)

    import mongoauth
    from mongoauth import _lowlevel

    out = sys.stdout
    out.write(
        f"mongoauth {mongoauth.version()} from {pathlib.Path(mongoauth.__file__).parent}, cffi {_lowlevel.MODE} mode; "
        f"Python {sys.version.split()[0]}; {rounds} rounds of {logins} in-memory and {tcp_logins} socket logins\n"
    )

    cache = mongoauth.KeyCache()
    session = mongoauth.ServerSession([("admin", "alice", "pencil")])
    counter = [0]

    def py_memory(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            counter[0] += 1
            session.start(counter[0])
            with mongoauth.Authenticator("alice", "pencil", "admin", key_cache=cache) as auth:
                while not auth.handle_reply(session.handle(auth.command())):
                    pass
                if not (auth.authenticated and session.authenticated):
                    raise RuntimeError("the Python login ended unauthenticated")
        return time.perf_counter() - start

    helper = RustHelper(args.helper)
    rows: list[tuple[str, Callable[[int], float], Callable[[int], float], int]] = [
        ("in memory", lambda n: helper.run(f"mem {n}"), py_memory, logins),
        ("in memory, Rust defaults", lambda n: helper.run(f"mem-default {n}"), py_memory, logins),
    ]
    server = None
    if not args.no_tcp:
        server, port = start_server(args.server)

        def py_tcp(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                with socket.create_connection(("127.0.0.1", port)) as sock:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    with mongoauth.Authenticator("alice", "pencil", "admin", key_cache=cache) as auth:
                        auth.handshake(sock)
            return time.perf_counter() - start

        rows.append(("loopback socket", lambda n: helper.run(f"tcp 127.0.0.1:{port} {n}"), py_tcp, tcp_logins))
    try:
        ratios = {}
        for name, rust_fn, py_fn, n in rows:
            rust_fn(max(n // 10, 5))  # warm: key caches, code, sockets
            py_fn(max(n // 10, 5))
            rust: list[float] = []
            py: list[float] = []
            for _ in range(rounds):
                rust.append(rust_fn(n) / n)
                py.append(py_fn(n) / n)
            ratios[name] = summary(name, rust, py, out)
    finally:
        helper.close()
        if server is not None:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=10)
    if args.max_ratio is not None and ratios["in memory"] > args.max_ratio:
        out.write(f"in-memory ratio {ratios['in memory']:.2f}x is above {args.max_ratio}x\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
