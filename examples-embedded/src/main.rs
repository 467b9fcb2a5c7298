//! `mongoauth` on a Cortex-M4: runs complete SCRAM client conversations
//! against fixed server messages (RFC 7677 for SCRAM-SHA-256, the MongoDB
//! auth spec's SCRAM-SHA-1 conversation), checks every client message
//! byte for byte, accepts the genuine server-final-message and rejects a
//! forged one, measures the stack, and exits through semihosting:
//! 0 = pass, 1 = a check failed, 101 = panic, 102 = CPU fault.
//!
//! Run it with `scripts/embedded.sh`, which builds it for
//! `thumbv7em-none-eabihf` and runs it under `qemu-system-arm -M mps2-an386`.

#![no_std]
#![no_main]
// The footprint baseline build leaves the conversation code unused.
#![cfg_attr(feature = "harness-only", allow(dead_code, unused_imports))]

mod pending;
mod rt;

#[cfg(feature = "sha1")]
use mongoauth::mech::scram::Sha1;
use mongoauth::mech::scram::{
    Authenticated, Client, ClientConfig, ExpectServerFinal, ExpectServerFirst, Nonce, ScramHash,
    Sha256,
};

/// One published conversation: the credentials and nonce the client uses,
/// and every message of the exchange.
struct Vector {
    name: &'static str,
    username: &'static str,
    password: &'static str,
    client_nonce: &'static str,
    client_first: &'static [u8],
    server_first: &'static [u8],
    client_final: &'static [u8],
    server_final: &'static [u8],
}

/// RFC 7677 section 3 (also the MongoDB auth spec's SCRAM-SHA-256 example):
/// the password goes through SASLprep ("pencil" is its own output).
const SCRAM_SHA_256: Vector = Vector {
    name: "SCRAM-SHA-256 (RFC 7677, 4096 iterations)",
    username: "user",
    password: "pencil",
    client_nonce: "rOprNGfwEbeRWgbNEkqO",
    client_first: b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    server_first:
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    client_final: CLIENT_FINAL_256,
    server_final: b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

#[cfg(not(feature = "wrong-vector"))]
const CLIENT_FINAL_256: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
/// Negative control: the published proof with its first character changed.
/// A firmware that "passes" with this is not checking anything.
#[cfg(feature = "wrong-vector")]
const CLIENT_FINAL_256: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

/// The MongoDB auth spec's SCRAM-SHA-1 conversation: the password is
/// `hex(MD5("user:mongo:pencil"))` before PBKDF2.
#[cfg(feature = "sha1")]
const SCRAM_SHA_1: Vector = Vector {
    name: "SCRAM-SHA-1 (MongoDB auth spec, 10000 iterations)",
    username: "user",
    password: "pencil",
    client_nonce: "fyko+d2lbbFgONRv9qkxdawL",
    client_first: b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    server_first: b"r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000",
    client_final: b"c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=",
    server_final: b"v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=",
};

/// Whether a conversation presents the genuine server-final-message or a
/// forged one (one base64 character of the signature changed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ServerFinal {
    Genuine,
    Forged,
}

/// What a step reports when a check fails. Shared with the `harness-only`
/// baseline, so that these firmware strings are not counted as core flash.
mod fail {
    pub const NONCE: &str = "Nonce::from_text failed";
    pub const START: &str = "Client::start failed";
    pub const CLIENT_FIRST: &str = "client-first-message differs from the vector";
    pub const SERVER_FIRST: &str = "handle_server_first failed";
    pub const CLIENT_FINAL: &str = "client-final-message differs from the vector";
    pub const GENUINE: &str = "the genuine server-final-message was rejected";
    pub const FORGED_ERROR: &str = "forged server-final-message: wrong error";
    pub const FORGED_ACCEPTED: &str = "forged server-final-message was ACCEPTED";
}

/// Longest server-final-message a vector has (SHA-256: 46 bytes).
const MAX_SERVER_FINAL: usize = 64;

/// One complete client conversation. Returns which check failed, if any;
/// never panics.
///
/// Each protocol step is its own non-inlined function, as in a real firmware
/// where the state waits in between for a network round trip: LTO would
/// otherwise inline the whole conversation into one frame that keeps a copy
/// of every state alive at once (measured before the state types shrank:
/// 5496 bytes of stack inlined against 5296 split).
fn converse<H: ScramHash>(v: &Vector, server_final: ServerFinal) -> Result<(), &'static str> {
    #[cfg(feature = "harness-only")]
    {
        // Footprint baseline: keep the vectors and all the reporting,
        // including every failure the steps below can report (picked by an
        // opaque value, so each string is kept), but call no core code, so
        // "variant minus baseline" is the core alone.
        core::hint::black_box((v, server_final));
        match core::hint::black_box(0u8) {
            0 => Ok(()),
            1 => Err(fail::NONCE),
            2 => Err(fail::START),
            3 => Err(fail::CLIENT_FIRST),
            4 => Err(fail::SERVER_FIRST),
            5 => Err(fail::CLIENT_FINAL),
            6 => Err(fail::GENUINE),
            7 => Err(fail::FORGED_ERROR),
            _ => Err(fail::FORGED_ACCEPTED),
        }
    }
    #[cfg(not(feature = "harness-only"))]
    {
        let c = step_start::<H>(v)?;
        let c = step_server_first(c, v)?;
        step_server_final(c, v, server_final)
    }
}

