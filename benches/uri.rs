//! Connection-string parse time per URI (plus credential extraction and
//! encoding) for a few representative inputs.
#![allow(missing_docs, clippy::unwrap_used)]

use core::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mongoauth::uri::{ConnectionString, Credential, HostSpec, UriBuilder};

const URIS: &[(&str, &str)] = &[
    ("minimal", "mongodb://localhost"),
    (
        "atlas_srv",
        "mongodb+srv://alice:s3cr%40t@cluster0.abcde.mongodb.net/shop?retryWrites=true&w=majority&appName=Cluster0",
    ),
    (
        "replica_set",
        "mongodb://app:p%2Fw@db1.example.com:27017,db2.example.com:27017,db3.example.com:27017/prod\
         ?replicaSet=rs0&readPreference=secondaryPreferred&readPreferenceTags=dc:ny,rack:1&readPreferenceTags=\
         &maxPoolSize=50&connectTimeoutMS=5000&tls=true&tlsCAFile=%2Fetc%2Fssl%2Fca.pem&compressors=zstd,zlib",
    ),
    (
        "oidc",
        "mongodb://client-id@localhost/?authMechanism=MONGODB-OIDC\
         &authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:api%3A%2F%2Fmongodb",
    ),
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("uri_parse");
    for (name, uri) in URIS {
        g.bench_function(*name, |b| {
            b.iter(|| ConnectionString::parse(black_box(uri), &mut ()).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("uri_credential");
    for (name, uri) in URIS {
        g.bench_function(*name, |b| {
            b.iter(|| {
                let cs = ConnectionString::parse(black_box(uri), &mut ()).unwrap();
                let cred = Credential::from_uri(&cs).unwrap();
                let (mut u, mut p) = ([0u8; 64], [0u8; 64]);
                if let Some(cred) = cred {
                    black_box(cred.decode_username(&mut u).unwrap());
                    black_box(cred.decode_password(&mut p).unwrap().map(|p| p.len()));
                }
            })
        });
    }
    g.finish();

    c.bench_function("uri_encode/replica_set", |b| {
        let hosts = [
            HostSpec::with_port("db1.example.com", 27017),
            HostSpec::with_port("db2.example.com", 27017),
            HostSpec::with_port("db3.example.com", 27017),
        ];
        let opts = [("replicaSet", "rs0"), ("authSource", "admin")];
        b.iter(|| {
            let mut out = [0u8; 256];
            let builder = UriBuilder::new(black_box(&hosts))
                .credentials("app", Some("p@ss/w:rd"))
                .database("prod")
                .options(&opts);
            black_box(builder.encode_into(&mut out).unwrap().len());
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
