//! The streaming SASLprep pipeline over the generated Unicode 3.2 tables:
//! map, decompose, check, reorder, compose, bidi, encode. See the parent
//! module's docs for the algorithm and the order of errors.

use zeroize::Zeroize;

use super::tables::{
    CCC, COMP_FIRST, COMP_RESULT, COMP_SECOND, COMP_SECOND_START, DECOMP_DATA, DECOMP_KEYS,
    DECOMP_VALS, PROPS, PROPS_CCC_SHIFT, PROPS_START_SHIFT, in_b1, in_c12,
};
use super::{BidiRule, MAX_COMBINING_MARKS, SaslprepError, Sink};

// Hangul syllable arithmetic (Unicode 3.2 section 3.12).
const S_BASE: u32 = 0xAC00;
const L_BASE: u32 = 0x1100;
const V_BASE: u32 = 0x1161;
const T_BASE: u32 = 0x11A7;
const L_COUNT: u32 = 19;
const V_COUNT: u32 = 21;
const T_COUNT: u32 = 28;
const N_COUNT: u32 = V_COUNT * T_COUNT;
const S_COUNT: u32 = L_COUNT * N_COUNT;

/// What a character is for the prohibition check (the `PROPS` class field).
const CLASS_PROHIBITED: u32 = 1;
const CLASS_UNASSIGNED: u32 = 2;
/// Its RFC 3454 bidi category (the `PROPS` bidi field).
const BIDI_RANDAL: u32 = 1;
const BIDI_L: u32 = 2;

/// Decoded `PROPS` entry of one code point.
#[derive(Clone, Copy)]
struct Props(u32);

/// The `PROPS` entries of U+0000..U+007F, resolved once at compile time:
/// passwords are mostly ASCII, and this spares each such character the
/// binary search (twice: the prohibition check and the bidi check).
static ASCII_PROPS: [u32; 128] = {
    let mut table = [0u32; 128];
    // `slot` indexes the table, `c` is the same code point as a `u32`.
    let (mut slot, mut c) = (0usize, 0u32);
    #[allow(clippy::indexing_slicing)] // Compile-time only: a bad index fails the build.
    while slot < 128 {
        let mut i = 0;
        while i < PROPS.len() && (PROPS[i] >> PROPS_START_SHIFT) <= c {
            table[slot] = PROPS[i];
            i += 1;
        }
        slot += 1;
        c += 1;
    }
    table
};

impl Props {
    fn of(c: u32) -> Self {
        if let Some(&p) = usize::try_from(c).ok().and_then(|i| ASCII_PROPS.get(i)) {
            return Props(p);
        }
        let next = PROPS.partition_point(|&e| (e >> PROPS_START_SHIFT) <= c);
        // PROPS starts at U+0000, so `next >= 1`.
        Props(next.checked_sub(1).and_then(|i| PROPS.get(i)).copied().unwrap_or(0))
    }
    fn class(self) -> u32 {
        (self.0 >> 2) & 3
    }
    fn bidi(self) -> u32 {
        self.0 & 3
    }
    fn ccc(self) -> u8 {
        let i = (self.0 >> PROPS_CCC_SHIFT) & 0x7F;
        usize::try_from(i).ok().and_then(|i| CCC.get(i)).copied().unwrap_or(0)
    }
}

/// Turn a table value back into a `char`. The tables only hold scalar values
/// (the exhaustive differential test checks every one); were one ever wrong,
/// U+FFFD (prohibited, table C.6) makes the call fail closed.
fn to_char(v: u32) -> u32 {
    if char::from_u32(v).is_some() { v } else { 0xFFFD }
}

/// The full NFKD decomposition of one character, yielded lazily.
enum Decomposition {
    /// Up to three characters: the character itself, a one-character
    /// decomposition, or a Hangul syllable's jamo.
    Short { chars: [u32; 3], len: u8, next: u8 },
    /// A multi-character decomposition from `DECOMP_DATA` (UTF-16); the
    /// character at `pos` is offset by `step`.
    Data { units: core::slice::Iter<'static, u16>, pos: u8, step: u32, at: u8 },
}

impl Decomposition {
    fn of(c: u32) -> Self {
        // Nothing below U+00A0 (the first compatibility decomposition, NO-BREAK
        // SPACE) decomposes: skip the table search for ASCII and C1.
        if c < 0xA0 {
            return Self::Short { chars: [c, 0, 0], len: 1, next: 0 };
        }
        if let Some(s) = c.checked_sub(S_BASE).filter(|&s| s < S_COUNT) {
            let l = L_BASE + s / N_COUNT;
            let v = V_BASE + (s % N_COUNT) / T_COUNT;
            let t = s % T_COUNT;
            let len = if t == 0 { 2 } else { 3 };
            return Self::Short { chars: [l, v, T_BASE + t], len, next: 0 };
        }
        Self::lookup(c).unwrap_or(Self::Short { chars: [c, 0, 0], len: 1, next: 0 })
    }

