//! The demo against a hostile server (#12 item 8): a zero-length or short
//! frame ends with an error instead of looping, and non-ASCII or malformed
//! reply text prints escaped instead of panicking on a UTF-8 boundary.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mongoauth::codec::bson::{DocWriter, Document};
use mongoauth::codec::wire;
use mongoauth_demo::{MAX_DESCRIPTION_LEN, describe, drain_frames};

#[test]
fn zero_length_and_short_frames_are_errors() {
    for len in [0u32, 1, 5, 15] {
        let mut buf = len.to_le_bytes().to_vec();
        buf.extend_from_slice(&[0u8; 32]);
        assert!(drain_frames(&mut buf).is_err(), "length {len}");
        assert!(buf.is_empty());
    }
    // An incomplete but possible frame waits for more bytes.
    let mut buf = 100u32.to_le_bytes().to_vec();
    assert_eq!(drain_frames(&mut buf).unwrap(), Vec::<String>::new());
}

#[test]
fn hostile_text_is_escaped_and_cut_on_a_char_boundary() {
    let hostile = format!("\u{1b}[31mred\u{7}\u{202e}{}", "é".repeat(400));
    let mut body = [0u8; 2048];
    let mut w = DocWriter::new(&mut body);
    w.double("ok", 0.0).string("errmsg", &hostile).binary("payload", 0, &[0xff, 0xfe, b'a']);
    let n = w.finish().unwrap();
    let line = describe(Document::parse(&body[..n]).unwrap());
    assert!(line.contains("\\x1b[31mred\\x07\\u{202e}"), "{line}");
    assert!(!line.contains('\u{1b}') && !line.contains('\u{202e}'));
    assert!(line.len() <= MAX_DESCRIPTION_LEN + 3);
    // The same as a whole frame through the tap.
    let mut frame = vec![0u8; 4096];
    let m = wire::encode_message(1, 1, &RawBody(&body[..n]), &mut frame).unwrap();
    let mut buf = frame[..m].to_vec();
    let lines = drain_frames(&mut buf).unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("\\x1b"));
}

/// A body already encoded.
struct RawBody<'a>(&'a [u8]);
impl wire::WriteBody for RawBody<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        for e in Document::parse(self.0).unwrap().iter() {
            match e.value {
                mongoauth::codec::bson::Value::Double(d) => {
                    w.double(e.key, d);
                }
                mongoauth::codec::bson::Value::String(s) => {
                    w.string(e.key, s);
                }
                mongoauth::codec::bson::Value::Binary(b) => {
                    w.binary(e.key, b.subtype, b.bytes);
                }
                _ => {}
            }
        }
    }
}

/// The demo binary against a server that answers the hello with a frame
/// announcing 0 bytes, then keeps the connection open: it must exit with an
/// error, not spin.
#[test]
fn demo_exits_on_a_zero_length_frame() {
    for reply in [[0u8; 16].to_vec(), {
        let mut r = 9u32.to_le_bytes().to_vec();
        r.extend_from_slice(&[0; 12]);
        r
    }] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut req = [0u8; 4096];
            let _ = conn.read(&mut req);
            conn.write_all(&reply).unwrap();
            // Hold the connection open a while: the client must not wait on it.
            let _ = conn.set_read_timeout(Some(Duration::from_secs(20)));
            let _ = conn.read(&mut req);
        });
        let mut child = Command::new(env!("CARGO_BIN_EXE_mongoauth-demo"))
            .arg(format!("mongodb://u:p@127.0.0.1:{port}/"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("the demo kept running on a zero-length frame");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(!status.success());
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(err.contains("error"), "{err}");
        drop(server);
    }
}
