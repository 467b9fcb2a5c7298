#!/usr/bin/env python3
"""Generate the C headers of mongoauth from the Rust sources of ffi/.

    ffi/gen-headers.py            write include/mongoauth.h and include/mongoauth/*.h
    ffi/gen-headers.py --check    regenerate into a temporary directory and fail
                                  (exit 1, with a diff) if any committed file differs

cbindgen 0.29.4 (target/tools/bin/cbindgen, or $CBINDGEN) turns ffi/src into one
intermediate header (config ffi/cbindgen.toml); this script splits it per object,
as libsodium does: each item goes to the header of the object its name starts with
(the OBJECTS table below; an item that matches none is an error, so a new object
needs an entry here). Every header includes the headers whose types or constants
it uses (found by scanning the declarations) and compiles on its own; the umbrella
include/mongoauth.h includes them all. Every function gets MONGOAUTH_API (export),
and every function returning mongoauth_status also MONGOAUTH_NODISCARD. Standard
library only; the output depends on nothing but cbindgen's output (deterministic).
"""

import difflib
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (header, description, name prefixes). An item belongs to the header with the
# longest prefix that equals its lower-cased name or is followed by "_" in it.
OBJECTS = [
    ("common",
     "What every header needs: status codes (mongoauth_status_*), the error record\n"
     " * (mongoauth_error_*), version (mongoauth_version_*), mechanism numbers\n"
     " * (mongoauth_mechanism_*), memory wiping (mongoauth_memory_zero), OS randomness\n"
     " * (mongoauth_random_bytes), and the export, no-discard and alignment macros.\n"
     " * Calls about the library as a whole are named after what they are about\n"
     " * (status, version, error, mechanism, memory, random), so that every exported\n"
     " * name is mongoauth_<object>_<verb> and the object tells which header has it.",
     ["mongoauth_version", "mongoauth_status", "mongoauth_error", "mongoauth_memory",
      "mongoauth_random", "mongoauth_mechanism", "mongoauth_no_offset"]),
    ("scram",
     "SCRAM as a whole: the limits its client and server share (mongoauth_scram_*),\n"
     " * exported keys (mongoauth_scram_keys) and stored credentials\n"
     " * (mongoauth_scram_credentials_*: generate, decoy).",
     ["mongoauth_scram", "mongoauth_scram_keys", "mongoauth_scram_credentials"]),
    ("key_cache",
     "Derived SCRAM keys shared by authenticators, to skip PBKDF2 on later logins\n"
     " * (mongoauth_key_cache_*).",
     ["mongoauth_key_cache"]),
    ("scram_client",
     "The SCRAM client conversation, message by message (mongoauth_scram_client_*).",
     ["mongoauth_scram_client"]),
    ("scram_server",
     "The SCRAM server conversation, message by message (mongoauth_scram_server_*).",
     ["mongoauth_scram_server"]),
    ("uri",
     "Connection strings: parse, query, encode (mongoauth_uri_*).",
     ["mongoauth_uri", "mongoauth_host_kind"]),
    ("gss",
     "GSSAPI (Kerberos): the GSS-API calls the library asks for, as callbacks or\n"
     " * step by step, and their limits (mongoauth_gss_*).",
     ["mongoauth_gss"]),
    ("authenticator",
     "The client side of a MongoDB login over any mechanism, command by command or\n"
     " * through a handshake over caller I/O (mongoauth_authenticator_*).",
     ["mongoauth_authenticator", "mongoauth_next", "mongoauth_credential",
      "mongoauth_read_fn", "mongoauth_write_fn", "mongoauth_clock_fn"]),
    ("server_session",
     "The server side of a MongoDB login on one connection: users, hello and\n"
     " * SASL commands, replies (mongoauth_server_session_*).",
     ["mongoauth_server_session"]),
]

