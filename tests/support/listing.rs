//! What `postbode subscribers list` says, for tests that check the outcome
//! through the CLI rather than the database.

use super::TestApp;

/// `subscribers list --status STATUS` as addresses, sorted.
pub fn addresses(app: &TestApp, status: &str) -> Vec<String> {
    let run = app
        .run(&["subscribers", "list", "--status", status, "--format", "csv"])
        .ok();
    let mut emails: Vec<String> = run
        .stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next().map(str::to_owned))
        .collect();
    emails.sort();
    emails
}
