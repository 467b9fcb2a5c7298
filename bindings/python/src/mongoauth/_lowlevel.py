"""One-to-one layer over the C ABI: each function here calls exactly one C
function, checks lengths, turns a non-OK status into an exception (by code,
never by message text) and returns Python values.

The library is the compiled extension `mongoauth._native` (cffi API mode,
the Rust library linked in statically: direct C calls). For development
only, `$MONGOAUTH_LIB` names a shared `libmongoauth.so` to load instead
(cffi ABI mode, declarations generated from `$MONGOAUTH_HEADER`, else the
`include/mongoauth.h` above the library or above this package): e.g. a library built with other cargo features.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from .exceptions import BufferTooSmall, Status, error_for

#: A cffi `CData` (a C pointer, array or struct): typed as Any, as cffi's
#: values are dynamic.
CData = Any


def _load() -> tuple[Any, Any, str]:
    path = os.environ.get("MONGOAUTH_LIB")
    if not path:
        from ._native import ffi as native_ffi, lib as native_lib

        return native_ffi, native_lib, "api"
    from cffi import FFI

    from ._header import find_header, preprocess

    # the header next to the library (a cargo target dir in a checkout),
    # else the checkout this package is in
    header = (
        os.environ.get("MONGOAUTH_HEADER")
        or find_header(os.path.dirname(os.path.abspath(path)))
        or find_header(os.path.dirname(os.path.abspath(__file__)))
    )
    if header is None:
        raise OSError(f"MONGOAUTH_LIB={path}: include/mongoauth.h not found above it; set MONGOAUTH_HEADER")
    abi_ffi = FFI()
    abi_ffi.cdef(preprocess(header))
    abi_lib = abi_ffi.dlopen(path)
    # Resolve every symbol now: cffi resolves them lazily under its lock,
    # which a finalizer (`__del__` freeing a C object) running during
    # another cffi call on the same thread would wait for forever.
    for name in dir(abi_lib):
        getattr(abi_lib, name)
    return abi_ffi, abi_lib, "abi"


#: The cffi FFI object and the library (`lib.mongoauth_*`); `MODE` is "api"
#: (the compiled extension) or "abi" (`$MONGOAUTH_LIB`, development).
ffi, lib, MODE = _load()

# Sizes, read from the library at import time (not hard-coded).
SCRAM_MAX_MESSAGE_BYTES: int = int(lib.mongoauth_scram_max_message_bytes())
MAX_USERNAME_BYTES: int = int(lib.mongoauth_scram_max_username_bytes())
MAX_PASSWORD_BYTES: int = int(lib.mongoauth_scram_max_password_bytes())
MIN_ENTROPY_BYTES: int = int(lib.mongoauth_scram_min_entropy_bytes())
MAX_ENTROPY_BYTES: int = int(lib.mongoauth_scram_max_entropy_bytes())
MIN_ITERATIONS: int = int(lib.mongoauth_scram_min_iterations())
DEFAULT_MAX_ITERATIONS: int = int(lib.mongoauth_scram_default_max_iterations())
MAX_SALT_BYTES: int = int(lib.mongoauth_scram_max_salt_bytes())
MAX_KEY_BYTES: int = int(lib.mongoauth_scram_max_key_bytes())

MECHANISM_SCRAM_SHA_1 = 1
MECHANISM_SCRAM_SHA_256 = 2


def _err() -> CData:
    """A fresh `mongoauth_error` record."""
    return ffi.new("mongoauth_error *")


def ensure(status: int, err: CData = None, needed: int | None = None) -> None:
    """Raise the exception for a non-OK status (keyed by the code)."""
    if status == 0:
        return
    message = ""
    if err is not None and err.status == status:
        message = ffi.string(err.message, err.message_len).decode("utf-8", "replace")
    if not message:
        message = _text(lib.mongoauth_status_strerror(status))
    offset, server_code, major, minor = None, 0, 0, 0
    if err is not None and err.status == status:
        offset = None if err.offset < 0 else int(err.offset)
        server_code = int(err.server_code)
        major, minor = int(err.gss_major), int(err.gss_minor)
    exc = error_for(status, message, offset=offset, server_code=server_code, gss_major=major, gss_minor=minor)
    if isinstance(exc, BufferTooSmall) and needed is not None:
        exc.needed = needed
    raise exc


def _text(p: CData) -> str:
    """A C string (NUL-terminated, UTF-8) as str."""
    raw = ffi.string(p)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _in(data: bytes | None) -> tuple[CData, int]:
    """(pointer, length) for an input; None → NULL, 0."""
    if data is None:
        return ffi.NULL, 0
    return ffi.from_buffer("uint8_t[]", data), len(data)


def _read(fn: Callable[..., int], obj: CData, capacity: int) -> bytes:
    """Call an (out, capacity, *written) function, retrying once with the
    size the library says it needs."""
    written = ffi.new("size_t *")
    err = _err()
    buf = ffi.new("uint8_t[]", max(capacity, 1))
    st = fn(obj, buf, capacity, written, err)
    if st == Status.BUFFER_TOO_SMALL:
        capacity = int(written[0])
        buf = ffi.new("uint8_t[]", capacity)
        st = fn(obj, buf, capacity, written, err)
    ensure(st, err, int(written[0]))
    return bytes(ffi.buffer(buf, written[0]))


# ---- library -----------------------------------------------------------------
def version() -> str:
    """The library's version string."""
    return _text(lib.mongoauth_version_string())