PREAMBLE = """/*
 * mongoauth: MongoDB authentication (SCRAM-SHA-1, SCRAM-SHA-256, and more) for C.
 *
 * Conventions
 * - Every fallible call returns a mongoauth_status (uint32_t): 0 is
 *   MONGOAUTH_STATUS_OK; codes are pinned and grouped by range (1-99 the
 *   caller's fault, 100-199 SCRAM peer/login, 200-299 connection strings,
 *   300-399 BSON/OP_MSG, 400-499 server replies and handshake I/O, 500-599
 *   GSSAPI: the GSS-API library failed, 900-999 bugs). mongoauth_status_name()
 *   and mongoauth_status_strerror() describe any code. Branch on codes, never
 *   text. Status-returning calls are MONGOAUTH_NODISCARD: the compiler warns
 *   when a status is ignored.
 * - Predicates (mongoauth_*_is_*, _used_speculative, _available) return
 *   bool: a NULL or invalid object answers false.
 * - The last argument, mongoauth_error *err, may be NULL; when given it is
 *   filled on failure with the status and a specific message that never
 *   contains a secret. Outputs are written only on success, except *written
 *   on MONGOAUTH_STATUS_BUFFER_TOO_SMALL, which holds the size needed.
 * - Inputs are (pointer, length) pairs, not NUL-terminated; usernames and
 *   passwords must be UTF-8. NULL is accepted only with length 0.
 * - Names are mongoauth_<object>_<verb>; each object has its header,
 *   mongoauth/<object>.h (it compiles on its own); mongoauth.h has them all.
 * - Objects (client, server, key cache, uri, authenticator, server
 *   session) live in caller memory
 *   (MONGOAUTH_*_SIZE / _ALIGN, or just declare the struct; then
 *   _init_static and finally _clear) or on the heap (_new / _free, unless
 *   MONGOAUTH_FREESTANDING). They are not thread-safe: one call at a time
 *   per object (a key cache shared by authenticators: see
 *   mongoauth_key_cache).
 * - Misuse of an object is a status: memory that never held an object of
 *   the type is MONGOAUTH_STATUS_INVALID_OBJECT; a caller-memory object
 *   used after _clear (or cleared twice) is MONGOAUTH_STATUS_OBJECT_FREED
 *   until it is initialised again; a call on an object from inside one of
 *   its own callbacks (mongoauth_authenticator_handshake's read/write) is
 *   MONGOAUTH_STATUS_BUSY and does nothing. Undefined, not detected: using
 *   a heap object after _free or freeing it twice (its memory may be
 *   unmapped or reused, as after free()), using one object from two
 *   threads at once, and _init_static over a live object (its state is
 *   wiped and lost, not released).
 * - Moving: every object may be moved (memcpy, realloc of caller memory)
 *   between calls; none holds a pointer into itself. Pointers a call hands
 *   out into an object (mongoauth_authenticator_gss_request's) are valid
 *   until the next call on it, and not after a move. A key cache used by
 *   authenticators, and the user_data of GSS callbacks a session keeps, must
 *   stay in place.
 * - GSSAPI: the library runs the SASL conversation; the GSS-API calls are
 *   yours (mongoauth_gss_callbacks, or step by step after
 *   MONGOAUTH_NEXT_NEED_GSS_*), or the system library's when built with
 *   the cargo feature gssapi-system (mongoauth_gss_system_available()).
 * - Length arguments with a documented limit (MONGOAUTH_*_MAX_*_BYTES) are
 *   checked against it before any byte behind the pointer is read: a
 *   longer one is MONGOAUTH_STATUS_CAPACITY.
 * - Randomness comes from the caller (entropy arguments: 24 to 48 bytes from
 *   a CSPRNG), or from mongoauth_random_bytes() in hosted builds.
 * - No panic crosses the boundary; NULL and misuse are reported as statuses.
 */"""

