//! A blocking `embedded_io` transport over the CMSDK APB UART0 of the MPS2
//! AN386 board (QEMU `-M mps2-an386`), polled (no interrupts), with a read
//! timeout from the board's FPGAIO 25 MHz counter: a UART has no EOF, so a
//! silent or vanished server would otherwise block a read forever.
//!
//! QEMU pitfalls handled here (see the project's peer notes, section 13):
//! - after reset (CTRL = 0) QEMU drops the socket from its poll set, and
//!   enabling RX does not re-add it: one dummy read of DATA right after
//!   enabling RX does (only at init: later it could eat a byte);
//! - the host side must use `nodelay=on` on its `-chardev socket` (Nagle
//!   otherwise adds ~40 ms per round trip): that is the script's part.

use core::ptr::{read_volatile, write_volatile};

/// UART0 base address.
const UART0: usize = 0x4000_4000;
const DATA: usize = UART0;
const STATE: usize = UART0 + 0x04;
const CTRL: usize = UART0 + 0x08;
const BAUDDIV: usize = UART0 + 0x10;
const STATE_TXFULL: u32 = 1 << 0;
const STATE_RXFULL: u32 = 1 << 1;
const STATE_OVERRUNS: u32 = 0b1100;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;
/// 25 MHz / 115200 baud (QEMU does not emulate the baud rate; a board does).
const BAUDDIV_115200: u32 = 217;

/// The FPGAIO free-running counter (25 MHz, wraps every ~172 s).
const FPGAIO_COUNTER: usize = 0x4002_8018;
/// Counter ticks per millisecond.
pub const TICKS_PER_MS: u32 = 25_000;

fn reg_read(addr: usize) -> u32 {
    // SAFETY: a device register of the MPS2 AN386 memory map, aligned.
    unsafe { read_volatile(addr as *const u32) }
}

fn reg_write(addr: usize, v: u32) {
    // SAFETY: as in `reg_read`.
    unsafe { write_volatile(addr as *mut u32, v) }
}

/// The 25 MHz counter now.
pub fn now() -> u32 {
    reg_read(FPGAIO_COUNTER)
}

/// Ticks since `start` (wrap-safe for spans under ~172 s).
pub fn since(start: u32) -> u32 {
    now().wrapping_sub(start)
}

/// An overall login deadline over the counter, for
/// `mongoauth::io::authenticate_until`. Spans must stay under ~172 s.
pub struct CounterDeadline {
    start: u32,
    ticks: u32,
}

impl CounterDeadline {
    /// A deadline `ms` milliseconds from now.
    pub fn in_ms(ms: u32) -> Self {
        CounterDeadline { start: now(), ticks: ms.saturating_mul(TICKS_PER_MS) }
    }
}

impl mongoauth::io::Deadline for CounterDeadline {
    fn expired(&mut self) -> bool {
        since(self.start) >= self.ticks
    }
}

/// The UART's only failure: nothing arrived (or could be sent) in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UartTimeout;

impl core::fmt::Display for UartTimeout {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("UART timeout")
    }
}

impl core::error::Error for UartTimeout {}

impl embedded_io::Error for UartTimeout {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::TimedOut
    }
}

/// UART0, initialised, with a per-call timeout.
pub struct Uart {
    timeout_ticks: u32,
    /// Counter ticks spent waiting for bytes (not computing), so the
    /// firmware can report the login's own cost apart from the server's.
    pub wait_ticks: u32,
}

impl Uart {
    /// Set UART0 up (TX and RX on, no interrupts, overruns cleared, the
    /// dummy DATA read) with a `timeout_ms` limit on each read and write.
    pub fn init(timeout_ms: u32) -> Self {
        reg_write(CTRL, 0);
        reg_write(BAUDDIV, BAUDDIV_115200);
        reg_write(STATE, STATE_OVERRUNS);
        reg_write(CTRL, CTRL_TX_EN | CTRL_RX_EN);
        // QEMU: re-adds the socket to the poll set (see the module docs).
        let _ = reg_read(DATA);
        Uart { timeout_ticks: timeout_ms.saturating_mul(TICKS_PER_MS), wait_ticks: 0 }
    }

    /// Spin until `STATE & bit == want`, or time out.
    fn wait(&mut self, bit: u32, want: u32) -> Result<(), UartTimeout> {
        let start = now();
        loop {
            if reg_read(STATE) & bit == want {
                self.wait_ticks = self.wait_ticks.wrapping_add(since(start));
                return Ok(());
            }
            if since(start) >= self.timeout_ticks {
                return Err(UartTimeout);
            }
        }
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = UartTimeout;
}

impl embedded_io::Read for Uart {
    /// Blocks for the first byte (up to the timeout), then takes what is
    /// already there without waiting.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, UartTimeout> {
        let Some((first, rest)) = buf.split_first_mut() else { return Ok(0) };
        self.wait(STATE_RXFULL, STATE_RXFULL)?;
        *first = reg_read(DATA) as u8;
        let mut n = 1;
        for b in rest {
            if reg_read(STATE) & STATE_RXFULL == 0 {
                break;
            }
            *b = reg_read(DATA) as u8;
            n += 1;
        }
        Ok(n)
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, UartTimeout> {
        for &b in buf {
            self.wait(STATE_TXFULL, 0)?;
            reg_write(DATA, u32::from(b));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), UartTimeout> {
        Ok(())
    }
}
