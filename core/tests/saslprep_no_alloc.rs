//! SASLprep never touches the heap, on any path: the ASCII fast path, the full
//! Unicode pipeline, every error, and a too-small buffer.

// The shared guard uses std on purpose (it wraps the system allocator).
#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use mongoauth::saslprep::{SaslprepError, saslprep, saslprep_heapless};

#[test]
fn guard_works() {
    alloc_guard::self_test();
}

#[test]
fn saslprep_does_not_allocate() {
    let inputs = [
        "pencil",
        "",
        "I\u{AD}X",
        "\u{2168}",
        "\u{FDFA}",
        "a\u{301}\u{323}\u{1100}\u{1161}\u{11A8}",
        "\u{627}1\u{628}",
        "\u{7}",
        "\u{221}",
        "\u{5D0}a",
        "a\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}",
    ];
    let mut big = [0u8; 256];
    let mut small = [0u8; 2];
    let mut hs = heapless::String::<64>::new();
    let mut results = 0usize;
    alloc_guard::assert_no_alloc("saslprep", || {
        for input in inputs {
            results += usize::from(saslprep(input, &mut big).is_ok());
            let r = saslprep(input, &mut small);
            results += usize::from(matches!(r, Err(SaslprepError::BufferTooSmall(_))));
            results += usize::from(saslprep_heapless(input, &mut hs).is_ok());
        }
    });
    // The inputs did reach the paths meant: 7 prepare (4 errors), and 4 of
    // those outputs do not fit in 2 bytes ("", "IX" twice do).
    assert_eq!(results, 7 + 4 + 7);
}

#[cfg(feature = "saslprep")]
#[test]
fn full_pipeline_results() {
    let mut out = [0u8; 64];
    let text = alloc_guard::assert_no_alloc("prepare", || {
        saslprep("\u{FB01}\u{A0}\u{2163}", &mut out).map(|s| s.len())
    });
    assert_eq!(text, Ok("fi IV".len()));
}