    fn lookup(c: u32) -> Option<Self> {
        let k = DECOMP_KEYS.partition_point(|&key| (key >> 7) <= c).checked_sub(1)?;
        let key = *DECOMP_KEYS.get(k)?;
        let step = c.checked_sub(key >> 7)?;
        if step > key & 0x7F {
            return None;
        }
        let at = k.checked_mul(3)?;
        let v = match DECOMP_VALS.get(at..at.checked_add(3)?)? {
            [a, b, c] => u32::from_le_bytes([*a, *b, *c, 0]),
            _ => return None,
        };
        if v & (1 << 23) == 0 {
            let base = v & 0x1F_FFFF;
            let target = if v & (1 << 22) != 0 { base.checked_add(step)? } else { base };
            return Some(Self::Short { chars: [to_char(target), 0, 0], len: 1, next: 0 });
        }
        let offset = usize::try_from(v & 0x3FFF).ok()?;
        let units = usize::try_from((v >> 14) & 0x1F).ok()?;
        let pos = u8::try_from((v >> 19) & 0xF).ok()?;
        let data = DECOMP_DATA.get(offset..offset.checked_add(units)?)?;
        Some(Self::Data { units: data.iter(), pos, step, at: 0 })
    }
}

impl Iterator for Decomposition {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        match self {
            Self::Short { chars, len, next } => {
                if *next >= *len {
                    return None;
                }
                let c = chars.get(usize::from(*next)).copied();
                *next = next.saturating_add(1);
                c
            }
            Self::Data { units, pos, step, at } => {
                let first = u32::from(*units.next()?);
                let mut c = first;
                if (0xD800..0xDC00).contains(&first) {
                    let low = u32::from(*units.next()?);
                    c = 0x1_0000 + ((first - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
                }
                if *at == *pos {
                    c = c.saturating_add(*step);
                }
                *at = at.saturating_add(1);
                Some(to_char(c))
            }
        }
    }
}

/// The primary composite of `a` + `b`, if there is one.
fn compose(a: u32, b: u32) -> Option<u32> {
    if let (Some(l), Some(v)) = (
        a.checked_sub(L_BASE).filter(|&l| l < L_COUNT),
        b.checked_sub(V_BASE).filter(|&v| v < V_COUNT),
    ) {
        return Some(S_BASE + (l * V_COUNT + v) * T_COUNT);
    }
    if let (Some(_), Some(t)) = (
        a.checked_sub(S_BASE).filter(|&s| s < S_COUNT && s % T_COUNT == 0),
        b.checked_sub(T_BASE).filter(|&t| 0 < t && t < T_COUNT),
    ) {
        return Some(a + t);
    }
    let a = u16::try_from(a).ok()?;
    let b = u16::try_from(b).ok()?;
    // No second character sorts below the table's first (ASCII never does).
    if COMP_SECOND.first().is_some_and(|&least| b < least) {
        return None;
    }
    let group = COMP_SECOND.binary_search(&b).ok()?;
    let lo = usize::from(*COMP_SECOND_START.get(group)?);
    let hi = usize::from(*COMP_SECOND_START.get(group.checked_add(1)?)?);
    let j = COMP_FIRST.get(lo..hi)?.binary_search(&a).ok()?;
    COMP_RESULT.get(lo.checked_add(j)?).copied().map(u32::from)
}

/// RFC 3454 section 6 state over the output characters.
#[derive(Default)]
struct Bidi {
    /// Whether the first output character is RandALCat (`None`: no output yet).
    first_is_randal: Option<bool>,
    seen_randal: bool,
    seen_l: bool,
    /// The first character that mixed RandALCat and LCat.
    mixed_at: Option<usize>,
    /// The first RandALCat character of a string that does not start with one.
    misplaced_at: Option<usize>,
    /// Whether the last character is RandALCat, and where it came from.
    last: (bool, usize),
}

impl Bidi {
    fn update(&mut self, category: u32, index: usize) {
        let randal = category == BIDI_RANDAL;
        let first_is_randal = *self.first_is_randal.get_or_insert(randal);
        if randal {
            if self.seen_l && self.mixed_at.is_none() {
                self.mixed_at = Some(index);
            }
            if !first_is_randal && self.misplaced_at.is_none() {
                self.misplaced_at = Some(index);
            }
            self.seen_randal = true;
        } else if category == BIDI_L {
            if self.seen_randal && self.mixed_at.is_none() {
                self.mixed_at = Some(index);
            }
            self.seen_l = true;
        }
        self.last = (randal, index);
    }

    fn finish(&self) -> Result<(), SaslprepError> {
        let fail = |rule, index| Err(SaslprepError::Bidi { rule, index });
        if let Some(index) = self.mixed_at {
            return fail(BidiRule::RandAlCatWithLCat, index);
        }
        if let Some(index) = self.misplaced_at {
            return fail(BidiRule::RandAlCatNotAtEnds, index);
        }
        if self.seen_randal && !self.last.0 {
            return fail(BidiRule::RandAlCatNotAtEnds, self.last.1);
        }
        Ok(())
    }
}

/// Takes composed characters: bidi state, output length, and the sink.
struct Emitter<'s> {
    sink: &'s mut dyn Sink,
    bidi: Bidi,
    required: usize,
    full: bool,
}

impl Emitter<'_> {
    fn emit(&mut self, c: u32, index: usize) {
        let c = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
        self.bidi.update(Props::of(u32::from(c)).bidi(), index);
        self.required = self.required.saturating_add(c.len_utf8());
        if !self.full && !self.sink.push(c) {
            self.full = true;
        }
    }
}

