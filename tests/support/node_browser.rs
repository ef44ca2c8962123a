//! A script under tests/node that drives Chromium through playwright-core
//! and talks to the test a line at a time: the test writes a line to its
//! standard input, the script answers with one JSON line on its standard
//! output. tests/preview_live.rs and tests/pages_in_browser.rs use it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

pub struct NodeBrowser {
    /// The script's file name, for the messages.
    name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl NodeBrowser {
    /// Starts `node tests/node/SCRIPT ARGS...`.
    pub fn start(script: &str, args: &[&str]) -> NodeBrowser {
        let mut child = Command::new("node")
            .arg(super::repo_file(&format!("tests/node/{script}")))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run node");
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        NodeBrowser {
            name: script.to_owned(),
            child,
            stdin,
            stdout,
        }
    }

    /// Writes `line` (and a newline) to the script.
    pub fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write to node");
        self.stdin.flush().expect("flush");
    }

    /// The next line the script prints, as JSON; when it stopped instead,
    /// a panic with what it wrote to standard error.
    pub fn read_json(&mut self) -> serde_json::Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from node");
        if line.is_empty() {
            let _ = self.child.wait();
            let mut err = String::new();
            if let Some(mut stderr) = self.child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
            }
            panic!("{} stopped early:\n{err}", self.name);
        }
        serde_json::from_str(&line).expect("a JSON line")
    }

    /// Closes the script's input and waits for it to end well.
    pub fn finish(self) {
        drop(self.stdin);
        let mut child = self.child;
        let status = child.wait().expect("wait for node");
        assert!(status.success(), "{}: {status}", self.name);
    }
}
