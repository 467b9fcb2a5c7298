//! `mongoauth-login`: a whole MongoDB login from a Cortex-M4 over a serial
//! line. It logs in with SCRAM-SHA-256 through the `Authenticator` and the
//! blocking driver (`mongoauth::io::authenticate_until`) over UART0, which
//! QEMU bridges to a TCP server on the host (`scripts/embedded.sh`), and
//! exits through semihosting with the outcome (see [`exit_code`]).
//!
//! Credentials: the last three words of the semihosting command line
//! (QEMU `-append "DB USER PASSWORD"`), so one build serves the right- and
//! the wrong-password runs. Entropy: an [`EntropySource`]; under QEMU the
//! host's `/dev/urandom` through semihosting, which is FOR TESTS ONLY.

#![no_std]
#![no_main]
#![cfg_attr(feature = "harness-only", allow(dead_code, unused_imports))]

#[allow(dead_code)] // shared with the vector-checking firmware
#[path = "../rt.rs"]
mod rt;
#[path = "../uart.rs"]
mod uart;

use mongoauth::client::{AUTH_ENTROPY_LEN, AuthConfig, Authenticator, Credential, Outcome};
use mongoauth::io::{HandshakeError, authenticate_until};

/// Exit codes of the login firmware (QEMU passes them to the host).
pub mod exit_code {
    /// Logged in: the server proved it knows the password.
    pub const AUTHENTICATED: u32 = 0;
    /// The server refused the credentials (AuthenticationFailed, code 18).
    pub const AUTH_FAILED: u32 = 2;
    /// The deadline passed or the server stopped answering.
    pub const TIMEOUT: u32 = 3;
    /// Anything else: bad arguments, no entropy, a protocol error, an
    /// arbiter.
    pub const OTHER: u32 = 4;
}

/// The one buffer the driver frames requests and replies in. Replies of
/// the loopback server and FerretDB fit; mongod's hello replies (with
/// topology fields) can need 1 KiB.
const FRAME_LEN: usize = 640;
/// The authenticator's SASL payload buffer: SCRAM's client-final-message
/// (about 150 bytes for SCRAM-SHA-256 with a server nonce of up to 64
/// bytes) fits; the core's default (770 bytes) is sized for PLAIN with the
/// longest username and password.
const PAYLOAD_LEN: usize = 256;
/// What the authenticator takes on the stack (reported by the run).
#[cfg(not(feature = "harness-only"))]
const AUTHENTICATOR_SIZE: usize = core::mem::size_of::<Authenticator<'static, PAYLOAD_LEN>>();
#[cfg(feature = "harness-only")]
const AUTHENTICATOR_SIZE: usize = 0;
/// The whole login's deadline.
const LOGIN_DEADLINE_MS: u32 = 10_000;
/// Each UART read or write gives up after this (a UART has no EOF).
const IO_TIMEOUT_MS: u32 = 3_000;

/// Where a login's randomness comes from (the SCRAM client nonces).
///
/// A real board implements it over its hardware TRNG (e.g. the STM32 RNG
/// peripheral), checking the peripheral's health flags. Failing is better
/// than weak nonces: return `false` and the login does not start.
pub trait EntropySource {
    /// Fill `buf` with unpredictable bytes; `false` if it cannot.
    fn fill(&mut self, buf: &mut [u8]) -> bool;
}

/// FOR TESTS ONLY: the host's `/dev/urandom`, read through semihosting.
/// It exists because QEMU's mps2-an386 has no RNG; on hardware, semihosting
/// means a debugger is attached and the bytes cross the debug link in the
/// clear. Never ship firmware with it.
pub struct SemihostingUrandom;

impl EntropySource for SemihostingUrandom {
    fn fill(&mut self, buf: &mut [u8]) -> bool {
        rt::read_host_file(b"/dev/urandom\0", buf)
    }
}

/// The last three space-separated words of `line`: database, user, password.
fn credentials(line: &[u8]) -> Option<(&str, &str, &str)> {
    let mut words = line.rsplit(|&b| b == b' ').filter(|w| !w.is_empty());
    let password = words.next()?;
    let user = words.next()?;
    let db = words.next()?;
    Some((
        core::str::from_utf8(db).ok()?,
        core::str::from_utf8(user).ok()?,
        core::str::from_utf8(password).ok()?,
    ))
}

fn fail(msg: &[u8], code: u32) -> ! {
    rt::write_line(msg);
    rt::exit(code)
}

