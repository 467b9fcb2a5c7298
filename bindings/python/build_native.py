"""cffi API-mode build of `mongoauth._native`: a CPython extension that links
the Rust C library (`libmongoauth.a`, the workspace's `ffi` crate) statically,
so every call is a direct C call (no libffi, no shared library to find).

The declarations come from the C header (`mongoauth._header.preprocess`), so
C API changes flow through. The static library is `$MONGOAUTH_STATIC_LIB`
when set (a prebuilt one), else `<target>/release/libmongoauth.a`, which
`setup.py`'s build step makes with `cargo build -p mongoauth-ffi --release`
(`<target>` is `$CARGO_TARGET_DIR` or the workspace's `target/`).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib

from cffi import FFI

HERE = pathlib.Path(__file__).resolve().parent


def _load_header_module():  # type: ignore[no-untyped-def]
    # by path: importing the package would load the library it is building
    spec = importlib.util.spec_from_file_location("_mongoauth_header", HERE / "src" / "mongoauth" / "_header.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_header = _load_header_module()


def workspace_root() -> pathlib.Path:
    """The Rust workspace this binding is built from (the folder holding
    `ffi/Cargo.toml` and `include/mongoauth.h`)."""
    env = os.environ.get("MONGOAUTH_SOURCE_DIR")
    if env:
        return pathlib.Path(env).resolve()
    for folder in (HERE, *HERE.parents):
        if (folder / "ffi" / "Cargo.toml").is_file() and (folder / "include" / "mongoauth.h").is_file():
            return folder
    raise RuntimeError(
        "mongoauth's Rust workspace not found above "
        f"{HERE}: build the wheel from a checkout, or set MONGOAUTH_SOURCE_DIR"
    )


ROOT = workspace_root()
HEADER = ROOT / "include" / "mongoauth.h"
TARGET_DIR = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
STATIC_LIB = pathlib.Path(os.environ.get("MONGOAUTH_STATIC_LIB") or TARGET_DIR / "release" / "libmongoauth.a")

# What a Rust staticlib needs from the system on Linux
# (`rustc --print native-static-libs`).
NATIVE_LIBS = ["gcc_s", "util", "rt", "pthread", "m", "dl", "c"]

# C glue compiled into the extension (API mode only; `_lowlevel.MODE`):
# one call where the Python hot path would make several, each of which
# costs a cffi crossing and Python objects for its arguments. They only
# call the library's public functions; the Python code falls back to the
# separate calls when they are absent (ABI mode).
GLUE_CDEF = """
mongoauth_status mongoauth_py_authenticator_open(struct mongoauth_authenticator **out,
    struct mongoauth_key_cache *cache, uint32_t mechanism,
    const uint8_t *username, size_t username_len, const uint8_t *password, size_t password_len,
    const uint8_t *source, size_t source_len, size_t entropy_len, struct mongoauth_error *err);
mongoauth_status mongoauth_py_server_session_handle(struct mongoauth_server_session *session,
    const uint8_t *body, size_t body_len, size_t entropy_len,
    uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err);
"""

GLUE_SOURCE = """
#include "mongoauth.h"

/* new + set_key_cache (cache not NULL) + start with fresh OS entropy; on
   failure nothing is left allocated (*out is NULL). */
static mongoauth_status mongoauth_py_authenticator_open(struct mongoauth_authenticator **out,
    struct mongoauth_key_cache *cache, uint32_t mechanism,
    const uint8_t *username, size_t username_len, const uint8_t *password, size_t password_len,
    const uint8_t *source, size_t source_len, size_t entropy_len, struct mongoauth_error *err)
{
    uint8_t entropy[64];
    mongoauth_credential cred;
    mongoauth_status st;
    *out = NULL;
    if (entropy_len > sizeof entropy) {
        return MONGOAUTH_STATUS_INVALID_ARGUMENT;
    }
    st = mongoauth_random_bytes(entropy, entropy_len, err);
    if (st != MONGOAUTH_STATUS_OK) {
        return st;
    }
    st = mongoauth_authenticator_new(out, err);
    if (st != MONGOAUTH_STATUS_OK) {
        *out = NULL;
        return st;
    }
    if (cache != NULL) {
        st = mongoauth_authenticator_set_key_cache(*out, cache, err);
    }
    if (st == MONGOAUTH_STATUS_OK) {
        cred.mechanism = mechanism;
        cred.username = username;
        cred.username_len = username_len;
        cred.password = password;
        cred.password_len = password_len;
        cred.source = source;
        cred.source_len = source_len;
        st = mongoauth_authenticator_start(*out, &cred, entropy, entropy_len, err);
    }
    (void)mongoauth_memory_zero(entropy, sizeof entropy);
    if (st != MONGOAUTH_STATUS_OK) {
        (void)mongoauth_authenticator_free(*out);
        *out = NULL;
    }
    return st;
}

/* handle with fresh OS entropy (the server nonce). */
static mongoauth_status mongoauth_py_server_session_handle(struct mongoauth_server_session *session,
    const uint8_t *body, size_t body_len, size_t entropy_len,
    uint8_t *out, size_t capacity, size_t *written, struct mongoauth_error *err)
{
    uint8_t entropy[64];
    mongoauth_status st;
    if (entropy_len > sizeof entropy) {
        return MONGOAUTH_STATUS_INVALID_ARGUMENT;
    }
    st = mongoauth_random_bytes(entropy, entropy_len, err);
    if (st != MONGOAUTH_STATUS_OK) {
        return st;
    }
    st = mongoauth_server_session_handle(session, body, body_len, entropy, entropy_len, out, capacity,
                                         written, err);
    (void)mongoauth_memory_zero(entropy, sizeof entropy);
    return st;
}
"""

ffibuilder = FFI()
ffibuilder.cdef(_header.preprocess(HEADER) + GLUE_CDEF)
ffibuilder.set_source(
    "mongoauth._native",
    GLUE_SOURCE,
    include_dirs=[str(HEADER.parent)],
    extra_objects=[str(STATIC_LIB)],
    libraries=NATIVE_LIBS,
    # drop unused Rust code; keep the static library's symbols private
    # (and no debug information or static symbols: a 1 MB extension)
    extra_link_args=["-Wl,--gc-sections", "-Wl,--exclude-libs,ALL", "-Wl,--strip-all"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
