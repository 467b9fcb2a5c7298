#!/usr/bin/env python3
"""Generate core/src/saslprep/tables.rs: the Unicode 3.2 data SASLprep needs.

Sources, both in the CPython standard library (no network, no downloads):
  * unicodedata.ucd_3_2_0  -- NFKD decompositions, canonical combining classes,
                              primary composites (through NFC), as RFC 3454 fixes
                              the Unicode version at 3.2;
  * stringprep              -- the RFC 3454 tables A.1, B.1, C.1.2 .. C.9, D.1, D.2.

Usage:
  python3 tools/gen_saslprep_tables.py            # rewrite the committed file
  python3 tools/gen_saslprep_tables.py --stdout   # print it (the staleness test diffs this)

Encodings (all sorted, all searched by binary search in Rust):
  PROPS         u32 per run of code points with equal properties:
                start << 11 | ccc_index << 4 | class << 2 | bidi
                class: 0 allowed, 1 prohibited (C.1.2, C.2.1, C.2.2, C.3-C.9), 2 unassigned (A.1)
                bidi:  0 neither, 1 RandALCat (D.1), 2 LCat (D.2)
  CCC           the distinct canonical combining classes, indexed by ccc_index.
  DECOMP_KEYS   u32 per run of code points with a full NFKD decomposition
                (Hangul syllables excluded: they are algorithmic): start << 7 | (count - 1).
  DECOMP_VALS   3 bytes (little endian) per run:
                bit 23 = 0: a one-character decomposition; bits 0..21 the target of
                            `start`, bit 22 set when the target steps with the source;
                bit 23 = 1: bits 0..13 offset into DECOMP_DATA, bits 14..18 length in
                            UTF-16 units, bits 19..22 which character steps with the
                            source (15: none).
  DECOMP_DATA   the multi-character decompositions, UTF-16, overlapping where they can.
  COMP_*        the primary composites c = compose(a, b), all in the BMP, grouped by b:
                COMP_SECOND (sorted b), COMP_SECOND_START (group offsets),
                COMP_FIRST (sorted a within a group) and COMP_RESULT.
"""

import stringprep
import sys
import unicodedata

U = unicodedata.ucd_3_2_0
assert U.unidata_version == "3.2.0"

OUT_PATH = "core/src/saslprep/tables.rs"
MAX_CP = 0x110000
HANGUL_S = range(0xAC00, 0xD7A4)


def scalars():
    for c in range(MAX_CP):
        if 0xD800 <= c <= 0xDFFF:
            continue
        yield c


PROHIBITED_TABLES = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
)

CCC_SHIFT = 4
START_SHIFT = 11


def char_class(ch):
    prohibited = any(t(ch) for t in PROHIBITED_TABLES)
    unassigned = stringprep.in_table_a1(ch)
    assert not (prohibited and unassigned), hex(ord(ch))
    return 1 if prohibited else (2 if unassigned else 0)


def bidi(ch):
    r, l = stringprep.in_table_d1(ch), stringprep.in_table_d2(ch)
    assert not (r and l)
    return 1 if r else (2 if l else 0)


def build_props():
    ccc_values = sorted({U.combining(chr(c)) for c in scalars()})
    assert len(ccc_values) < 128
    ccc_index = {v: i for i, v in enumerate(ccc_values)}
    runs = []
    prev = None
    for c in range(MAX_CP):
        if 0xD800 <= c <= 0xDFFF:
            # Not scalar values: no Rust `char` can hold one. Give them the
            # neighbouring run's value so they do not split runs.
            continue
        ch = chr(c)
        value = (ccc_index[U.combining(ch)], char_class(ch), bidi(ch))
        if value != prev:
            runs.append((c, value))
            prev = value
    packed = [
        (start << START_SHIFT) | (ci << CCC_SHIFT) | (cls << 2) | bd
        for start, (ci, cls, bd) in runs
    ]
    return ccc_values, packed