/// One decomposed character waiting in the segment buffer.
#[derive(Clone, Copy, Default)]
struct Pending {
    c: u32,
    ccc: u8,
    index: usize,
}

/// Room for a starter and the combining marks after it.
const SEGMENT: usize = MAX_COMBINING_MARKS + 1;

/// The fixed canonical-reordering buffer: the last starter (if `starter`) and
/// the non-starters that follow it, in arrival order until composed.
struct Segment {
    buf: [Pending; SEGMENT],
    len: usize,
    starter: bool,
}

impl Drop for Segment {
    fn drop(&mut self) {
        // It held password characters.
        for p in &mut self.buf {
            p.c.zeroize();
            p.ccc.zeroize();
            p.index.zeroize();
        }
    }
}

impl Segment {
    fn new() -> Self {
        Self { buf: [Pending::default(); SEGMENT], len: 0, starter: false }
    }

    fn feed(&mut self, p: Pending, out: &mut Emitter<'_>) -> Result<(), SaslprepError> {
        if p.ccc != 0 {
            let marks = if self.starter { self.len.saturating_sub(1) } else { self.len };
            if marks >= MAX_COMBINING_MARKS {
                return Err(SaslprepError::TooManyCombiningMarks { index: p.index });
            }
            return self.push(p);
        }
        if self.len > 0 {
            self.compose();
            if self.starter
                && self.len == 1
                && let Some(first) = self.buf.first_mut()
                && let Some(composite) = compose(first.c, p.c)
            {
                first.c = composite;
                return Ok(());
            }
            self.flush(out);
        }
        self.starter = true;
        self.push(p)
    }

    fn push(&mut self, p: Pending) -> Result<(), SaslprepError> {
        let slot = self
            .buf
            .get_mut(self.len)
            .ok_or(SaslprepError::TooManyCombiningMarks { index: p.index })?;
        *slot = p;
        self.len += 1;
        Ok(())
    }

    /// Canonical ordering, then canonical composition, within the segment.
    fn compose(&mut self) {
        let begin = usize::from(self.starter);
        let Some(marks) = self.buf.get_mut(begin..self.len) else {
            return;
        };
        // Stable insertion sort by combining class.
        for i in 1..marks.len() {
            let mut j = i;
            while let Some(pair) = j.checked_sub(1).and_then(|k| marks.get_mut(k..=j)) {
                match pair {
                    [a, b] if a.ccc > b.ccc => core::mem::swap(a, b),
                    _ => break,
                }
                j -= 1;
            }
        }
        if !self.starter {
            return;
        }
        let Some((first, rest)) = self.buf.get_mut(..self.len).and_then(|s| s.split_first_mut())
        else {
            return;
        };
        // Characters are taken from `read` and the uncomposed ones kept at `kept`.
        let mut kept = 0;
        let mut last_ccc = 0u8;
        for read in 0..rest.len() {
            let Some(&m) = rest.get(read) else { break };
            if (last_ccc == 0 || last_ccc < m.ccc)
                && let Some(composite) = compose(first.c, m.c)
            {
                first.c = composite;
                continue;
            }
            if let Some(slot) = rest.get_mut(kept) {
                *slot = m;
            }
            kept += 1;
            last_ccc = m.ccc;
        }
        self.len = kept + 1;
    }

    fn flush(&mut self, out: &mut Emitter<'_>) {
        for p in self.buf.iter().take(self.len) {
            out.emit(p.c, p.index);
        }
        self.len = 0;
        self.starter = false;
    }

    fn finish(&mut self, out: &mut Emitter<'_>) {
        self.compose();
        self.flush(out);
    }
}

/// Run the full profile over `input` into `sink`; `Ok` is the output length
/// in bytes (more than the sink took if it ran out of room).
pub(super) fn prepare(input: &str, sink: &mut dyn Sink) -> Result<usize, SaslprepError> {
    let mut out = Emitter { sink, bidi: Bidi::default(), required: 0, full: false };
    let mut segment = Segment::new();
    for (index, c) in input.chars().enumerate() {
        let c = u32::from(c);
        // RFC 4013 2.1. C.1.2 first: U+200B, in both tables, becomes a space.
        let mapped = if in_c12(c) {
            0x20
        } else if in_b1(c) {
            continue;
        } else {
            c
        };
        for d in Decomposition::of(mapped) {
            let props = Props::of(d);
            match props.class() {
                CLASS_PROHIBITED => return Err(SaslprepError::Prohibited { index }),
                CLASS_UNASSIGNED => return Err(SaslprepError::Unassigned { index }),
                _ => {}
            }
            let pending = Pending { c: d, ccc: props.ccc(), index };
            segment.feed(pending, &mut out)?;
        }
    }
    segment.finish(&mut out);
    out.bidi.finish()?;
    Ok(out.required)
}
