//! A private MIT Kerberos realm for the GSSAPI tests, and a way to run a
//! test body inside it without touching the test process's environment.
//!
//! The realm is `scripts/krb-realm.sh` (realm MONGOAUTH.TEST in its own
//! directory under `target/krb/`, KDC on a free 127.0.0.1 port, principals
//! `user` with password `userpw` and keytab `user.keytab`, and
//! `mongodb/localhost` with keytab `mongodb.keytab`).
//!
//! The GSS-API library reads `KRB5_CONFIG`, `KRB5CCNAME`, `KRB5_KTNAME`,
//! `KRB5_CLIENT_KTNAME` from the process environment, which is global; so
//! [`in_realm`] runs the body in a child process: the test re-executes its
//! own binary, filtered to the one test, with the realm's variables set.
//! Tests therefore run in parallel, each with its own realm and port, and
//! the parent stops the KDC (by PID) when the child ends, also when it
//! failed. A missing Kerberos installation fails loudly
//! (`scripts/install-peers.sh` installs it when root).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::{root, target_dir};

/// The realm every test uses.
pub const REALM: &str = "MONGOAUTH.TEST";
/// The user principal's password (as `scripts/krb-realm.sh` creates it).
pub const USER_PASSWORD: &str = "userpw";
/// The user principal, fully qualified.
pub const USER: &str = "user@MONGOAUTH.TEST";

/// Set in the child: the realm directory.
const CHILD_DIR: &str = "MONGOAUTH_KRB_DIR";

/// Make sure MIT Kerberos is installed (else install it as root, else fail).
pub fn ensure_kerberos() {
    static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    READY.get_or_init(|| {
        let present = ["/usr/sbin/krb5kdc", "/usr/sbin/kadmin.local", "/usr/bin/kinit"]
            .iter()
            .all(|p| Path::new(p).exists());
        if !present {
            let status = Command::new("bash")
                .arg(root().join("scripts/install-peers.sh"))
                .status()
                .expect("run scripts/install-peers.sh");
            assert!(status.success(), "scripts/install-peers.sh failed: MIT Kerberos is required");
        }
    });
}

/// A realm started by the parent; stopped (KDC killed by its PID) on drop.
struct Started {
    dir: PathBuf,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(root().join("scripts/krb-realm.sh"))
            .arg("stop")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .status();
    }
}