def build_decomp():
    decomp = {}
    for c in scalars():
        if c in HANGUL_S:
            continue
        ch = chr(c)
        d = U.normalize("NFKD", ch)
        if d != ch:
            decomp[c] = [ord(x) for x in d]
    keys = sorted(decomp)
    runs = []  # (start, count, base decomposition, stepping position or None)
    i = 0
    while i < len(keys):
        s = keys[i]
        d = decomp[s]
        n = 1
        pos = None
        while i + n < len(keys) and keys[i + n] == s + n and n < 128:
            d2 = decomp[keys[i + n]]
            if len(d2) != len(d):
                break
            diffs = [b - a for a, b in zip(d, d2)]
            if n == 1:
                nz = [k for k, x in enumerate(diffs) if x != 0]
                if len(nz) == 0:
                    pos = -1
                elif len(nz) == 1 and diffs[nz[0]] == 1:
                    pos = nz[0]
                else:
                    break
            elif diffs != [(n if k == pos else 0) for k in range(len(d))]:
                break
            n += 1
        if n == 1:
            pos = -1
        runs.append((s, n, d, pos))
        i += n

    def utf16(cps):
        units = []
        for c in cps:
            if c >= 0x10000:
                v = c - 0x10000
                units += [0xD800 | (v >> 10), 0xDC00 | (v & 0x3FF)]
            else:
                units.append(c)
        return units

    # Multi-character data, longest first, reusing any occurrence already laid out.
    data = []
    offsets = {}
    multi = sorted({tuple(d) for (_, _, d, _) in runs if len(d) > 1}, key=lambda d: (-len(d), d))
    for d in multi:
        u = utf16(d)
        found = None
        for k in range(len(data) - len(u) + 1):
            if data[k : k + len(u)] == u:
                found = k
                break
        if found is None:
            # Overlap with the tail of what is there.
            best = 0
            for ov in range(min(len(u), len(data)) - 1, 0, -1):
                if data[-ov:] == u[:ov]:
                    best = ov
                    break
            found = len(data) - best
            data += u[best:]
        offsets[d] = found
    assert len(data) < (1 << 14)

    keys_out, vals_out = [], []
    for s, n, d, pos in runs:
        assert s < (1 << 21) and 1 <= n <= 128
        keys_out.append((s << 7) | (n - 1))
        if len(d) == 1:
            assert pos in (-1, 0)
            v = d[0] | ((1 << 22) if pos == 0 else 0)
        else:
            units = len(utf16(d))
            assert units < 32
            p = 15 if pos == -1 else pos
            assert p < 16
            if pos != -1:
                # The stepped character stays a scalar value (no surrogates).
                last = d[pos] + n - 1
                assert last < 0xD800 or 0xE000 <= d[pos] and last < MAX_CP
            v = (1 << 23) | offsets[tuple(d)] | (units << 14) | (p << 19)
        vals_out += [v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF]

    # Self-check: decode every entry the way the Rust code does.
    def lookup(c):
        lo, hi = 0, len(keys_out)
        while lo < hi:
            mid = (lo + hi) // 2
            if (keys_out[mid] >> 7) <= c:
                lo = mid + 1
            else:
                hi = mid
        if lo == 0:
            return None
        k = lo - 1
        start, count = keys_out[k] >> 7, (keys_out[k] & 0x7F) + 1
        if c >= start + count:
            return None
        step = c - start
        v = vals_out[3 * k] | (vals_out[3 * k + 1] << 8) | (vals_out[3 * k + 2] << 16)
        if not v & (1 << 23):
            return [(v & 0x1FFFFF) + (step if v & (1 << 22) else 0)]
        off, units, p = v & 0x3FFF, (v >> 14) & 0x1F, (v >> 19) & 0xF
        s16 = data[off : off + units]
        out = []
        j = 0
        while j < len(s16):
            if 0xD800 <= s16[j] < 0xDC00:
                out.append(0x10000 + ((s16[j] - 0xD800) << 10) + (s16[j + 1] - 0xDC00))
                j += 2
            else:
                out.append(s16[j])
                j += 1
        if p != 15:
            out[p] += step
        return out

    for c in scalars():
        if c in HANGUL_S:
            continue
        assert lookup(c) == decomp.get(c), hex(c)
    return keys_out, vals_out, data, decomp


def build_comp(decomp):
    pairs = {}
    for c in scalars():
        s = U.decomposition(chr(c))
        if not s or s.startswith("<"):
            continue
        parts = [int(x, 16) for x in s.split()]
        if len(parts) != 2:
            continue
        a, b = parts
        # A primary composite is what NFC gives back: this drops the
        # composition exclusions and the non-starter decompositions.
        if U.normalize("NFC", chr(a) + chr(b)) == chr(c):
            assert a < 0x10000 and b < 0x10000 and c < 0x10000, hex(c)
            pairs[(a, b)] = c
    by_second = {}
    for (a, b), c in pairs.items():
        by_second.setdefault(b, []).append((a, c))
    seconds = sorted(by_second)
    starts, firsts, results = [0], [], []
    for b in seconds:
        for a, c in sorted(by_second[b]):
            firsts.append(a)
            results.append(c)
        starts.append(len(firsts))
    return pairs, seconds, starts, firsts, results


