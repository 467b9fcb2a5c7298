//! No stale secrets (issue #12 item 6): after a server login ends, the
//! object that ran it no longer holds StoredKey, ServerKey or ClientKey
//! anywhere in its bytes. The object lives in a buffer we own (pre-filled
//! with a pattern), the login is driven with bytes computed independently
//! here (the `pbkdf2`/`hmac`/`sha2` crates play the client), and the
//! buffer is scanned for every 8-byte window of each key: first while the
//! client-final-message is awaited (the keys must be found, or the scan
//! proves nothing), then after success, after a wrong proof, and after a
//! drop in place.
//!
//! The stack: the verify path (the proof check, HMACs keyed by StoredKey
//! and ServerKey) runs in frames below the test's, and the dead stack below
//! is scanned for the three keys and for the keyed pad states. Only that
//! path is scanned: the typestate API moves values by design (a state
//! returned by value leaves its old bytes in a dead frame), so the other
//! steps are not promised stack-clean; the crypto code wipes its own
//! locals (pad states, digests, the proof candidate).
//!
//! Known residue, not asserted: the outer pad state of `HMAC(ServerKey, .)`
//! (the server signature's) can stay in a dead frame, because the outer
//! hasher is moved into its by-value `finish` and the moved-from bytes are
//! never dropped. Finishing by reference removes it (tried: the scan then
//! passes) but costs 34 bytes of flash in the SCRAM-SHA-256 client, which
//! would break its 8 KiB budget (8,188 B today); a stack burn after the
//! proof check also works but costs 2 KiB of stack on the embedded server.
//! The test prints it when seen.
#![allow(clippy::unwrap_used, missing_docs, unsafe_code)]

use std::mem::MaybeUninit;

use base64ct::{Base64, Encoding};
use bson::{Bson, Document, doc};
use hmac::{Hmac, KeyInit, Mac};
use mongoauth::mech::Mechanism;
use mongoauth::mech::scram::{AnyStoredCredentials, ServerMachine, Sha256, StoredCredentials};
use mongoauth::server::{ServerSession, StaticUsers, UserStore};
use sha2::Digest;

const CLIENT_FIRST_BARE: &str = "n=user,r=rOprNGfwEbeRWgbNEkqO";
const PATTERN: u8 = 0xa5;

fn hmac256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().into()
}

/// The client side of SCRAM-SHA-256, from the RFC's formulas.
struct Keys {
    client_key: [u8; 32],
    stored_key: [u8; 32],
    server_key: [u8; 32],
}

impl Keys {
    fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, iterations, &mut salted);
        let client_key = hmac256(&salted, b"Client Key");
        let stored_key: [u8; 32] = sha2::Sha256::digest(client_key).into();
        Keys { client_key, stored_key, server_key: hmac256(&salted, b"Server Key") }
    }

    /// The client-final-message for `server_first` (a right or wrong proof).
    fn client_final(&self, client_first_bare: &str, server_first: &str, right: bool) -> String {
        let nonce = server_first.split(',').next().unwrap().strip_prefix("r=").unwrap();
        let without_proof = format!("c=biws,r={nonce}");
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hmac256(&self.stored_key, auth.as_bytes());
        let mut proof: Vec<u8> =
            self.client_key.iter().zip(signature).map(|(k, s)| k ^ s).collect();
        if !right {
            proof[0] ^= 1;
        }
        format!("{without_proof},p={}", Base64::encode_string(&proof))
    }

    fn all(&self) -> [(&'static str, &[u8; 32]); 3] {
        [
            ("ClientKey", &self.client_key),
            ("StoredKey", &self.stored_key),
            ("ServerKey", &self.server_key),
        ]
    }
}

/// Every key of `keys` with an 8-byte window present in `bytes`.
fn found_in(bytes: &[u8], keys: &Keys) -> Vec<&'static str> {
    keys.all()
        .into_iter()
        .filter(|(_, k)| k.windows(8).any(|w| bytes.windows(8).any(|b| b == w)))
        .map(|(name, _)| name)
        .collect()
}

/// A `T` in a buffer we can read as bytes after use.
struct Slot<T> {
    slot: Box<MaybeUninit<T>>,
}

/// Overwrite the free stack below this frame with zeros. Building the keys
/// here (and `StoredCredentials::generate`) leaves copies on the stack, and
/// a value built on the stack and moved into the slot carries its
/// uninitialised bytes (an empty `heapless::String`'s buffer, say) with it:
/// without this, the scan would find the test's own leftovers.
#[inline(never)]
fn clear_stack() {
    let mut zeros = [0u8; 256 * 1024];
    std::hint::black_box(&mut zeros);
}

