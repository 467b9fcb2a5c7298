//! Proof that `mongoauth` needs neither std nor an allocator (see Cargo.toml).
#![no_std]
#![no_main]

use mongoauth::mech::scram::{Client, ClientConfig, Nonce, Sha1, Sha256};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(101)
}

/// `core` is prebuilt with unwinding tables; unoptimised builds still name
/// this symbol (it is never called: panics abort).
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

fn exit(code: i32) -> ! {
    // SAFETY: the exit_group system call never returns.
    unsafe { core::arch::asm!("syscall", in("rax") 231, in("rdi") code, options(noreturn)) }
}

fn write(msg: &[u8]) {
    // SAFETY: write(2) to fd 1 reads exactly `msg.len()` bytes from `msg`.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") 1isize => _, in("rdi") 1, in("rsi") msg.as_ptr(),
            in("rdx") msg.len(), lateout("rcx") _, lateout("r11") _, options(nostack));
    }
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

/// One published conversation: client-first, server-first, client-final, server-final.
fn check<H: mongoauth::mech::scram::ScramHash>(nonce: &str, msgs: [&[u8]; 4]) -> bool {
    let [cf, sf, cfin, sfin] = msgs;
    let Ok(nonce) = Nonce::from_text(nonce) else { return false };
    let Ok(c) = Client::<H>::start("user", "pencil", &nonce, &ClientConfig::default()) else {
        return false;
    };
    if c.message() != cf {
        return false;
    }
    let Ok(c) = c.handle_server_first(sf) else { return false };
    if c.message() != cfin {
        return false;
    }
    c.handle_server_final(sfin).is_ok()
}

extern "C" fn rust_main() -> ! {
    let sha256 = check::<Sha256>(
        "rOprNGfwEbeRWgbNEkqO",
        [
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
        ],
    );
    let sha1 = check::<Sha1>(
        "fyko+d2lbbFgONRv9qkxdawL",
        [
            b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
            b"r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000",
            b"c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=",
            b"v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=",
        ],
    );
    write(if sha256 { b"nostd-check: SCRAM-SHA-256 ok\n" } else { b"nostd-check: SCRAM-SHA-256 FAILED\n" });
    write(if sha1 { b"nostd-check: SCRAM-SHA-1 ok\n" } else { b"nostd-check: SCRAM-SHA-1 FAILED\n" });
    exit(if sha256 && sha1 { 0 } else { 1 })
}