def check_assumptions(pairs, decomp):
    """What the streaming Rust code relies on; generation fails if Unicode disagrees."""
    in_pairs = set()
    for (a, b), c in pairs.items():
        in_pairs.update((a, b, c))
    for c in scalars():
        ch = chr(c)
        cls = char_class(ch)
        # Only characters without a decomposition reach the decomposed stream
        # (U+0340, prohibited but ccc 230, becomes U+0300 first).
        if cls and c not in decomp:
            # Prohibited and unassigned characters are starters that never take part
            # in composition: checking them in the decomposed stream is the same as
            # checking the NFKC output, and their order is kept.
            assert U.combining(ch) == 0, hex(c)
            assert c not in in_pairs, hex(c)
            assert not (0x1100 <= c <= 0x1112 or 0x1161 <= c <= 0x1175 or 0x11A8 <= c <= 0x11C2 or c in HANGUL_S), hex(c)
        if cls == 2:
            assert c not in decomp, hex(c)
    # The RFC's mapping tables, to be emitted as code.
    b1 = [c for c in scalars() if stringprep.in_table_b1(chr(c))]
    c12 = [c for c in scalars() if stringprep.in_table_c12(chr(c))]
    return b1, c12


def ranges(cps):
    out = []
    for c in cps:
        if out and out[-1][1] + 1 == c:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def match_pattern(cps):
    parts = []
    for a, b in ranges(cps):
        parts.append("0x%04X" % a if a == b else "0x%04X..=0x%04X" % (a, b))
    return " | ".join(parts)


def fmt_array(name, ty, values, per_line, fmt, doc):
    lines = ["/// %s" % doc, "pub(super) static %s: [%s; %d] = [" % (name, ty, len(values))]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(fmt % v for v in values[i : i + per_line]) + ",")
    lines.append("];")
    return "\n".join(lines)


def generate():
    ccc_values, props = build_props()
    keys, vals, data, decomp = build_decomp()
    pairs, seconds, starts, firsts, results = build_comp(decomp)
    b1, c12 = check_assumptions(pairs, decomp)
    c12_only = [c for c in c12 if c not in b1]
    parts = [
        "// @generated by tools/gen_saslprep_tables.py from CPython's unicodedata.ucd_3_2_0",
        "// (Unicode %s) and stringprep modules. Do not edit: rerun the script." % U.unidata_version,
        "// Encodings are described in the script's docstring.",
        "",
        "/// Bit position of the range start in a [`PROPS`] entry.",
        "pub(super) const PROPS_START_SHIFT: u32 = %d;" % START_SHIFT,
        "/// Bit position of the combining-class index in a [`PROPS`] entry.",
        "pub(super) const PROPS_CCC_SHIFT: u32 = %d;" % CCC_SHIFT,
        "",
        "/// RFC 3454 table B.1 (commonly mapped to nothing).",
        "pub(super) const fn in_b1(c: u32) -> bool {",
        "    matches!(c, %s)" % match_pattern(b1),
        "}",
        "",
        "/// RFC 3454 table C.1.2 (non-ASCII space characters), mapped to U+0020 by",
        "/// RFC 4013. U+200B is also in B.1; the caller decides which mapping wins.",
        "pub(super) const fn in_c12(c: u32) -> bool {",
        "    matches!(c, %s)" % match_pattern(c12),
        "}",
        "",
        fmt_array("CCC", "u8", ccc_values, 16, "%d", "Distinct canonical combining classes (Unicode 3.2)."),
        "",
        fmt_array(
            "PROPS", "u32", props, 8, "0x%08X",
            "Runs of equal (combining class, prohibited/unassigned, bidi) properties.",
        ),
        "",
        fmt_array("DECOMP_KEYS", "u32", keys, 8, "0x%07X", "Runs of code points with an NFKD decomposition."),
        "",
        fmt_array("DECOMP_VALS", "u8", vals, 16, "0x%02X", "The decomposition of each run, 3 bytes each."),
        "",
        fmt_array("DECOMP_DATA", "u16", data, 12, "0x%04X", "Multi-character decompositions, UTF-16."),
        "",
        fmt_array("COMP_SECOND", "u16", seconds, 12, "0x%04X", "Second characters of primary composites."),
        "",
        fmt_array("COMP_SECOND_START", "u16", starts, 12, "%d", "Where each second character's group starts."),
        "",
        fmt_array("COMP_FIRST", "u16", firsts, 12, "0x%04X", "First characters, sorted within a group."),
        "",
        fmt_array("COMP_RESULT", "u16", results, 12, "0x%04X", "The primary composite of each pair."),
        "",
    ]
    assert c12_only == [c for c in c12 if c != 0x200B]
    return "\n".join(parts)


def main():
    text = generate()
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(text)
    else:
        with open(OUT_PATH, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print("wrote", OUT_PATH, file=sys.stderr)


if __name__ == "__main__":
    main()
