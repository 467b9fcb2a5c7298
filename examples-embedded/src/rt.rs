//! The bare-metal runtime, hand-written instead of `cortex-m-rt` so the
//! firmware has no dependency beyond `mongoauth` and works with whichever
//! toolchain `scripts/embedded.sh` found: the vector table, the reset handler
//! (FPU on, `.data`/`.bss` set up, stack painted), fault handlers, ARM
//! semihosting (console output and exit codes under QEMU), and the stack
//! high-water-mark measurement. All `unsafe` code of the firmware lives here.

use core::arch::{asm, global_asm};
use core::ptr::{addr_of, addr_of_mut};

/// What the reset handler writes over the whole stack region. A word still
/// holding it after a run was (very probably) never written.
pub const STACK_PAINT: u32 = 0xCCCC_CCCC;

/// Exit codes seen by the host (QEMU passes them through).
pub mod exit_code {
    /// Every check passed.
    pub const PASS: u32 = 0;
    /// A check failed (also what the `wrong-vector` control must produce).
    pub const FAIL: u32 = 1;
    /// The panic handler ran: a bug, never an expected outcome.
    pub const PANIC: u32 = 101;
    /// A CPU fault (HardFault, bus/usage fault, NMI): also a bug.
    pub const FAULT: u32 = 102;
}

unsafe extern "C" {
    // Defined by link.x. Only their addresses are used.
    static mut __stack_bottom: u32;
    static mut __stack_top: u32;
}

// Vector table (the 16 architectural entries; no peripheral interrupt is
// enabled) and the reset handler. The reset handler is assembly because it
// paints the stack before anything has pushed to it, so the later
// measurement covers every frame, including `firmware_main`'s own.
global_asm!(
    r#"
    .section .vector_table, "a"
    .global __vector_table
    .p2align 2
__vector_table:
    .word __stack_top          /* initial SP */
    .word Reset                /* reset */
    .word fault_handler        /* NMI */
    .word fault_handler        /* HardFault */
    .word fault_handler        /* MemManage */
    .word fault_handler        /* BusFault */
    .word fault_handler        /* UsageFault */
    .word 0, 0, 0, 0           /* reserved */
    .word fault_handler        /* SVCall */
    .word fault_handler        /* DebugMonitor */
    .word 0                    /* reserved */
    .word fault_handler        /* PendSV */
    .word fault_handler        /* SysTick */

    .section .text.Reset, "ax"
    .global Reset
    .type Reset, %function
    .thumb_func
Reset:
    /* CPACR: full access to CP10/CP11. The hard-float target may use VFP
       registers; without this the first such instruction is a UsageFault. */
    ldr r0, =0xE000ED88
    ldr r1, [r0]
    orr r1, r1, #(0xF << 20)
    str r1, [r0]
    dsb
    isb
    /* .data: copy its initial image from flash. */
    ldr r0, =__sdata
    ldr r1, =__edata
    ldr r2, =__sidata
1:  cmp r0, r1
    bhs 2f
    ldr r3, [r2], #4
    str r3, [r0], #4
    b 1b
    /* .bss: zero. */
2:  ldr r0, =__sbss
    ldr r1, =__ebss
    movs r3, #0
3:  cmp r0, r1
    bhs 4f
    str r3, [r0], #4
    b 3b
    /* Paint the whole stack region [__stack_bottom, sp). */
4:  ldr r0, =__stack_bottom
    mov r1, sp
    ldr r3, =0xCCCCCCCC
5:  cmp r0, r1
    bhs 6f
    str r3, [r0], #4
    b 5b
6:  bl firmware_main
    udf #0
    .size Reset, . - Reset
    .ltorg
    "#
);

/// Every exception but reset: report and stop with a distinct exit code
/// (a fault is a firmware bug, never a test outcome).
#[unsafe(no_mangle)]
extern "C" fn fault_handler() -> ! {
    write_line(b"FAIL: CPU fault (HardFault/BusFault/UsageFault/NMI)");
    exit(exit_code::FAULT)
}

/// A panic would be a bug in the firmware or the core (the firmware logic
/// never panics on purpose): say so and exit with its own code.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // No `core::fmt` here: formatting the message would add kilobytes to the
    // footprint being measured.
    write_line(b"FAIL: panic");
    exit(exit_code::PANIC)
}

// ---- semihosting --------------------------------------------------------

const SYS_OPEN: usize = 0x01;
const SYS_CLOSE: usize = 0x02;
const SYS_WRITE: usize = 0x05;
const SYS_READ: usize = 0x06;
const SYS_GET_CMDLINE: usize = 0x15;
const SYS_EXIT: usize = 0x18;
const SYS_EXIT_EXTENDED: usize = 0x20;
/// `ADP_Stopped_ApplicationExit`: a normal program exit.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;

/// One semihosting call (`bkpt 0xab` on M-profile). `arg` is a word or the
/// address of a parameter block the host reads (and may write).
fn semihost(op: usize, arg: usize) -> usize {
    let ret;
    // SAFETY: the semihosting trap reads only the parameter block `arg`
    // points to, which the callers keep alive across the call; without a
    // debugger/QEMU attached it would be a HardFault, not UB.
    unsafe { asm!("bkpt #0xab", inout("r0") op => ret, in("r1") arg, options(nostack)) };
    ret
}

