"""The one-to-one layer: declarations match the header, constants and struct
sizes match the library, statuses map to exceptions by code."""

import os
import pathlib
import re

import pytest

from mongoauth import _lowlevel as ll
from mongoauth import exceptions as ex

ffi, lib = ll.ffi, ll.lib
# The header of the checkout the library was built from ($MONGOAUTH_HEADER
# when the tests run from a copy outside it, against an installed wheel).
HEADER = pathlib.Path(
    os.environ.get("MONGOAUTH_HEADER") or pathlib.Path(__file__).resolve().parents[3] / "include" / "mongoauth.h"
)


def header_functions():
    # the umbrella header and any per-object header next to it
    text = "\n".join(h.read_text() for h in sorted(HEADER.parent.rglob("*.h")))
    # declarations start a line at column 0 (comments are indented " * ")
    return set(re.findall(r"^[a-z][^\n(]*?\b(mongoauth_[a-z0-9_]+)\(", text, re.M))


def test_library_has_every_header_function():
    # the declarations are generated from the header: none is missing
    declared = {name for name in dir(lib) if name.startswith("mongoauth_") and callable(getattr(lib, name))}
    assert header_functions() <= declared
    assert len(header_functions()) > 100


def test_struct_sizes_match_the_library():
    assert ffi.sizeof("mongoauth_error") == lib.mongoauth_error_size()
    assert ffi.sizeof("mongoauth_scram_keys") == lib.mongoauth_scram_keys_size()
    assert ffi.sizeof("mongoauth_scram_credentials") == lib.mongoauth_scram_credentials_size()
    assert ffi.sizeof(ffi.new("mongoauth_error *").message) == lib.mongoauth_error_message_size()


def test_header_macros_match_runtime_functions():
    text = "\n".join(h.read_text() for h in sorted(HEADER.parent.rglob("*.h")))
    macros = dict(re.findall(r"^#define (MONGOAUTH_[A-Z0-9_]+) (\d+)$", text, re.M))
    checked = 0
    for name, value in macros.items():
        fn = getattr(lib, name.lower(), None)
        if fn is not None:
            assert fn() == int(value), name
            checked += 1
    assert checked >= 20


def test_status_enum_matches_the_library():
    for code in range(0, 1000):
        name = ll.status_name(code)
        if code in ex.Status._value2member_map_:
            assert name == "MONGOAUTH_STATUS_" + ex.Status(code).name
            assert ex.BY_CODE.get(code) is not None or code == 0
            assert ll.strerror(code) != "unknown status code"
        else:
            assert name == "MONGOAUTH_STATUS_UNKNOWN"


def test_exceptions_are_keyed_by_code():
    assert isinstance(ex.error_for(2, "x"), ex.BufferTooSmall)
    assert isinstance(ex.error_for(2, "x"), ValueError)
    assert isinstance(ex.error_for(107, "anything at all"), ex.AuthenticationFailed)
    e = ex.error_for(150, "future SCRAM code")
    assert type(e) is ex.ScramError and e.code == 150
    assert type(ex.error_for(250, "uri")) is ex.UriError
    assert type(ex.error_for(499, "io")) is ex.HandshakeError
    assert type(ex.error_for(550, "future GSS code")) is ex.GssError
    assert type(ex.error_for(650, "future")) is ex.MongoauthError


def test_version():
    assert ll.version() == "0.1.0"
    assert ll.version_number() == 100


def test_buffer_too_small_reports_the_size_needed():
    c = ll.scram_client_new()
    try:
        ll.scram_client_start(c, 2, b"user", b"pencil", b"\x01" * 24)
        full = ll.scram_client_message(c)
        written = ffi.new("size_t *")
        buf = ffi.new("uint8_t[4]")
        err = ffi.new("mongoauth_error *")
        st = lib.mongoauth_scram_client_message(c, buf, 4, written, err)
        assert st == ex.Status.BUFFER_TOO_SMALL
        assert written[0] == len(full)
        assert err.status == st
        with pytest.raises(ex.BufferTooSmall) as info:
            ll.ensure(st, err, written[0])
        assert info.value.needed == len(full)
    finally:
        ll.scram_client_free(c)


def test_misuse_raises_by_code():
    c = ll.scram_client_new()
    try:
        with pytest.raises(ex.UnexpectedStep):
            ll.scram_client_message(c)
        with pytest.raises(ex.InvalidUtf8):
            ll.scram_client_start(c, 2, b"\xff", b"pencil", b"\x01" * 24)
        with pytest.raises(ex.InvalidArgument):
            ll.scram_client_start(c, 99, b"user", b"pencil", b"\x01" * 24)
        with pytest.raises(ex.InvalidNonce):
            ll.scram_client_start(c, 2, b"user", b"pencil", b"\x01" * 3)
        with pytest.raises(ex.NullPointer):
            ll.ensure(lib.mongoauth_scram_client_start(c, 2, ffi.NULL, 4, ffi.NULL, 0, ffi.NULL, 0, ffi.NULL))
    finally:
        ll.scram_client_free(c)
    # caller memory: size, alignment, wrong deallocation, use after clear
    mem = ffi.new("uint64_t[]", lib.mongoauth_scram_client_size() // 8 + 1)
    out = ffi.new("mongoauth_scram_client **")
    err = ffi.new("mongoauth_error *")
    assert lib.mongoauth_scram_client_init_static(mem, lib.mongoauth_scram_client_size() - 1, out, err) == ex.Status.MEMORY_TOO_SMALL
    assert lib.mongoauth_scram_client_init_static(ffi.cast("uint8_t *", mem) + 1, lib.mongoauth_scram_client_size(), out, err) == ex.Status.MEMORY_MISALIGNED
    assert lib.mongoauth_scram_client_init_static(mem, lib.mongoauth_scram_client_size(), out, err) == 0
    assert lib.mongoauth_scram_client_free(out[0]) == ex.Status.WRONG_ALLOCATION
    assert lib.mongoauth_scram_client_clear(out[0], err) == 0
    with pytest.raises(ex.ObjectFreed):
        ll.scram_client_start(out[0], 2, b"user", b"pencil", b"\x01" * 24)
    assert lib.mongoauth_scram_client_clear(out[0], err) == ex.Status.OBJECT_FREED
    # memory that never held an object is another error
    zero = ffi.new("uint64_t[]", lib.mongoauth_scram_client_size() // 8 + 1)
    with pytest.raises(ex.InvalidObject):
        ll.scram_client_start(ffi.cast("mongoauth_scram_client *", zero), 2, b"user", b"pencil", b"\x01" * 24)


def test_mechanisms():
    assert ll.mechanism_name(1) == "SCRAM-SHA-1"
    assert ll.mechanism_name(2) == "SCRAM-SHA-256"
    assert ll.mechanism_name(3) == "PLAIN"
    assert ll.mechanism_name(8) is None
    assert ll.mechanism_from_name("SCRAM-SHA-256") == 2
    with pytest.raises(ex.UnsupportedMechanism):
        ll.mechanism_from_name("PLAIN")
