//! Shared helpers for the workspace integration tests: where the spec data
//! lives, and how to reach the independent peers (a Python venv under `target/`).
#![allow(missing_docs)]

use std::path::PathBuf;

pub mod krb;

/// The project root (the workspace directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The MongoDB specification suites and RFC vectors: `MONGOAUTH_SPEC_TESTS`, or
/// `../shared/spec-tests` beside the project root. A missing folder fails loudly.
pub fn spec_tests() -> PathBuf {
    let dir = std::env::var_os("MONGOAUTH_SPEC_TESTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/spec-tests"));
    assert!(
        dir.is_dir(),
        "spec test data not found at {} (set MONGOAUTH_SPEC_TESTS)",
        dir.display()
    );
    dir
}

/// Read and parse one JSON file of the spec data.
pub fn spec_json(rel: &str) -> serde_json::Value {
    let path = spec_tests().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// The project's `target/` directory (respects `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// The Python interpreter of `target/venv`, holding the independent peers
/// pinned in `tests/python/requirements.txt` (scramp, pymongo, mockupdb).
/// Created on first use; a failure to create it fails the test loudly: a
/// missing peer is never a silent pass.
pub fn venv_python() -> PathBuf {
    static READY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            let venv = target_dir().join("venv");
            let python = venv.join("bin/python");
            let reqs = root().join("tests/python/requirements.txt");
            let wanted = std::fs::read_to_string(&reqs).expect("tests/python/requirements.txt");
            let stamp = venv.join(".mongoauth-requirements");
            if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
                && python.exists()
            {
                return python;
            }
            run_or_fail(std::process::Command::new("python3").args(["-m", "venv"]).arg(&venv));
            run_or_fail(
                std::process::Command::new(&python)
                    .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                    .arg(&reqs),
            );
            std::fs::write(&stamp, wanted).expect("write venv stamp");
            python
        })
        .clone()
}

fn run_or_fail(cmd: &mut std::process::Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed ({status}): the independent test peers are required");
}

/// A child process speaking a line protocol (one message per line, base64),
/// for driving an independent implementation step by step.
pub struct LinePeer {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl LinePeer {
    /// Start `python script args...` from the venv.
    pub fn python(script: &str, args: &[&str]) -> LinePeer {
        let mut child = std::process::Command::new(venv_python())
            .arg(root().join("tests/python").join(script))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start python peer");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        LinePeer { child, stdin, stdout }
    }

    /// Send one message.
    pub fn send(&mut self, msg: &[u8]) {
        use base64ct::Encoding;
        use std::io::Write;
        let line = base64ct::Base64::encode_string(msg);
        writeln!(self.stdin, "{line}").expect("write to peer");
        self.stdin.flush().expect("flush peer");
    }

    /// Receive one line: `MSG <base64>`, `OK`, or `ERR <text>`.
    pub fn recv(&mut self) -> PeerLine {
        use base64ct::Encoding;
        use std::io::BufRead;
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from peer");
        let line = line.trim_end();
        if let Some(b64) = line.strip_prefix("MSG ") {
            PeerLine::Msg(base64ct::Base64::decode_vec(b64).expect("peer sent bad base64"))
        } else if line == "OK" {
            PeerLine::Ok
        } else if let Some(e) = line.strip_prefix("ERR ") {
            PeerLine::Err(e.to_string())
        } else {
            panic!("peer said something unexpected: {line:?}")
        }
    }

    /// Receive a message, failing the test on anything else.
    pub fn recv_msg(&mut self) -> Vec<u8> {
        match self.recv() {
            PeerLine::Msg(m) => m,
            other => panic!("expected a message from the peer, got {other:?}"),
        }
    }
}

impl Drop for LinePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line from a [`LinePeer`].
#[derive(Debug, PartialEq, Eq)]
pub enum PeerLine {
    /// A protocol message.
    Msg(Vec<u8>),
    /// The peer finished successfully.
    Ok,
    /// The peer reports a failure.
    Err(String),
}