/// The host's console handle (`:tt` opened for writing), opened once.
fn console() -> usize {
    static mut HANDLE: usize = usize::MAX;
    // SAFETY: single-threaded firmware, no interrupts: nothing else touches HANDLE.
    unsafe {
        let h = addr_of_mut!(HANDLE);
        if *h == usize::MAX {
            let name = b":tt\0";
            // mode 4 = "w"; the length excludes the NUL.
            let block = [name.as_ptr() as usize, 4, 3];
            *h = semihost(SYS_OPEN, block.as_ptr() as usize);
        }
        *h
    }
}

/// Write raw bytes to the host console.
pub fn write(bytes: &[u8]) {
    let block = [console(), bytes.as_ptr() as usize, bytes.len()];
    semihost(SYS_WRITE, block.as_ptr() as usize);
}

/// Write a line to the host console.
pub fn write_line(bytes: &[u8]) {
    write(bytes);
    write(b"\n");
}

/// Write an unsigned decimal number (no `core::fmt`, for the same reason as
/// in the panic handler).
pub fn write_u32(mut n: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    write(buf.get(i..).unwrap_or(&[]));
}

/// Read a whole host file into `buf` through semihosting (SYS_OPEN,
/// SYS_READ, SYS_CLOSE); `path` ends with a NUL. `true` only if `buf` was
/// filled completely. Used by the login firmware's test-only entropy source.
#[allow(dead_code)] // only the login firmware reads host files
pub fn read_host_file(path: &[u8], buf: &mut [u8]) -> bool {
    let Some((&0, name)) = path.split_last() else { return false };
    // mode 1 = "rb".
    let block = [name.as_ptr() as usize, 1, name.len()];
    let handle = semihost(SYS_OPEN, block.as_ptr() as usize);
    if handle == usize::MAX {
        return false;
    }
    let block = [handle, buf.as_mut_ptr() as usize, buf.len()];
    // SYS_READ returns the number of bytes NOT read.
    let left = semihost(SYS_READ, block.as_ptr() as usize);
    semihost(SYS_CLOSE, [handle].as_ptr() as usize);
    left == 0
}

/// The command line QEMU was given (`-append`), after the kernel's name,
/// copied into `buf` (SYS_GET_CMDLINE). `None` if it does not fit.
#[allow(dead_code)] // only the login firmware takes arguments
pub fn cmdline(buf: &mut [u8]) -> Option<&[u8]> {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    if semihost(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) != 0 {
        return None;
    }
    let len = block[1].min(buf.len());
    buf.get(..len)
}

/// Stop QEMU with this exit code.
pub fn exit(code: u32) -> ! {
    if code == exit_code::PASS {
        semihost(SYS_EXIT, ADP_STOPPED_APPLICATION_EXIT);
    } else {
        // SYS_EXIT on 32-bit ARM can only say "success" or "failure" (1);
        // SYS_EXIT_EXTENDED carries the code itself.
        let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
        semihost(SYS_EXIT_EXTENDED, block.as_ptr() as usize);
        semihost(SYS_EXIT, 0x20024 /* ADP_Stopped_InternalError */);
    }
    // Without a semihosting host there is nowhere to go.
    loop {
        // SAFETY: `wfi` only waits for an interrupt.
        unsafe { asm!("wfi", options(nomem, nostack)) };
    }
}

// ---- stack high-water mark ----------------------------------------------

fn stack_bottom() -> usize {
    addr_of!(__stack_bottom) as usize
}

fn stack_top() -> usize {
    addr_of!(__stack_top) as usize
}

/// Bytes reserved for the stack (RAM left after `.data` and `.bss`).
pub fn stack_size() -> usize {
    stack_top() - stack_bottom()
}

/// Re-paint the unused part of the stack (everything below the current stack
/// pointer), so that a following [`stack_high_water`] measures only what runs
/// after this call (plus the frames already live, which it counts too).
#[inline(never)]
pub fn repaint_stack() {
    let sp: usize;
    // SAFETY: reads the stack pointer only.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    // Leave a small gap below sp (nothing lives there on Cortex-M, which has
    // no red zone, but the gap costs nothing).
    let end = sp.saturating_sub(16) & !3;
    let mut p = stack_bottom();
    while p < end {
        // SAFETY: [__stack_bottom, sp) is stack memory no live frame uses;
        // volatile so the stores are not elided.
        unsafe { core::ptr::write_volatile(p as *mut u32, STACK_PAINT) };
        p += 4;
    }
}

/// Deepest stack use since reset or the last [`repaint_stack`], in bytes
/// from the top of the stack: the lowest word no longer holding the paint.
/// Returns `stack_size()` if even the bottom word was overwritten (overflow).
pub fn stack_high_water() -> usize {
    let mut p = stack_bottom();
    let top = stack_top();
    while p < top {
        // SAFETY: inside the stack region; volatile because the compiler
        // cannot know the stack below it was written.
        if unsafe { core::ptr::read_volatile(p as *const u32) } != STACK_PAINT {
            break;
        }
        p += 4;
    }
    top - p
}
