//! The README's demo: a SCRAM-SHA-256 login between the mongoauth client and
//! the mongoauth server, printed step by step. Nothing to install; the
//! randomness comes from the OS, everything else is in this process.
//!
//! `cargo run --release -p mongoauth-demo [USER PASSWORD]`

use std::time::Instant;

use mongoauth::os::fill_random;
use mongoauth::scram::{Client, ClientConfig, Nonce, ScramHash, Server, Sha256, StoredCredentials};

fn show(who: &str, msg: &[u8]) {
    println!("  {who:<7} {}", String::from_utf8_lossy(msg));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let user = args.next().unwrap_or_else(|| "alice".into());
    let password = args.next().unwrap_or_else(|| "correct horse battery staple".into());

    println!(
        "mongoauth {} demo: SCRAM-SHA-256, client and server in one process\n",
        env!("CARGO_PKG_VERSION")
    );

    // The server side stores what createUser would: salt, iterations, StoredKey, ServerKey.
    let mut salt = [0u8; Sha256::SALT_LEN];
    fill_random(&mut salt)?;
    let t = Instant::now();
    let creds =
        StoredCredentials::<Sha256>::generate(&user, &password, &salt, Sha256::DEFAULT_ITERATIONS)?;
    println!(
        "server: created user {user:?} ({} iterations, {:?}); the password itself is not stored\n",
        creds.iterations(),
        t.elapsed()
    );

    let t = Instant::now();
    let client =
        Client::<Sha256>::start(&user, &password, &Nonce::generate()?, &ClientConfig::default())?;
    show("client", client.message());

    let received = Server::<Sha256>::handle_client_first(client.message())?;
    let mut entropy = [0u8; 24];
    fill_random(&mut entropy)?;
    let server = received.respond(&creds, &entropy)?;
    show("server", server.message());

    let client = client.handle_server_first(server.message())?;
    show("client", client.message());

    let ok = server.handle_client_final(client.message())?;
    show("server", ok.message());
    println!("\nserver: {:?} proved knowledge of the password", ok.username());

    client.handle_server_final(ok.message())?;
    println!("client: server signature verified (the server knows the password too)");
    println!("login took {:?}\n", t.elapsed());

    // And a wrong password, for contrast.
    let bad =
        Client::<Sha256>::start(&user, "wrong", &Nonce::generate()?, &ClientConfig::default())?;
    let server = Server::<Sha256>::handle_client_first(bad.message())?.respond(&creds, &entropy)?;
    let bad = bad.handle_server_first(server.message())?;
    match server.handle_client_final(bad.message()) {
        Err(e) => println!(
            "wrong password: server refuses ({e}); answers e={}",
            mongoauth::scram::server_error_value(&e)
        ),
        Ok(_) => return Err("a wrong password was accepted".into()),
    }
    Ok(())
}