def version_number() -> int:
    """MAJOR * 10000 + MINOR * 100 + PATCH."""
    return int(lib.mongoauth_version_number())


def status_name(code: int) -> str:
    """The C name of a status code."""
    return _text(lib.mongoauth_status_name(code))


def strerror(code: int) -> str:
    """The library's generic text for a status code."""
    return _text(lib.mongoauth_status_strerror(code))


def mechanism_name(mechanism: int) -> str | None:
    """A mechanism number's name, or None for an unknown number."""
    p = lib.mongoauth_mechanism_name(mechanism)
    return None if p == ffi.NULL else _text(p)


def mechanism_from_name(name: str) -> int:
    out = ffi.new("uint32_t *")
    err = _err()
    p, n = _in(name.encode())
    ensure(lib.mongoauth_mechanism_from_name(p, n, out, err), err)
    return int(out[0])


def random_bytes(n: int) -> bytes:
    buf = ffi.new("uint8_t[]", max(n, 1))
    err = _err()
    ensure(lib.mongoauth_random_bytes(buf, n, err), err)
    return bytes(ffi.buffer(buf, n))


def memzero(ptr: CData, size: int) -> None:
    ensure(lib.mongoauth_memory_zero(ptr, size))


# ---- key cache -------------------------------------------------------------------
def key_cache_new() -> CData:
    out = ffi.new("mongoauth_key_cache **")
    err = _err()
    ensure(lib.mongoauth_key_cache_new(out, err), err)
    return out[0]


def key_cache_free(cache: CData) -> None:
    ensure(lib.mongoauth_key_cache_free(cache))


def key_cache_purge(cache: CData) -> None:
    err = _err()
    ensure(lib.mongoauth_key_cache_purge(cache, err), err)


def key_cache_len(cache: CData) -> int:
    out = ffi.new("size_t *")
    err = _err()
    ensure(lib.mongoauth_key_cache_len(cache, out, err), err)
    return int(out[0])


# ---- client ------------------------------------------------------------------------
def scram_client_new() -> CData:
    out = ffi.new("mongoauth_scram_client **")
    err = _err()
    ensure(lib.mongoauth_scram_client_new(out, err), err)
    return out[0]


def scram_client_free(client: CData) -> None:
    ensure(lib.mongoauth_scram_client_free(client))


def scram_client_set_max_iterations(client: CData, max_iterations: int) -> None:
    err = _err()
    ensure(lib.mongoauth_scram_client_set_max_iterations(client, max_iterations, err), err)


