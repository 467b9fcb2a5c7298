#!/usr/bin/env python3
"""Reference SASLprep (RFC 4013, stored strings) for the differential test.

Built only on the CPython standard library, independently of the Rust tables:
`stringprep` for the RFC 3454 tables and `unicodedata.ucd_3_2_0.normalize` for
NFKC.

Protocol: every stdin line is one JSON string (an input); every stdout line is
the answer, in the same order:
  ["ok", "<prepared string>"]
  ["prohibited", <code-point index into the input>]
  ["unassigned", <index>]
  ["too_many_marks", <index>]      (the Rust fixed reordering buffer's limit)
  ["bidi", "randal_with_l" | "randal_not_at_ends"]

Decisions shared with the Rust implementation (see core/src/saslprep/mod.rs):
  * U+200B is in both B.1 and C.1.2; the C.1.2 mapping (to SPACE) wins.
  * Errors, in order: the first prohibited / unassigned character or overflow of
    --max-marks combining marks in a row, in decomposed order; then bidi rule 2
    (RandALCat with LCat), then rule 3 (RandALCat not first and last).
  * The index of a prohibited/unassigned character is that of the input
    character whose decomposition contains it. The oracle finds it by
    decomposing each mapped character on its own, and cross-checks the kind
    against the NFKC output of the whole string.
"""

import json
import stringprep
import sys
import unicodedata

U = unicodedata.ucd_3_2_0
if U.unidata_version != "3.2.0":
    sys.exit("saslprep_oracle: unicodedata.ucd_3_2_0 is not Unicode 3.2")

PROHIBITED = (
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


def bad_kind(ch):
    if any(t(ch) for t in PROHIBITED):
        return "prohibited"
    if stringprep.in_table_a1(ch):
        return "unassigned"
    return None


def saslprep(text, max_marks):
    # RFC 4013 2.1 mapping; C.1.2 is tested first (U+200B -> SPACE).
    mapped = []
    for i, ch in enumerate(text):
        if stringprep.in_table_c12(ch):
            mapped.append((" ", i))
        elif stringprep.in_table_b1(ch):
            continue
        else:
            mapped.append((ch, i))

    out = U.normalize("NFKC", "".join(ch for ch, _ in mapped))
    first_bad_in_output = next((k for k in map(bad_kind, out) if k), None)

    # Errors found in the decomposed stream, with the input index.
    run = 0
    for ch, i in mapped:
        for d in U.normalize("NFKD", ch):
            kind = bad_kind(d)
            if kind:
                if kind != first_bad_in_output:
                    raise AssertionError("oracle: decomposed vs output disagree for %r" % text)
                return [kind, i]
            if U.combining(d) == 0:
                run = 0
            else:
                run += 1
                if run > max_marks:
                    return ["too_many_marks", i]
    if first_bad_in_output is not None:
        raise AssertionError("oracle: output-only prohibited character in %r" % text)

    # RFC 3454 section 6.
    randal = [stringprep.in_table_d1(c) for c in out]
    lcat = any(stringprep.in_table_d2(c) for c in out)
    if any(randal):
        if lcat:
            return ["bidi", "randal_with_l"]
        if not (randal[0] and randal[-1]):
            return ["bidi", "randal_not_at_ends"]
    return ["ok", out]


def main():
    max_marks = 30
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--max-marks":
        max_marks = int(args[1])
    elif args:
        sys.exit("usage: saslprep_oracle.py [--max-marks N] < inputs.jsonl")
    write = sys.stdout.write
    for line in sys.stdin:
        write(json.dumps(saslprep(json.loads(line), max_marks)))
        write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