MACROS = """/* Hosted builds (the default library) have heap objects and OS randomness.
 * Define MONGOAUTH_FREESTANDING when linking the no_std library
 * (cargo build --no-default-features --features panic-handler). */
#if !defined(MONGOAUTH_FREESTANDING)
#define MONGOAUTH_FEATURE_ALLOC 1
#define MONGOAUTH_FEATURE_STD 1
#endif

/* MONGOAUTH_API marks every function of the library: exported from the
 * shared library. On Windows it is dllimport for users of the DLL; define
 * MONGOAUTH_STATIC when linking the static library (pkg-config --static and
 * the CMake target mongoauth::mongoauth_static do), MONGOAUTH_BUILDING when
 * building the DLL itself. Define MONGOAUTH_API yourself to override. */
#if !defined(MONGOAUTH_API)
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(MONGOAUTH_STATIC)
#define MONGOAUTH_API
#elif defined(MONGOAUTH_BUILDING)
#define MONGOAUTH_API __declspec(dllexport)
#else
#define MONGOAUTH_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define MONGOAUTH_API __attribute__((visibility("default")))
#else
#define MONGOAUTH_API
#endif
#endif

/* MONGOAUTH_NODISCARD marks every call that returns a mongoauth_status: the
 * compiler warns when the status is dropped. C23 and C++17 [[nodiscard]]
 * (a (void) cast silences it), else warn_unused_result on GCC and Clang
 * (GCC, unlike Clang, ignores a (void) cast there: check the status, or
 * write (void)!call), else nothing. Define it empty yourself to opt out. */
#if !defined(MONGOAUTH_NODISCARD)
#if defined(__cplusplus) && (__cplusplus >= 201703L || (defined(_MSVC_LANG) && _MSVC_LANG >= 201703L))
#define MONGOAUTH_NODISCARD [[nodiscard]]
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 202311L
#define MONGOAUTH_NODISCARD [[nodiscard]]
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ > 201710L && \\
    defined(__has_c_attribute)
#if __has_c_attribute(nodiscard)
#define MONGOAUTH_NODISCARD [[nodiscard]]
#endif
#endif
#if !defined(MONGOAUTH_NODISCARD)
#if defined(__GNUC__) || defined(__clang__)
#define MONGOAUTH_NODISCARD __attribute__((warn_unused_result))
#else
#define MONGOAUTH_NODISCARD
#endif
#endif
#endif

/* Alignment of the caller-memory object types. */
#if defined(__GNUC__) || defined(__clang__)
#define MONGOAUTH_ALIGNED(n) __attribute__((aligned(n)))
#elif defined(_MSC_VER)
#define MONGOAUTH_ALIGNED(n) __declspec(align(n))
#else
#define MONGOAUTH_ALIGNED(n)
#endif

/* Compile-time checks of the sizes the headers promise (C11, C++11). */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define MONGOAUTH_STATIC_ASSERT(c, m) static_assert(c, m)
#define MONGOAUTH_ALIGNOF(t) alignof(t)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MONGOAUTH_STATIC_ASSERT(c, m) _Static_assert(c, m)
#define MONGOAUTH_ALIGNOF(t) _Alignof(t)
#endif"""

AUTOGEN = "/* Generated by ffi/gen-headers.py from cbindgen's output for ffi/src: do not edit. */"
SPDX = "/* SPDX-License-Identifier: Apache-2.0 */"


def die(msg):
    sys.stderr.write("gen-headers: " + msg + "\n")
    sys.exit(2)


def run_cbindgen():
    cbindgen = os.environ.get("CBINDGEN") or os.path.join(ROOT, "target/tools/bin/cbindgen")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "all.h")
        subprocess.run([cbindgen, "-q", "--config", "ffi/cbindgen.toml", "--crate", "mongoauth-ffi",
                        "--output", out, "ffi"], cwd=ROOT, check=True)
        with open(out) as f:
            return f.read()


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def chunks_of(lines):
    """Split lines into items at blank lines outside braces and #if blocks."""
    chunks, cur, braces, ifs = [], [], 0, 0
    for line in lines:
        if not line.strip() and braces == 0 and ifs == 0:
            if cur:
                chunks.append(cur)
                cur = []
            continue
        cur.append(line)
        s = line.strip()
        if s.startswith("#if"):
            ifs += 1
        elif s.startswith("#endif"):
            ifs -= 1
        if not s.startswith("#"):
            code = strip_comments(s)
            braces += code.count("{") - code.count("}")
    if cur:
        chunks.append(cur)
    return chunks


