//! An answered one-click unsubscribe survives the server being killed:
//! the real `postbode serve` takes a burst of concurrent one-clicks (so the
//! group commit batches them), is killed with SIGKILL the moment the last
//! answer arrives, and every person whose page said "unsubscribed" is
//! unsubscribed in the database afterwards, with their log entry. Both
//! backends.

mod support;

use support::http::{Server, post_form};
use support::listing::addresses;
use support::{TestApp, unsubscribe_token};

const PEOPLE: i64 = 48;

#[test]
fn every_one_click_answered_before_a_sigkill_is_kept() {
    let app = TestApp::with_config("\n[server]\nbind = \"127.0.0.1:0\"\n");
    let mut csv = String::from("email,status\n");
    for i in 1..=PEOPLE {
        csv.push_str(&format!("lezer{i}@example.nl,active\n"));
    }
    app.write("leden.csv", csv);
    app.run(&["subscribers", "import", "leden.csv"]).ok();
    let tokens: Vec<(i64, String)> = (1..=PEOPLE)
        .map(|id| (id, unsubscribe_token(&app, id)))
        .collect();
    let server = Server::start(&app, &["serve"]);
    let port = server.port;
    let answered: Vec<i64> = std::thread::scope(|scope| {
        let posts: Vec<_> = tokens
            .iter()
            .map(|(id, token)| {
                scope.spawn(move || {
                    let page = post_form(
                        port,
                        &format!("/u/{token}"),
                        &[],
                        "List-Unsubscribe=One-Click",
                    );
                    (page.status == 200).then_some(*id)
                })
            })
            .collect();
        posts
            .into_iter()
            .filter_map(|post| post.join().expect("post"))
            .collect()
    });
    // SIGKILL at once (Server's drop), no shutdown.
    drop(server);
    assert_eq!(answered.len(), PEOPLE as usize, "every POST answered 200");

    let left = addresses(&app, "unsubscribed");
    assert_eq!(left.len(), PEOPLE as usize, "{left:?}");
    for id in [1, PEOPLE] {
        let history = support::db::status_log(&app, &format!("lezer{id}@example.nl"));
        assert!(
            history
                .iter()
                .any(|c| c.to == "unsubscribed" && c.source == "one-click"),
            "lezer{id}: {history:?}"
        );
    }
}
