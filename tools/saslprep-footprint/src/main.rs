//! Calls `saslprep` once on an input the optimiser cannot see, so that the
//! whole SASLprep path (and nothing else of the crate) is linked in.
#![no_std]
#![no_main]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(101)
}

/// Named by prebuilt `core`; never called (panics abort).
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

fn exit(code: i32) -> ! {
    // SAFETY: the exit_group system call never returns.
    unsafe { core::arch::asm!("syscall", in("rax") 231, in("rdi") code, options(noreturn)) }
}

core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "and rsp, -16",
    "call {main}",
    "ud2",
    main = sym rust_main,
);

extern "C" fn rust_main() -> ! {
    let input: &str = core::hint::black_box("I\u{AD}X \u{2168} p\u{E4}ssw\u{F6}rd");
    let mut out = [0u8; 128];
    let code = match mongoauth::saslprep::saslprep(input, &mut out) {
        Ok(text) => i32::try_from(text.len()).unwrap_or(0),
        Err(_) => 200,
    };
    exit(core::hint::black_box(code))
}
