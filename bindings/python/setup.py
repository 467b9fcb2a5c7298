"""Builds the platform wheel: `mongoauth._native` (cffi API mode, see
build_native.py) with the Rust library linked in statically. The metadata
is in pyproject.toml."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class BuildExtWithCargo(build_ext):
    """Build the Rust static library (cargo) before compiling the extension."""

    def pre_run(self, ext: Any, ffi: Any) -> None:  # called by cffi's build_ext
        if os.environ.get("MONGOAUTH_STATIC_LIB"):
            return
        import build_native

        subprocess.run(
            ["cargo", "build", "-p", "mongoauth-ffi", "--release", "--lib"],
            cwd=build_native.ROOT,
            check=True,
        )


setup(
    cmdclass={"build_ext": BuildExtWithCargo},
    cffi_modules=["build_native.py:ffibuilder"],
)