/// A port free on 127.0.0.1 for TCP and UDP at the time of asking.
pub fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        let port = udp.local_addr().expect("local addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn start(name: &str) -> Started {
    ensure_kerberos();
    let mut last = String::new();
    for _attempt in 0..4 {
        let port = free_port();
        let dir = target_dir().join("krb").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create realm dir");
        let out = Command::new("bash")
            .arg(root().join("scripts/krb-realm.sh"))
            .arg("start")
            .arg(&dir)
            .env("KRB_PORT", port.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/krb-realm.sh");
        if out.status.success() {
            return Started { dir };
        }
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    panic!("scripts/krb-realm.sh start failed 4 times; last:\n{last}");
}

/// The `export NAME='value'` lines of `DIR/env`.
fn realm_env(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("env")).expect("realm env file");
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

/// The realm as the test body sees it (in the child process, whose
/// environment is the realm's).
#[derive(Debug, Clone)]
pub struct Realm {
    /// The realm directory (config, database, keytabs, ccache, logs).
    pub dir: PathBuf,
}

/// Run `body` in a child process inside a fresh realm. `name` must be the
/// test's own name (as `cargo test NAME --exact` matches it). `extra_env`
/// adds variables for the child; `{dir}` in a value is the realm directory
/// (e.g. `("KRB5_CLIENT_KTNAME", "{dir}/user.keytab")`).
pub fn in_realm(name: &str, extra_env: &[(&str, &str)], body: impl FnOnce(&Realm)) {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        let realm = Realm { dir: PathBuf::from(dir) };
        body(&realm);
        // Proof for the parent that the body ran (a wrong name would run
        // no test at all and exit 0).
        std::fs::write(realm.dir.join(format!("ran-{name}")), b"ok").expect("write marker");
        return;
    }
    let started = start(name);
    let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, &started.dir)
        .env_remove("KRB5_CLIENT_KTNAME")
        .stdin(Stdio::null());
    for (k, v) in realm_env(&started.dir) {
        cmd.env(k, v);
    }
    let dir_text = started.dir.to_str().expect("UTF-8 target dir").to_string();
    for (k, v) in extra_env {
        cmd.env(k, v.replace("{dir}", &dir_text));
    }
    let out: Output = cmd.output().expect("run the test in a child process");
    let ran = started.dir.join(format!("ran-{name}")).exists();
    let kdc_log = std::fs::read_to_string(started.dir.join("kdc.log")).unwrap_or_default();
    let report = format!(
        "child stdout:\n{}\nchild stderr:\n{}\nKDC log (last lines):\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        kdc_log
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let dir = started.dir.clone();
    drop(started);
    // Shown with --nocapture (the libraries' error texts, for a reader).
    println!("{report}");
    assert!(out.status.success(), "test {name} failed in its realm ({}):\n{report}", out.status);
    assert!(ran, "test {name} did not run in the child (is the name exact?):\n{report}");
    // Passed: nothing to look at; a failed test keeps its directory.
    let _ = std::fs::remove_dir_all(&dir);
}

impl Realm {
    fn run(&self, cmd: &mut Command, what: &str) -> Output {
        let out =
            cmd.stdin(Stdio::piped()).output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `kadmin.local -q QUERY` on this realm.
    pub fn kadmin(&self, query: &str) {
        let out = self.run(
            Command::new("bash")
                .arg(root().join("scripts/krb-realm.sh"))
                .arg("kadmin")
                .arg(&self.dir)
                .args(["-q", query]),
            &format!("kadmin.local -q {query:?}"),
        );
        // kadmin.local exits 0 even when the query failed; it says so.
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            !text.contains("while ") && !text.contains("error"),
            "kadmin.local -q {query:?}: {text}"
        );
    }

    /// Create principal `name` with `password`.
    pub fn add_user(&self, name: &str, password: &str) {
        self.kadmin(&format!("addprinc -pw {password} {name}"));
    }

    /// Create a service principal (random key) and put its key in a new
    /// keytab `DIR/<file>`; returns the keytab's path.
    pub fn add_service(&self, principal: &str, file: &str) -> PathBuf {
        let keytab = self.dir.join(file);
        self.kadmin(&format!("addprinc -randkey {principal}"));
        self.kadmin(&format!("ktadd -k {} {principal}", keytab.display()));
        keytab
    }

    /// `kinit` as `principal` with `password` into the realm's ccache
    /// (`KRB5CCNAME`), with extra `kinit` arguments (e.g. `-l 5s`).
    pub fn kinit(&self, principal: &str, password: &str, args: &[&str]) {
        let mut child = Command::new("kinit")
            .args(args)
            .arg(principal)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kinit");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("kinit stdin");
            writeln!(stdin, "{password}").expect("password to kinit");
        }
        let out = child.wait_with_output().expect("kinit");
        assert!(
            out.status.success(),
            "kinit {principal} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `kinit user` with its password.
    pub fn kinit_user(&self) {
        self.kinit(USER, USER_PASSWORD, &[]);
    }

    /// `kdestroy`: no ticket any more.
    pub fn kdestroy(&self) {
        let _ = Command::new("kdestroy").stdin(Stdio::null()).output();
    }

    /// The service keytab `scripts/krb-realm.sh` made (`mongodb/localhost`).
    pub fn service_keytab(&self) -> PathBuf {
        self.dir.join("mongodb.keytab")
    }

    /// The user's keytab (for `KRB5_CLIENT_KTNAME`).
    pub fn user_keytab(&self) -> PathBuf {
        self.dir.join("user.keytab")
    }
}

/// The Python of `target/venv-gss`, holding the GSSAPI peers pinned in
/// `tests/peers/gss-requirements.txt` (pymongo with pykerberos,
/// python-gssapi; both compile against the system MIT Kerberos). Created on
/// first use; a failure fails the test loudly.
pub fn gss_venv_python() -> PathBuf {
    static READY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            ensure_kerberos();
            let venv = target_dir().join("venv-gss");
            let python = venv.join("bin/python");
            let reqs = root().join("tests/peers/gss-requirements.txt");
            let wanted = std::fs::read_to_string(&reqs).expect("tests/peers/gss-requirements.txt");
            let stamp = venv.join(".mongoauth-requirements");
            if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
                && python.exists()
            {
                return python;
            }
            // Two test processes may get here at once: one installs, under a lock file.
            let lock = target_dir().join("venv-gss.lock");
            let _guard = FileLock::take(&lock);
            if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
                && python.exists()
            {
                return python;
            }
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 -m venv");
            assert!(status.success(), "python3 -m venv {} failed", venv.display());
            let status = Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(&reqs)
                .status()
                .expect("pip install");
            assert!(
                status.success(),
                "pip install -r {} failed: the GSSAPI peers are required",
                reqs.display()
            );
            std::fs::write(&stamp, wanted).expect("write venv stamp");
            python
        })
        .clone()
}