def item_name(chunk):
    text = "\n".join(chunk)
    m = re.search(r"^#define (MONGOAUTH_\w+)", text, re.M)
    if m:
        return "const", m.group(1)
    code = strip_comments(text)
    code = "\n".join(l for l in code.split("\n") if not l.strip().startswith("#"))
    for kind, pat in (("enum", r"\benum (\w+)"),
                      ("struct", r"\btypedef struct (?:MONGOAUTH_ALIGNED\(\d+\) )?(\w+)"),
                      ("fntype", r"\btypedef [^;]*?\(\*(\w+)\)"),
                      ("fn", r"\b(mongoauth_\w+)\(")):
        m = re.search(pat, code)
        if m:
            return kind, m.group(1)
    die("cannot name this item:\n" + text)


def object_of(name):
    low = name.lower()
    best, best_len = None, -1
    for header, _, prefixes in OBJECTS:
        for p in prefixes:
            if (low == p or low.startswith(p + "_")) and len(p) > best_len:
                best, best_len = header, len(p)
    if best is None:
        die("no object (OBJECTS in ffi/gen-headers.py) for " + name)
    return best


def decorate_fn(chunk):
    """Put MONGOAUTH_NODISCARD (status-returning calls) and MONGOAUTH_API on a
    line of their own before the declaration."""
    out, done, in_comment = [], False, False
    for line in chunk:
        s = line.strip()
        if not done and not in_comment and not s.startswith("#") and not s.startswith("/*"):
            attrs = "MONGOAUTH_API"
            if re.match(r"mongoauth_status\s", s):
                attrs = "MONGOAUTH_NODISCARD " + attrs
            out.append(attrs)
            done = True
        elif not done:
            in_comment = (in_comment or s.startswith("/*")) and "*/" not in s
        out.append(line)
    if not done:
        die("no declaration in:\n" + "\n".join(chunk))
    return out


def split(generated):
    lines = generated.split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("#include <stdint.h>")) + 1
        ext = lines.index('extern "C" {')
        ext_end = next(i for i, l in enumerate(lines) if l.startswith('}  // extern "C"'))
    except (StopIteration, ValueError):
        die("unexpected cbindgen output layout")
    # types and constants: from the includes to `#ifdef __cplusplus` before extern "C"
    type_lines = lines[start:ext - 1]
    fn_lines = lines[ext + 2:ext_end - 1]  # skip `#endif // __cplusplus` after `{`
    items = []
    for chunk in chunks_of(type_lines):
        kind, name = item_name(chunk)
        items.append((kind, name, chunk))
    for chunk in chunks_of(fn_lines):
        kind, name = item_name(chunk)
        if kind != "fn":
            die("expected a function, found " + name)
        items.append((kind, name, decorate_fn(chunk)))
    return items


def deps_of(chunk, own, defined_in):
    code = strip_comments("\n".join(chunk))
    deps = set()
    for ident in set(re.findall(r"\b(?:mongoauth|MONGOAUTH)_\w+\b", code)):
        h = defined_in.get(ident)
        if h and h != own:
            deps.add(h)
    return deps


