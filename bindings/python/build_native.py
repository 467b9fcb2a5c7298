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

ffibuilder = FFI()
ffibuilder.cdef(_header.preprocess(HEADER))
ffibuilder.set_source(
    "mongoauth._native",
    '#include "mongoauth.h"\n',
    include_dirs=[str(HEADER.parent)],
    extra_objects=[str(STATIC_LIB)],
    libraries=NATIVE_LIBS,
    # drop unused Rust code; keep the static library's symbols private
    extra_link_args=["-Wl,--gc-sections", "-Wl,--exclude-libs,ALL"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
