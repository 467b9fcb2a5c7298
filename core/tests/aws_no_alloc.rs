//! The default build never allocates: a whole MONGODB-AWS client
//! conversation (with and without a session token), region derivation, date
//! handling and the error paths, under a counting global allocator.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use alloc_guard::{assert_no_alloc, self_test};
use mongoauth::codec::bson::{DocWriter, Document};
use mongoauth::mech::aws::{self, AmzDate, Client, Credentials};

fn server_first<'b>(buf: &'b mut [u8], s: &[u8], host: &str) -> &'b [u8] {
    let mut w = DocWriter::new(buf);
    w.binary("s", 0, s).string("h", host);
    let n = w.finish().unwrap();
    &buf[..n]
}

#[test]
fn aws_conversation_does_not_allocate() {
    self_test();
    assert_no_alloc("MONGODB-AWS client", || {
        let nonce = [7u8; 32];
        let mut s = [9u8; 64];
        s[..32].copy_from_slice(&nonce);
        let mut buf = [0u8; 256];
        let date = AmzDate::parse("20191112T210122Z").unwrap();
        assert_eq!(AmzDate::from_unix_seconds(1_573_592_482).unwrap(), date);
        let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

        let client = Client::start(&nonce);
        assert_eq!(client.payload().len(), aws::CLIENT_FIRST_LEN);
        let done = client
            .handle_server_first(server_first(&mut buf, &s, "sts.amazonaws.com"), &creds, &date)
            .unwrap();
        let reply = Document::parse(done.payload()).unwrap();
        assert!(reply.get_str("a").unwrap().starts_with("AWS4-HMAC-SHA256 "));

        let temp = creds.with_session_token("AQoDYXdzEJr1K...EXAMPLE-SESSION-TOKEN");
        let done = Client::start(&nonce)
            .handle_server_first(
                server_first(&mut buf, &s, "sts.us-west-2.amazonaws.com"),
                &temp,
                &date,
            )
            .unwrap();
        assert!(Document::parse(done.payload()).unwrap().contains_key("t"));

        // Error paths build their errors without allocating too.
        assert!(aws::region("sts..com").is_err());
        assert!(AmzDate::parse("2019-11-12T21:01:22Z").is_err());
        assert!(Client::start(&[1; 32]).handle_server_first(b"junk", &creds, &date).is_err());
        assert!(
            Client::start(&[1; 32])
                .handle_server_first(server_first(&mut buf, &s, "sts.amazonaws.com"), &creds, &date)
                .is_err()
        );
    });
}