def scram_client_start(client: CData, mechanism: int, username: bytes, password: bytes, entropy: bytes) -> None:
    err = _err()
    u, ul = _in(username)
    p, pl = _in(password)
    e, el = _in(entropy)
    ensure(lib.mongoauth_scram_client_start(client, mechanism, u, ul, p, pl, e, el, err), err)


def scram_client_start_with_keys(client: CData, username: bytes, keys: CData, entropy: bytes) -> None:
    err = _err()
    u, ul = _in(username)
    e, el = _in(entropy)
    ensure(lib.mongoauth_scram_client_start_with_keys(client, u, ul, keys, e, el, err), err)


def scram_client_message(client: CData) -> bytes:
    return _read(lib.mongoauth_scram_client_message, client, SCRAM_MAX_MESSAGE_BYTES)


def scram_client_step(client: CData, data: bytes, cache: CData = ffi.NULL) -> bool:
    err = _err()
    done = ffi.new("bool *")
    p, n = _in(data)
    ensure(lib.mongoauth_scram_client_step(client, p, n, cache, done, err), err)
    return bool(done[0])


def scram_client_is_authenticated(client: CData) -> bool:
    return bool(lib.mongoauth_scram_client_is_authenticated(client))


def scram_client_mechanism(client: CData) -> int:
    out = ffi.new("uint32_t *")
    err = _err()
    ensure(lib.mongoauth_scram_client_mechanism(client, out, err), err)
    return int(out[0])


def scram_client_keys(client: CData) -> CData:
    keys = ffi.new("mongoauth_scram_keys *")
    err = _err()
    ensure(lib.mongoauth_scram_client_keys(client, keys, err), err)
    return keys


# ---- credentials -----------------------------------------------------------------------
def scram_credentials_generate(mechanism: int, username: bytes, password: bytes, salt: bytes, iterations: int) -> CData:
    out = ffi.new("mongoauth_scram_credentials *")
    err = _err()
    u, ul = _in(username)
    p, pl = _in(password)
    s, sl = _in(salt)
    ensure(lib.mongoauth_scram_credentials_generate(mechanism, u, ul, p, pl, s, sl, iterations, out, err), err)
    return out


def scram_credentials_decoy(mechanism: int, secret: bytes, username: bytes) -> CData:
    out = ffi.new("mongoauth_scram_credentials *")
    err = _err()
    s, sl = _in(secret)
    u, ul = _in(username)
    ensure(lib.mongoauth_scram_credentials_decoy(mechanism, s, sl, u, ul, out, err), err)
    return out


# ---- server ----------------------------------------------------------------------------
def scram_server_new() -> CData:
    out = ffi.new("mongoauth_scram_server **")
    err = _err()
    ensure(lib.mongoauth_scram_server_new(out, err), err)
    return out[0]


def scram_server_free(server: CData) -> None:
    ensure(lib.mongoauth_scram_server_free(server))


def scram_server_start(server: CData, mechanism: int) -> None:
    err = _err()
    ensure(lib.mongoauth_scram_server_start(server, mechanism, err), err)


def scram_server_handle_client_first(server: CData, data: bytes) -> None:
    err = _err()
    p, n = _in(data)
    ensure(lib.mongoauth_scram_server_handle_client_first(server, p, n, err), err)


def scram_server_username(server: CData) -> bytes:
    return _read(lib.mongoauth_scram_server_username, server, MAX_USERNAME_BYTES)


def scram_server_respond(server: CData, credentials: CData, entropy: bytes) -> None:
    err = _err()
    e, el = _in(entropy)
    ensure(lib.mongoauth_scram_server_respond(server, credentials, e, el, err), err)


def scram_server_handle_client_final(server: CData, data: bytes) -> None:
    err = _err()
    p, n = _in(data)
    ensure(lib.mongoauth_scram_server_handle_client_final(server, p, n, err), err)


def scram_server_message(server: CData) -> bytes:
    return _read(lib.mongoauth_scram_server_message, server, SCRAM_MAX_MESSAGE_BYTES)


def scram_server_is_authenticated(server: CData) -> bool:
    return bool(lib.mongoauth_scram_server_is_authenticated(server))