/// A crude inter-process lock: a directory created atomically, removed on drop.
struct FileLock(PathBuf);

impl FileLock {
    fn take(path: &Path) -> FileLock {
        let start = std::time::Instant::now();
        loop {
            match std::fs::create_dir(path) {
                Ok(()) => return FileLock(path.to_path_buf()),
                Err(_) if start.elapsed() < std::time::Duration::from_secs(300) => {
                    std::thread::sleep(std::time::Duration::from_millis(200))
                }
                Err(e) => panic!("cannot take {}: {e} (a stale lock? remove it)", path.display()),
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A line-printing child process with a `PORT <n>` first line that serves
/// until its stdin closes (tests/peers/gss_responder.py,
/// mongoauth-loopback-server): killed and reaped on drop.
pub struct PortPeer {
    child: std::process::Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    stdout: Option<std::io::BufReader<std::process::ChildStdout>>,
}

impl PortPeer {
    /// Start `cmd` (stdin and stdout are piped here) and read its port.
    pub fn start(mut cmd: Command, what: &str) -> PortPeer {
        use std::io::BufRead;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let Some(port) = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not say its port: {line:?}");
        };
        PortPeer { child, port, stdout: Some(stdout) }
    }

    /// Close its stdin (it stops) and return the rest of its output lines.
    pub fn finish(mut self) -> Vec<String> {
        use std::io::Read;
        drop(self.child.stdin.take());
        let mut rest = String::new();
        if let Some(mut out) = self.stdout.take() {
            let _ = out.read_to_string(&mut rest);
        }
        let _ = self.child.wait();
        rest.lines().map(str::to_string).collect()
    }
}

impl Drop for PortPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tests/peers/gss_responder.py (python-gssapi's acceptor, keytab from
/// `KRB5_KTNAME`) with these arguments.
pub fn gss_responder(args: &[&str]) -> PortPeer {
    let mut cmd = Command::new(gss_venv_python());
    cmd.arg(root().join("tests/peers/gss_responder.py")).args(args);
    PortPeer::start(cmd, "tests/peers/gss_responder.py")
}

/// tests/peers/pymongo_gssapi.py over these URIs: one `OK ...` / `FAIL ...`
/// line per URI.
pub fn pymongo_gssapi(uris: &[String]) -> Vec<String> {
    let out = Command::new(gss_venv_python())
        .arg(root().join("tests/peers/pymongo_gssapi.py"))
        .args(uris)
        .stdin(Stdio::null())
        .output()
        .expect("run tests/peers/pymongo_gssapi.py");
    assert!(
        out.status.success(),
        "pymongo_gssapi.py failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> =
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), uris.len(), "one line per URI: {lines:?}");
    lines
}

/// The Rust `mongodb` driver's GSSAPI client (tests/peers/rust-driver-gss, a
/// standalone cargo project pinned to mongodb 3.9.1 by its committed
/// `Cargo.lock`), built on first use into `target/peers/rust-driver-gss`
/// (cold: a few minutes; afterwards cargo finds it fresh in well under a
/// second). It is outside the workspace so that its large dependency tree
/// (tokio, rustls, hickory, ...) neither enters our lock file nor slows
/// every build. A failed build fails the test loudly with cargo's output.
pub fn rust_driver_gss() -> PathBuf {
    static READY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            ensure_kerberos();
            let manifest = root().join("tests/peers/rust-driver-gss/Cargo.toml");
            let target = target_dir().join("peers/rust-driver-gss");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let start = std::time::Instant::now();
            // Concurrent builds (tests in other processes) wait on cargo's
            // own lock of the target directory.
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "--locked", "--quiet", "--manifest-path"])
                .arg(&manifest)
                .env("CARGO_TARGET_DIR", &target)
                .env_remove("KRB5_CLIENT_KTNAME")
                .stdin(Stdio::null());
            // Not the variables cargo sets for this test binary: ring's build
            // script watches CARGO_MANIFEST_DIR, and a leaked value would
            // rebuild the TLS stack whenever the peer is built from a shell.
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy();
                if name.starts_with("CARGO_PKG_")
                    || name.starts_with("CARGO_BIN_")
                    || [
                        "CARGO_MANIFEST_DIR",
                        "CARGO_MANIFEST_PATH",
                        "CARGO_CRATE_NAME",
                        "CARGO_PRIMARY_PACKAGE",
                        "CARGO_TARGET_TMPDIR",
                        "CARGO_RUSTC_CURRENT_DIR",
                        "OUT_DIR",
                    ]
                    .contains(&name.as_ref())
                {
                    cmd.env_remove(name.as_ref());
                }
            }
            let out = cmd.output().expect("run cargo build for tests/peers/rust-driver-gss");
            assert!(
                out.status.success(),
                "building tests/peers/rust-driver-gss failed ({}): the Rust mongodb driver is a \
                 required peer\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            println!("rust-driver-gss built (or fresh) in {:.1?}", start.elapsed());
            let exe = target.join("debug/rust-driver-gss");
            assert!(exe.exists(), "{} missing after a successful build", exe.display());
            exe
        })
        .clone()
}