#[inline(never)]
fn step_start<H: ScramHash>(v: &Vector) -> Result<ExpectServerFirst<H>, &'static str> {
    let nonce = Nonce::from_text(v.client_nonce).map_err(|_| fail::NONCE)?;
    let c = Client::<H>::start(v.username, v.password, &nonce, &ClientConfig::default())
        .map_err(|_| fail::START)?;
    if c.message() != v.client_first {
        return Err(fail::CLIENT_FIRST);
    }
    Ok(c)
}

#[inline(never)]
fn step_server_first<H: ScramHash>(
    c: ExpectServerFirst<H>,
    v: &Vector,
) -> Result<ExpectServerFinal<H>, &'static str> {
    let c = c.handle_server_first(v.server_first).map_err(|_| fail::SERVER_FIRST)?;
    if c.message() != v.client_final {
        return Err(fail::CLIENT_FINAL);
    }
    Ok(c)
}

#[inline(never)]
fn step_server_final<H: ScramHash>(
    c: ExpectServerFinal<H>,
    v: &Vector,
    server_final: ServerFinal,
) -> Result<(), &'static str> {
    match server_final {
        ServerFinal::Genuine => c
            .handle_server_final(v.server_final)
            .map(|_: Authenticated<H>| ())
            .map_err(|_| fail::GENUINE),
        ServerFinal::Forged => {
            let mut forged = [0u8; MAX_SERVER_FINAL];
            let forged = forged.get_mut(..v.server_final.len()).ok_or("vector too long")?;
            forged.copy_from_slice(v.server_final);
            // "v=X...": swap the first signature character for another
            // base64 character, so the message stays well-formed.
            let ch = forged.get_mut(2).ok_or("server-final-message too short")?;
            *ch = if *ch == b'A' { b'B' } else { b'A' };
            match c.handle_server_final(forged) {
                Err(mongoauth::Error::ServerSignatureMismatch) => Ok(()),
                Err(_) => Err(fail::FORGED_ERROR),
                Ok(_) => Err(fail::FORGED_ACCEPTED),
            }
        }
    }
}

/// Run one mechanism's checks, print the outcome and the stack the genuine
/// conversation used. Returns (passed, stack bytes).
fn check<H: ScramHash>(v: &Vector) -> (bool, usize) {
    rt::write(b"* ");
    rt::write_line(v.name.as_bytes());

    // Measure only the genuine conversation: the stack is re-painted first.
    rt::repaint_stack();
    let genuine = converse::<H>(v, ServerFinal::Genuine);
    let stack = rt::stack_high_water();

    let forged = converse::<H>(v, ServerFinal::Forged);
    let mut ok = true;
    for (what, r) in [
        ("  conversation (client-first, client-final, server-final): ", genuine),
        ("  forged server signature rejected: ", forged),
    ] {
        rt::write(what.as_bytes());
        match r {
            Ok(()) => rt::write_line(b"ok"),
            Err(e) => {
                ok = false;
                rt::write(b"FAIL: ");
                rt::write_line(e.as_bytes());
            }
        }
    }
    // The core's state types, as laid out on this target: what a firmware
    // keeps between round trips (and what the stack has to hold).
    rt::write(b"  state sizes: ExpectServerFirst ");
    rt::write_u32(size_of::<ExpectServerFirst<H>>() as u32);
    rt::write(b" B, ExpectServerFinal ");
    rt::write_u32(size_of::<ExpectServerFinal<H>>() as u32);
    rt::write(b" B, Authenticated ");
    rt::write_u32(size_of::<Authenticated<H>>() as u32);
    rt::write(b" B, Nonce ");
    rt::write_u32(size_of::<Nonce>() as u32);
    rt::write(b" B, Error ");
    rt::write_u32(size_of::<mongoauth::Error>() as u32);
    rt::write_line(b" B");
    rt::write(b"  stack used by the conversation: ");
    rt::write_u32(stack as u32);
    rt::write_line(b" bytes");
    (ok, stack)
}

/// Called by the reset handler once RAM is set up and the stack painted.
#[unsafe(no_mangle)]
extern "C" fn firmware_main() -> ! {
    rt::write_line(b"mongoauth firmware: Cortex-M4 (thumbv7em-none-eabihf)");
    let mut ok = true;
    let mut stack: usize = 0;

    // One line in both builds, of the same length, so that the baseline
    // carries no reporting the real firmware lacks.
    rt::write_line(if cfg!(feature = "harness-only") {
        b"* core: stubbed out (feature `harness-only`)"
    } else {
        b"* core: linked; conversations run on target."
    });
    let (pass, used) = check::<Sha256>(&SCRAM_SHA_256);
    ok &= pass;
    stack = stack.max(used);

    #[cfg(feature = "sha1")]
    {
        let (pass, used) = check::<Sha1>(&SCRAM_SHA_1);
        ok &= pass;
        stack = stack.max(used);
    }
    #[cfg(not(feature = "sha1"))]
    rt::write_line(b"* SCRAM-SHA-1: not built (feature `sha1` off)");

    ok &= pending::run();

    // The deepest of the conversations, measured from the top of the stack:
    // it includes the frames of `firmware_main` and `check` above them.
    rt::write(b"stack high-water mark: ");
    rt::write_u32(stack as u32);
    rt::write(b" bytes (of ");
    rt::write_u32(rt::stack_size() as u32);
    rt::write_line(b" reserved)");
    if stack >= rt::stack_size() {
        ok = false;
        rt::write_line(b"FAIL: the stack overflowed its region");
    }

    if ok {
        rt::write_line(b"RESULT: PASS");
        rt::exit(rt::exit_code::PASS)
    } else {
        rt::write_line(b"RESULT: FAIL");
        rt::exit(rt::exit_code::FAIL)
    }
}