impl<T> Slot<T> {
    fn new(value: impl FnOnce() -> T) -> Self {
        clear_stack();
        let value = value();
        let mut slot = Box::new(MaybeUninit::<T>::uninit());
        // SAFETY: writing bytes into our own uninitialised allocation.
        unsafe { std::ptr::write_bytes(slot.as_mut_ptr().cast::<u8>(), PATTERN, size_of::<T>()) };
        slot.write(value);
        Slot { slot }
    }
    fn get(&mut self) -> &mut T {
        // SAFETY: initialised in `new` and not dropped before `drop_in_place`.
        unsafe { self.slot.assume_init_mut() }
    }
    /// The object's bytes. Reading padding bytes as `u8` is what this test is
    /// about: any byte of the object's storage may hold a stale key.
    fn bytes(&self) -> Vec<u8> {
        let p = self.slot.as_ptr().cast::<u8>();
        // SAFETY: the allocation holds `size_of::<T>()` bytes, all written
        // at least once (the pattern) before the value.
        (0..size_of::<T>()).map(|i| unsafe { std::ptr::read_volatile(p.add(i)) }).collect()
    }
    /// Drop the value where it lies; the bytes stay readable.
    fn drop_in_place(&mut self) {
        // SAFETY: initialised, and never used as a `T` again.
        unsafe { self.slot.assume_init_drop() }
    }
}

fn machine_at_client_final(
    keys: &Keys,
    creds: &StoredCredentials<Sha256>,
) -> (Slot<ServerMachine<Sha256>>, String) {
    let mut m = Slot::new(ServerMachine::<Sha256>::new);
    m.get().handle_client_first(format!("n,,{CLIENT_FIRST_BARE}").as_bytes()).unwrap();
    let sf = String::from_utf8(m.get().respond(creds, &[0x17; 24]).unwrap().to_vec()).unwrap();
    assert_eq!(
        found_in(&m.bytes(), keys),
        ["StoredKey", "ServerKey"],
        "the scan must see the live keys"
    );
    (m, sf)
}

#[test]
fn the_runtime_machine_wipes_its_keys_when_a_login_ends() {
    let salt = [0x5c; 28];
    let keys = Keys::derive("pencil", &salt, 4096);
    let creds = StoredCredentials::<Sha256>::generate("user", "pencil", &salt, 4096).unwrap();
    assert_eq!(creds.stored_key().expose(), keys.stored_key);
    let mut n = 0;

    // Success: the server-final-message is ready, the keys are gone.
    let (mut m, sf) = machine_at_client_final(&keys, &creds);
    let fin = keys.client_final(CLIENT_FIRST_BARE, &sf, true);
    assert!(m.get().handle_client_final(fin.as_bytes()).is_ok());
    assert!(m.get().is_authenticated());
    assert_eq!(found_in(&m.bytes(), &keys), Vec::<&str>::new(), "after success");
    m.drop_in_place();
    n += 1;

    // A wrong proof.
    let (mut m, sf) = machine_at_client_final(&keys, &creds);
    let fin = keys.client_final(CLIENT_FIRST_BARE, &sf, false);
    assert!(m.get().handle_client_final(fin.as_bytes()).is_err());
    assert_eq!(found_in(&m.bytes(), &keys), Vec::<&str>::new(), "after a wrong proof");
    m.drop_in_place();
    n += 1;

    // A malformed client-final-message.
    let (mut m, _) = machine_at_client_final(&keys, &creds);
    assert!(m.get().handle_client_final(b"garbage").is_err());
    assert_eq!(found_in(&m.bytes(), &keys), Vec::<&str>::new(), "after a malformed message");
    m.drop_in_place();
    n += 1;

    // Abandoned mid-conversation: wipe(), and drop.
    let (mut m, _) = machine_at_client_final(&keys, &creds);
    m.get().wipe();
    assert_eq!(found_in(&m.bytes(), &keys), Vec::<&str>::new(), "after wipe()");
    m.drop_in_place();
    let (mut m, _) = machine_at_client_final(&keys, &creds);
    m.drop_in_place();
    assert_eq!(found_in(&m.bytes(), &keys), Vec::<&str>::new(), "after drop");
    n += 2;
    println!("ServerMachine memory scans: {n} passed, 0 failed");
}

fn bin(bytes: &[u8]) -> Bson {
    Bson::Binary(bson::Binary {
        subtype: bson::spec::BinarySubtype::Generic,
        bytes: bytes.to_vec(),
    })
}

fn payload(doc: &Document) -> String {
    match doc.get("payload") {
        Some(Bson::Binary(b)) => String::from_utf8(b.bytes.clone()).unwrap(),
        other => panic!("no payload in {doc:?} ({other:?})"),
    }
}