def render(items):
    headers = [o[0] for o in OBJECTS]
    desc = {o[0]: o[1] for o in OBJECTS}
    per = {h: [] for h in headers}
    defined_in = {}
    for kind, name, chunk in items:
        h = object_of(name)
        per[h].append((kind, name, chunk))
        if kind != "fn":
            defined_in[name] = h
    # enum/typedef constants (MONGOAUTH_STATUS_OK ...) are defined with their type
    for kind, name, chunk in items:
        if kind == "enum":
            for c in re.findall(r"^\s+(MONGOAUTH_\w+)\s*=", "\n".join(chunk), re.M):
                defined_in[c] = object_of(name)
    deps = {h: set() for h in headers}
    for h in headers:
        for _, _, chunk in per[h]:
            deps[h] |= deps_of(chunk, h, defined_in)
        if h != "common":
            deps[h].add("common")
    # no cycles: a header may include only headers before it in OBJECTS
    for h in headers:
        for d in deps[h]:
            if headers.index(d) >= headers.index(h):
                die(f"{h}.h needs {d}.h, which comes later in OBJECTS (a cycle?)")
    files = {}
    all_consts = {name for kind, name, _ in items if kind == "const"}
    for h in headers:
        guard = f"MONGOAUTH_{h.upper()}_H"
        out = [SPDX, AUTOGEN]
        if h == "common":
            out.append(PREAMBLE)
        out += ["/**", f" * @file mongoauth/{h}.h", f" * {desc[h]}", " */",
                f"#ifndef {guard}", f"#define {guard}", ""]
        if h == "common":
            out += ["#include <stdbool.h>", "#include <stddef.h>", "#include <stdint.h>", "", MACROS, ""]
        else:
            out += [f'#include "{d}.h"' for d in headers if d in deps[h]] + [""]
        types = [c for k, _, c in per[h] if k != "fn"]
        fns = [c for k, _, c in per[h] if k == "fn"]
        for chunk in types:
            out += chunk + [""]
        if fns:
            out += ["#ifdef __cplusplus", 'extern "C" {', "#endif", ""]
            for chunk in fns:
                out += chunk + [""]
            out += ["#ifdef __cplusplus", '}  /* extern "C" */', "#endif", ""]
        asserts = []
        for k, name, _ in per[h]:
            if k != "struct":
                continue
            size, align = name.upper() + "_SIZE", name.upper() + "_ALIGN"
            if size in all_consts:
                asserts.append(f'MONGOAUTH_STATIC_ASSERT(sizeof({name}) == {size}, "{name} size");')
            if align in all_consts:
                asserts.append(f'MONGOAUTH_STATIC_ASSERT(MONGOAUTH_ALIGNOF({name}) == {align}, "{name} alignment");')
        if h == "common":
            asserts.append("MONGOAUTH_STATIC_ASSERT(MONGOAUTH_VERSION_NUMBER == MONGOAUTH_VERSION_MAJOR * 10000 + "
                           'MONGOAUTH_VERSION_MINOR * 100 + MONGOAUTH_VERSION_PATCH, "version number");')
        if asserts:
            out += ["#if defined(MONGOAUTH_STATIC_ASSERT)"] + asserts + ["#endif", ""]
        out.append(f"#endif /* {guard} */")
        files[f"mongoauth/{h}.h"] = "\n".join(out) + "\n"
    umbrella = [SPDX, AUTOGEN, "/**", " * @file mongoauth.h",
                " * All of mongoauth's C API: one header per object under mongoauth/ (each",
                " * compiles on its own; include just the ones you use if you like).",
                " * The conventions are in mongoauth/common.h.", " */",
                "#ifndef MONGOAUTH_H", "#define MONGOAUTH_H", ""]
    umbrella += [f'#include "mongoauth/{h}.h"' for h in headers]
    umbrella += ["", "#endif /* MONGOAUTH_H */"]
    files["mongoauth.h"] = "\n".join(umbrella) + "\n"
    return files


def main():
    check = "--check" in sys.argv[1:]
    files = render(split(run_cbindgen()))
    inc = os.path.join(ROOT, "include")
    if check:
        stale = False
        expected = set(files)
        present = {"mongoauth.h"}
        if os.path.isdir(os.path.join(inc, "mongoauth")):
            present |= {"mongoauth/" + f for f in os.listdir(os.path.join(inc, "mongoauth")) if f.endswith(".h")}
        for extra in sorted(present - expected):
            print(f"include/{extra}: not generated any more (remove it)")
            stale = True
        for rel, text in sorted(files.items()):
            path = os.path.join(inc, rel)
            old = open(path).read() if os.path.exists(path) else ""
            if old != text:
                stale = True
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                           "include/" + rel, "generated/" + rel))
        if stale:
            print("headers are stale: run ffi/gen-headers.py")
            return 1
        print(f"{len(files)} headers up to date")
        return 0
    os.makedirs(os.path.join(inc, "mongoauth"), exist_ok=True)
    for rel, text in files.items():
        with open(os.path.join(inc, rel), "w") as f:
            f.write(text)
    print(f"wrote {len(files)} headers into include/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
