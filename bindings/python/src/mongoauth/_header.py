"""The cffi declarations, generated from the C header (include/mongoauth.h)
rather than copied by hand, so a change of the C API (a renamed function, a
new field) reaches the binding at the next build.

The header is run through the C preprocessor (`cc -E -P`) with empty
stand-ins for the standard headers (cffi knows `uint8_t`, `size_t`, `bool`
...), then what cffi's parser does not take is removed: compiler
attributes (`__attribute__((...))`, `[[...]]`, `__declspec(...)`) and
static assertions. Used by `build_native.py` (API mode, at wheel build
time) and by `_lowlevel` in development ABI mode (`MONGOAUTH_LIB`).
"""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess
import tempfile

_STD_HEADERS = ("stdbool.h", "stddef.h", "stdint.h")


def _skip_balanced(text: str, i: int, opening: str, closing: str) -> int:
    """The index just past the `closing` that balances an `opening` already
    passed (`i` is right after it), or the end of `text`."""
    depth = 1
    while i < len(text) and depth:
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
        i += 1
    return i


def _strip_balanced(text: str, keyword: str) -> str:
    """Remove every `keyword(...)` (parentheses balanced) from `text`."""
    out: list[str] = []
    pos = 0
    pattern = re.compile(r"\b" + re.escape(keyword) + r"\s*\(")
    while True:
        m = pattern.search(text, pos)
        if m is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : m.start()])
        pos = _skip_balanced(text, m.end(), "(", ")")


def _strip_inline_functions(text: str) -> str:
    """Remove `static inline` function definitions (declaration and braced
    body): cffi declares functions, it does not compile bodies; the
    library's exported functions are what the binding calls."""
    out: list[str] = []
    pos = 0
    pattern = re.compile(r"\bstatic\s+(?:__inline__|__inline|inline)\b")
    while True:
        m = pattern.search(text, pos)
        if m is None:
            out.append(text[pos:])
            return "".join(out)
        brace = text.find("{", m.end())
        semicolon = text.find(";", m.end())
        if brace < 0 or 0 <= semicolon < brace:  # a declaration only: drop it
            out.append(text[pos : m.start()])
            pos = len(text) if semicolon < 0 else semicolon + 1
            continue
        out.append(text[pos : m.start()])
        pos = _skip_balanced(text, brace + 1, "{", "}")


def clean(preprocessed: str) -> str:
    """Make preprocessed C declarations acceptable to `FFI.cdef`."""
    text = _strip_inline_functions(preprocessed)
    for keyword in ("__attribute__", "__declspec", "__extension__"):
        text = _strip_balanced(text, keyword)
    text = re.sub(r"\[\[.*?\]\]", "", text, flags=re.S)
    # static assertions (C11 and C23 spellings), whole statements
    text = re.sub(r"^\s*(_Static_assert|static_assert)\s*\(.*?\)\s*;\s*$", "", text, flags=re.M | re.S)
    text = re.sub(r"\b(__inline__|__restrict__|__restrict|restrict)\b", "", text)
    return text


def preprocess(header: str | os.PathLike[str], cc: str | None = None) -> str:
    """Run the C preprocessor over `header` (its own folder on the include
    path, the standard headers stubbed out) and return `clean` text."""
    header = pathlib.Path(header)
    compiler = shlex.split(cc or os.environ.get("CC") or "cc")
    with tempfile.TemporaryDirectory(prefix="mongoauth-cdef-") as stubs:
        for name in _STD_HEADERS:
            pathlib.Path(stubs, name).write_text("")
        cmd = compiler + [
            "-E",
            "-P",
            "-std=c11",
            "-nostdinc",
            "-U__GNUC__",
            "-U__clang__",
            "-I",
            stubs,
            "-I",
            str(header.parent),
            str(header),
        ]
        result = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return clean(result.stdout)


def find_header(start: str | os.PathLike[str]) -> pathlib.Path | None:
    """`include/mongoauth.h` in `start` or the nearest parent that has one."""
    here = pathlib.Path(start).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "include" / "mongoauth.h"
        if candidate.is_file():
            return candidate
    return None