#[unsafe(no_mangle)]
extern "C" fn firmware_main() -> ! {
    rt::write_line(b"mongoauth login firmware: SCRAM-SHA-256 over UART0");
    let mut line = [0u8; 160];
    let Some(line) = rt::cmdline(&mut line) else {
        fail(b"FAIL: no semihosting command line", exit_code::OTHER)
    };
    let Some((db, user, password)) = credentials(line) else {
        fail(b"FAIL: expected -append \"DB USER PASSWORD\"", exit_code::OTHER)
    };
    let mut entropy = [0u8; AUTH_ENTROPY_LEN];
    if !SemihostingUrandom.fill(&mut entropy) {
        fail(b"FAIL: no entropy", exit_code::OTHER);
    }
    let mut uart = uart::Uart::init(IO_TIMEOUT_MS);
    rt::repaint_stack();
    let start = uart::now();
    let code = login(&mut uart, db, user, password, &entropy);
    let ticks = uart::since(start).wrapping_sub(uart.wait_ticks);
    let stack = rt::stack_high_water();
    rt::write(b"stack high-water mark: ");
    rt::write_u32(stack as u32);
    rt::write(b" bytes (frame buffer ");
    rt::write_u32(FRAME_LEN as u32);
    rt::write(b" bytes, authenticator ");
    rt::write_u32(AUTHENTICATOR_SIZE as u32);
    rt::write_line(b" bytes)");
    rt::write(b"compute ticks (25 MHz, UART waits excluded): ");
    rt::write_u32(ticks);
    rt::write_line(b"");
    rt::exit(code)
}

/// One login; returns the exit code. The phases are separate
/// `inline(never)` functions so that their temporaries (the credential,
/// the authenticator under construction, the frame buffer) do not share
/// one big frame: the stack high-water is the deepest phase, not the sum.
#[inline(never)]
#[cfg(not(feature = "harness-only"))]
fn login(
    uart: &mut uart::Uart,
    db: &str,
    user: &str,
    password: &str,
    entropy: &[u8; AUTH_ENTROPY_LEN],
) -> u32 {
    // Used in place (not moved out of the `Result`): a move would copy the
    // authenticator into a second stack slot.
    let mut auth = new_authenticator(db, user, password, entropy);
    match &mut auth {
        Ok(auth) => drive(uart, auth),
        Err(_) => fail(b"FAIL: credential or authenticator setup rejected", exit_code::OTHER),
    }
}

/// The credential and the authenticator (SCRAM-SHA-256 negotiated, with a
/// speculative first step in the hello).
#[inline(never)]
#[cfg(not(feature = "harness-only"))]
fn new_authenticator(
    db: &str,
    user: &str,
    password: &str,
    entropy: &[u8; AUTH_ENTROPY_LEN],
) -> Result<Authenticator<'static, PAYLOAD_LEN>, mongoauth::Error> {
    let cred = Credential::scram(user, password, db)?;
    Authenticator::with_payload_capacity(cred, AuthConfig::default(), entropy)
}

/// The blocking driver over the UART, within the login deadline.
#[inline(never)]
#[cfg(not(feature = "harness-only"))]
fn drive(uart: &mut uart::Uart, auth: &mut Authenticator<'static, PAYLOAD_LEN>) -> u32 {
    let mut buf = [0u8; FRAME_LEN];
    let mut deadline = uart::CounterDeadline::in_ms(LOGIN_DEADLINE_MS);
    match authenticate_until(uart, auth, &mut buf, &mut deadline) {
        Ok(Outcome::Authenticated { .. }) => {
            rt::write_line(b"RESULT: AUTHENTICATED (SCRAM-SHA-256)");
            exit_code::AUTHENTICATED
        }
        Ok(_) => {
            rt::write_line(b"RESULT: NOT AUTHENTICATED (arbiter or failed)");
            exit_code::OTHER
        }
        Err(e) if e.is_authentication_failed() => {
            rt::write_line(b"RESULT: AUTHENTICATION FAILED");
            exit_code::AUTH_FAILED
        }
        Err(HandshakeError::Timeout | HandshakeError::Io(uart::UartTimeout)) => {
            rt::write_line(b"RESULT: TIMEOUT");
            exit_code::TIMEOUT
        }
        Err(_) => {
            rt::write_line(b"RESULT: ERROR (protocol)");
            exit_code::OTHER
        }
    }
}

/// Footprint baseline: everything but the core (the UART, the counter,
/// semihosting, the reporting); one byte out and in keeps the UART linked.
#[inline(never)]
#[cfg(feature = "harness-only")]
fn login(
    uart: &mut uart::Uart,
    db: &str,
    user: &str,
    password: &str,
    entropy: &[u8; AUTH_ENTROPY_LEN],
) -> u32 {
    use embedded_io::{Read, Write};
    let mut buf = [0u8; FRAME_LEN];
    let n = db.len() ^ user.len() ^ password.len() ^ usize::from(entropy[0]);
    let _ = uart.write(&buf[..n % FRAME_LEN]);
    match uart.read(&mut buf) {
        Ok(_) => exit_code::AUTHENTICATED,
        Err(_) => exit_code::TIMEOUT,
    }
}
