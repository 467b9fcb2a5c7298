//! The connection-string layer never touches the heap: parsing (with
//! warnings), credential building, decoding, SRV/TXT handling, encoding and
//! error formatting all run under a counting allocator that must stay at zero.
#![allow(clippy::unwrap_used, missing_docs)]

// The shared guard predates the workspace lint set; lint levels stay local.
#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use core::fmt::Write as _;

use mongoauth::uri::{
    ConnectionString, Credential, CredentialContext, HostSpec, TxtOptions, UriBuilder, Warnings,
};

/// A fixed-size `fmt::Write` target.
struct Buf<const N: usize> {
    data: [u8; N],
    len: usize,
}

impl<const N: usize> core::fmt::Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.data.get_mut(self.len..end).ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

const URIS: &[&str] = &[
    "mongodb://alice:p%40ss%3Aw%2Frd@db1.example.com:27017,db2.example.com,[::1]:27018,%2Ftmp%2Fm.sock/shop?replicaSet=rs0&w=majority&readPreference=secondary&readPreferenceTags=dc:ny,rack:1&readPreferenceTags=&compressors=zstd,zlib&appname=app&tls=true&tlsCertificateKeyFilePassword=hunter2",
    "mongodb://user%40EXAMPLE.COM@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:forward",
    "mongodb://localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:mongodb://x%2Cy&foo=bar&journal=&wtimeout=5",
    "mongodb+srv://cluster0.example.mongodb.net/?srvServiceName=custom&authSource=admin",
    "mongodb://u@[fe80::1%25eth0]:27018,[::1%25lo]/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:api%2Cv2",
];

#[test]
fn uri_layer_does_not_allocate() {
    alloc_guard::self_test();

    for uri in URIS {
        alloc_guard::assert_no_alloc("parse + credential + decode", || {
            let mut warnings = Warnings::<8>::new();
            let cs = ConnectionString::parse(uri, &mut warnings).unwrap();
            let mut n = 0;
            for h in cs.hosts() {
                let mut b = [0u8; 64];
                n += h.host.decode(&mut b).unwrap().len();
            }
            for o in cs.raw_options() {
                n += o.key.decoded_len();
            }
            for (_k, _v) in cs.options().iter() {
                n += 1;
            }
            let mut dbg = Buf::<4096> { data: [0; 4096], len: 0 };
            write!(dbg, "{cs:?}").unwrap();
            for w in warnings.as_slice() {
                write!(dbg, "{w}").unwrap();
            }
            if let Some(cred) = Credential::from_uri(&cs).unwrap() {
                let (mut ub, mut pb) = ([0u8; 64], [0u8; 64]);
                n += cred.decode_username(&mut ub).unwrap().map_or(0, str::len);
                if let Some(p) = cred.decode_password(&mut pb).unwrap() {
                    n += p.len();
                }
                write!(dbg, "{cred:?}").unwrap();
            }
            if let Some(srv) = cs.srv_query_name() {
                let mut b = [0u8; 256];
                n += srv.write_into(&mut b).unwrap().len();
                assert!(srv.is_valid_target("shard-00.example.mongodb.net"));
                let txt = TxtOptions::parse("authSource=admin&replicaSet=rs0").unwrap();
                txt.check_against(&cs).unwrap();
                let ctx = CredentialContext::new().with_txt(txt);
                let _ = Credential::from_uri_with(&cs, &ctx);
            }
            core::hint::black_box(n);
        });
    }

    alloc_guard::assert_no_alloc("errors and their messages", || {
        let mut buf = Buf::<512> { data: [0; 512], len: 0 };
        for bad in
            ["mongodb://u:p?x@h", "mongodb://a@b@c", "mongodb://h/?w", "mongodb://h/?authSource="]
        {
            let e = ConnectionString::parse(bad, &mut ()).unwrap_err();
            buf.len = 0;
            write!(buf, "{e}").unwrap();
        }
        let cs =
            ConnectionString::parse("mongodb://localhost/?authMechanism=PLAIN", &mut ()).unwrap();
        let e = Credential::from_uri(&cs).unwrap_err();
        buf.len = 0;
        write!(buf, "{e}").unwrap();
    });

    alloc_guard::assert_no_alloc("encode", || {
        let hosts = [
            HostSpec::with_port("db.example.com", 27017),
            HostSpec::new("::1"),
            HostSpec::new("/tmp/m.sock"),
        ];
        let opts = [("authSource", "admin"), ("appname", "a&b")];
        let b = UriBuilder::new(&hosts)
            .credentials("ü@:/", Some("p%w+d"))
            .database("shop")
            .options(&opts);
        let mut out = [0u8; 256];
        let uri = b.encode_into(&mut out).unwrap();
        let cs = ConnectionString::parse(uri, &mut ()).unwrap();
        assert_eq!(cs.username().unwrap(), "ü@:/");
        let mut small = [0u8; 8];
        assert!(b.encode_into(&mut small).is_err());
        let mut w = Buf::<256> { data: [0; 256], len: 0 };
        b.write_to(&mut w).unwrap();
    });
}