/// What the Rust driver peer said about one URI.
#[derive(Debug)]
pub enum DriverLogin {
    /// Logged in; `connectionStatus` named these `(user, db)` pairs.
    Ok(Vec<(String, String)>),
    /// Refused or failed: the driver's error text.
    Failed(String),
}

/// Run the Rust driver peer on `uri`: it connects, runs `connectionStatus`
/// and prints one JSON line; its exit status must agree with that line.
pub fn rust_driver_login(uri: &str) -> DriverLogin {
    let out = Command::new(rust_driver_gss())
        .arg(uri)
        .stdin(Stdio::null())
        .output()
        .expect("run rust-driver-gss");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("rust-driver-gss printed no JSON line ({e}): {stdout}{stderr}"));
    let ok = line["ok"].as_bool().unwrap_or_else(|| panic!("no \"ok\" in {line}"));
    assert_eq!(ok, out.status.success(), "exit status {} and {line} disagree", out.status);
    if !ok {
        return DriverLogin::Failed(line["error"].as_str().unwrap_or_default().to_string());
    }
    let users = line["users"].as_array().unwrap_or_else(|| panic!("no \"users\" in {line}"));
    DriverLogin::Ok(
        users
            .iter()
            .map(|u| {
                let field = |k: &str| {
                    u[k].as_str().unwrap_or_else(|| panic!("no {k:?} in {line}")).to_string()
                };
                (field("user"), field("db"))
            })
            .collect(),
    )
}
