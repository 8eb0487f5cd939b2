//! One stuck analysis holds up nothing else. The server is started with the debugging aid
//! `VAULTLINK_DEBUG_STALL_ANALYSIS=stuck.http` (the parse of `stuck.http` never ends) and a
//! short budget; another document is then edited, hovered and completed as if nothing were
//! wrong, requests about the stuck one are answered with an error that names it (and the
//! log says so too), `$/cancelRequest` is answered at once, and `shutdown` and `exit` are
//! answered within a second while requests about the stuck document are still waiting.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vaultlink_e2e::Project;
use vaultlink_e2e::lsp::{Client, Options, find};

const BUDGET_MS: u64 = 1500;

const FIXTURE: &str = r##"//- /vaultlink.json
{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com"]
    }
  }
}
//- /api/ok.http
GET https://api.stripe.com/v1/charges
Authorization: Bearer {{vault:stripe-key}}
//- /api/stuck.http
GET https://api.stripe.com/v1/refunds
Authorization: Bearer {{vault:stripe-key}}
"##;

fn start(p: &Project) -> Client {
    let env = [
        (
            "VAULTLINK_DEBUG_STALL_ANALYSIS".to_owned(),
            "stuck.http".to_owned(),
        ),
        (
            "VAULTLINK_ANALYSIS_BUDGET_MS".to_owned(),
            BUDGET_MS.to_string(),
        ),
    ];
    Client::start_with(
        p.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    )
}

/// Sends a request and waits `within` for its answer; returns the answer and how long it took.
fn timed(
    c: &mut Client,
    method: &str,
    params: Value,
    within: Duration,
) -> (Result<Value, Value>, Duration) {
    let started = Instant::now();
    let r = c.request_within(method, params, within);
    (r, started.elapsed())
}

#[test]
fn a_stuck_analysis_delays_no_other_document_nor_shutdown() {
    let p = Project::new(FIXTURE);
    let mut c = start(&p);
    let stuck_text = p.read("api/stuck.http");
    let ok_text = p.read("api/ok.http");
    let stuck = c.open(&p.path("api/stuck.http"), &stuck_text);
    let ok = c.open(&p.path("api/ok.http"), &ok_text);

    // The other document: diagnostics, hover and completion as usual, and quickly.
    c.wait_diagnostics_version(&ok, 1);
    let (s, _) = find(&ok_text, "stripe-key");
    let (hover, took) = {
        let at = c.at(&ok, s + 2);
        timed(&mut c, "textDocument/hover", at, Duration::from_secs(1))
    };
    let hover = hover.unwrap_or_else(|e| panic!("hover on ok.http: {e}\n{}", c.dump()));
    assert!(
        hover.to_string().contains("stripe-key"),
        "the hover is about the secret: {hover}"
    );
    eprintln!("hover on ok.http beside a stuck document: {took:?}");
    // An edit of the other document is checked while the stuck one is still stuck.
    let v = c.edit(&ok, 0, 0, "# charges\n");
    let diags = c.wait_diagnostics_version(&ok, v);
    assert!(diags.is_empty(), "{diags:?}");
    let (s, _) = find(c.text(&ok), "{{vault:");
    let (completion, took) = {
        let at = c.at(&ok, s + 8);
        timed(
            &mut c,
            "textDocument/completion",
            at,
            Duration::from_secs(1),
        )
    };
    assert!(
        completion
            .unwrap_or_else(|e| panic!("completion on ok.http: {e}\n{}", c.dump()))
            .to_string()
            .contains("stripe-key"),
        "completion offers the linked name"
    );
    eprintln!("completion on ok.http beside a stuck document: {took:?}");

    // The stuck document: an error within the budget, naming the file, in the answer and
    // in the log.
    let (s, _) = find(&stuck_text, "stripe-key");
    let (r, took) = {
        let at = c.at(&stuck, s + 2);
        timed(
            &mut c,
            "textDocument/hover",
            at,
            Duration::from_millis(BUDGET_MS + 2000),
        )
    };
    let e = r.expect_err("a hover on the stuck document is answered with an error");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("stuck.http") && m.contains("took longer than 1.5 s")),
        "{e}"
    );
    assert_eq!(e["code"], -32803, "{e}");
    eprintln!("hover on stuck.http: an error after {took:?}");
    c.wait_notification("a log message naming the stuck file", |n| {
        n["method"] == "window/logMessage"
            && n["params"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("stuck.http"))
    });

    // Stuck past its budget, the document's later requests do not wait for it at all.
    let (r, took) = timed(
        &mut c,
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": stuck } }),
        Duration::from_secs(1),
    );
    assert!(r.is_err(), "{r:?}");
    eprintln!("symbols of stuck.http, past its budget: an error after {took:?}");

    // A newer version of the stuck document is stuck too; a request about it can be
    // cancelled, and the cancellation is answered at once.
    c.edit(&stuck, 0, 0, "# refunds\n");
    let id = c.send_request(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": stuck } }),
    );
    c.notify("$/cancelRequest", json!({ "id": id }));
    let r = c.wait_response(id, "textDocument/codeLens", Duration::from_secs(1));
    assert_eq!(r.expect_err("a cancelled request")["code"], -32800);

    // Requests about the stuck document still waiting for it, `shutdown` and `exit` are
    // answered within a second, and the process exits 0.
    c.edit(&stuck, 0, 0, "# more refunds\n");
    for _ in 0..8 {
        let at = c.at(&stuck, 2);
        c.send_request("textDocument/hover", at);
    }
    c.shutdown_within(Duration::from_secs(1), Duration::from_secs(1));
}