#[test]
fn the_session_wipes_the_conversation_keys() {
    let users =
        StaticUsers::<2>::new().with_scram_user("admin", "user", "pencil", &[8; 28]).unwrap();
    let Some(AnyStoredCredentials::Sha256(creds)) =
        users.scram_credentials("admin", "user", Mechanism::ScramSha256)
    else {
        panic!("no credentials")
    };
    let first = |s: &mut ServerSession<&StaticUsers<2>>| {
        let cmd = doc! {
            "saslStart": 1, "mechanism": "SCRAM-SHA-256",
            "payload": bin(format!("n,,{CLIENT_FIRST_BARE}").as_bytes()),
            "options": { "skipEmptyExchange": true }, "$db": "admin",
        };
        let mut out = vec![0u8; 4096];
        let n = s.handle(&bson::to_vec(&cmd).unwrap(), &[0x29; 24], &mut out).unwrap();
        payload(&Document::from_reader(&mut &out[..n]).unwrap())
    };
    let sf = first(&mut ServerSession::new(&users, [1; 32]));
    let attrs: Vec<&str> = sf.split(',').collect();
    let salt = Base64::decode_vec(attrs[1].strip_prefix("s=").unwrap()).unwrap();
    let iterations: u32 = attrs[2].strip_prefix("i=").unwrap().parse().unwrap();
    assert_eq!(salt, creds.salt());
    let keys = Keys::derive("pencil", &salt, iterations);
    assert_eq!(creds.stored_key().expose(), keys.stored_key);

    for right in [true, false] {
        let mut s = Slot::new(|| ServerSession::new(&users, [1; 32]));
        let sf = first(s.get());
        assert_eq!(
            found_in(&s.bytes(), &keys),
            ["StoredKey", "ServerKey"],
            "the scan must see the live keys"
        );
        let fin = keys.client_final(CLIENT_FIRST_BARE, &sf, right);
        let cmd = doc! { "saslContinue": 1, "conversationId": 1, "payload": bin(fin.as_bytes()), "$db": "admin" };
        let mut out = vec![0u8; 4096];
        let n = s.get().handle(&bson::to_vec(&cmd).unwrap(), &[0x29; 24], &mut out).unwrap();
        let reply = Document::from_reader(&mut &out[..n]).unwrap();
        assert_eq!(reply.get_i32("code").ok(), if right { None } else { Some(18) });
        assert_eq!(s.get().authenticated_user().is_some(), right);
        assert_eq!(found_in(&s.bytes(), &keys), Vec::<&str>::new(), "right proof: {right}");
        s.drop_in_place();
    }
    // Dropped while the client-final-message is awaited.
    let mut s = Slot::new(|| ServerSession::new(&users, [1; 32]));
    first(s.get());
    s.drop_in_place();
    assert_eq!(found_in(&s.bytes(), &keys), Vec::<&str>::new(), "after drop");
}

/// The keyed pad states of `HMAC(key, .)` as they sit in memory: SHA-256
/// states after one compression of `key ^ ipad` / `key ^ opad`.
fn pad_states(key: &[u8; 32]) -> [[u8; 32]; 2] {
    let mut out = [[0u8; 32]; 2];
    for (o, x) in out.iter_mut().zip([0x36u8, 0x5c]) {
        let mut block = [x; 64];
        for (b, k) in block.iter_mut().zip(key) {
            *b = k ^ x;
        }
        let mut state: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        sha2::block_api::compress256(&mut state, &[block]);
        for (chunk, w) in o.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
    }
    out
}

const STACK_SCAN: usize = 64 * 1024;

/// Run the proof check (the verify path, HMACs keyed by StoredKey and
/// ServerKey) in frames below the caller's.
#[inline(never)]
fn verify_deep(m: &mut ServerMachine<Sha256>, fin: &[u8]) -> bool {
    std::hint::black_box(m.handle_client_final(std::hint::black_box(fin)).is_ok())
}

/// Copy the `STACK_SCAN` bytes below this frame (where `verify_deep`'s
/// frames were) into `out`, which was allocated beforehand.
#[inline(never)]
fn copy_dead_stack(out: &mut [u8]) {
    let marker = 0u8;
    let top = std::hint::black_box(&marker as *const u8) as usize;
    for (i, b) in out.iter_mut().enumerate() {
        // SAFETY: reads of the thread's own stack, below the live frames
        // (the main thread's stack is far larger than STACK_SCAN); the
        // bytes are plain old data from dead frames.
        *b = unsafe { std::ptr::read_volatile((top - STACK_SCAN + i) as *const u8) };
    }
}

#[test]
fn the_verify_path_leaves_no_keys_or_pad_states_on_the_stack() {
    // Run in a thread of our own, with a known stack size.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let salt = [0x3d; 28];
            let keys = Keys::derive("pencil", &salt, 4096);
            let creds =
                StoredCredentials::<Sha256>::generate("user", "pencil", &salt, 4096).unwrap();
            let (mut m, sf) = machine_at_client_final(&keys, &creds);
            let fin = keys.client_final(CLIENT_FIRST_BARE, &sf, true);
            let mut dead = vec![0u8; STACK_SCAN];
            clear_stack();
            assert!(verify_deep(m.get(), fin.as_bytes()));
            copy_dead_stack(&mut dead);
            let mut leaks = found_in(&dead, &keys);
            for (name, key) in [("StoredKey", &keys.stored_key), ("ServerKey", &keys.server_key)] {
                for (pad, state) in ["inner", "outer"].into_iter().zip(pad_states(key)) {
                    if state.windows(8).any(|w| dead.windows(8).any(|d| d == w)) {
                        println!("{name} {pad} pad state found on the stack");
                        // The one known residue (module docs).
                        if (name, pad) != ("ServerKey", "outer") {
                            leaks.push(name);
                        }
                    }
                }
            }
            m.drop_in_place();
            assert_eq!(leaks, Vec::<&str>::new(), "secrets left on the stack by the verify path");
        })
        .unwrap()
        .join()
        .unwrap();
}
