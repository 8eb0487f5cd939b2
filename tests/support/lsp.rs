//! A small synchronous language-server client for the end-to-end tests: it runs the built
//! binary (`vaultlink lsp`), speaks JSON-RPC 2.0 with `Content-Length` framing over its stdio,
//! answers the server's own requests like an editor would, and records every message both
//! ways so a test can search the whole stream (for a planted secret, say).
//!
//! Threads: one writes to the server's stdin (nobody else ever blocks on the pipe, so a 10 MB
//! message cannot deadlock against the server's output), one reads its stdout and sorts what
//! arrives into responses, notifications and server requests, one collects its stderr. Tests
//! wait on a condition variable with a timeout; a timeout fails the test with the method
//! waited for and everything received so far.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Project;

/// How long a request or an expected notification may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Which way a recorded message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// From the client (this test) to the server.
    Sent,
    /// From the server to the client.
    Received,
}

#[derive(Default)]
struct Inbox {
    /// Responses to our requests, by id, not yet collected.
    responses: HashMap<i64, Value>,
    /// When each response arrived (read off the pipe, before it was parsed), by id.
    arrived: HashMap<i64, Instant>,
    /// Every notification from the server, in order.
    notifications: Vec<Value>,
    /// When each notification arrived, in the same order.
    notification_times: Vec<Instant>,
    /// Every request from the server, in order.
    server_requests: Vec<Value>,
    /// The `edit` of every `workspace/applyEdit` the server asked for.
    applied_edits: Vec<Value>,
    /// The params of every `window/showDocument`.
    shown_documents: Vec<Value>,
    /// The params of every `window/showMessageRequest`.
    message_requests: Vec<Value>,
    /// The action this client picks in a `window/showMessageRequest`: the first whose title
    /// starts with it; `None` dismisses the request.
    message_choice: Option<String>,
    /// The whole stream, both ways, as sent.
    transcript: Vec<(Dir, Arc<str>)>,
    /// Messages that were not valid JSON-RPC (protocol errors of the server).
    garbage: Vec<String>,
    /// Error responses with `"id": null`: about messages the server could not read.
    orphan_errors: Vec<Value>,
    /// The server's stdout reached its end.
    closed: bool,
}

struct Shared {
    inbox: Mutex<Inbox>,
    cond: Condvar,
    stderr: Mutex<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, tx: &mpsc::Sender<Vec<u8>>, msg: &Value) {
        self.send_framed(tx, Framed::new(msg));
    }

    fn send_framed(&self, tx: &mpsc::Sender<Vec<u8>>, framed: Framed) {
        self.lock().transcript.push((Dir::Sent, framed.body.into()));
        // The writer is gone only when the server's stdin is closed; the test notices that
        // when it waits for an answer.
        let _ = tx.send(framed.bytes);
    }
}

/// A message serialized and framed, ready to be written.
struct Framed {
    body: String,
    bytes: Vec<u8>,
}

impl Framed {
    fn new(msg: &Value) -> Framed {
        let body = serde_json::to_string(msg).expect("a message serializes");
        let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        Framed { body, bytes }
    }
}

/// A `didOpen` this client has serialized but not sent ([`Client::prepare_open`]): a
/// benchmark starts its clock when the server is handed the message, not while the client
/// builds it.
pub struct PreparedOpen {
    uri: String,
    text: String,
    framed: Framed,
}

fn prepared_open(uri: String, language_id: &str, text: &str) -> PreparedOpen {
    let msg = json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": { "uri": uri, "languageId": language_id, "version": 1, "text": text }
    }});
    PreparedOpen {
        uri,
        text: text.to_string(),
        framed: Framed::new(&msg),
    }
}

/// What to start the server with. `Options::default()` is a UTF-16-only client that takes
/// pushed diagnostics and reports progress, started with `vaultlink lsp`.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// `capabilities.general.positionEncodings`; empty leaves the field out (a UTF-16 client).
    pub encodings: &'a [&'a str],
    /// Declare `textDocument.diagnostic` (a client that pulls diagnostics). The server then
    /// pulls only, as VS Code and Neovim 0.11 would show pushed and pulled ones twice; the
    /// default client does not declare it so that diagnostics are pushed, but it can still
    /// send `textDocument/diagnostic`.
    pub pull_diagnostics: bool,
    /// With `pull_diagnostics`: declare `workspace.diagnostics.refreshSupport`, as VS Code
    /// does (true by default); Neovim 0.11 pulls without it.
    pub diagnostic_refresh: bool,
    /// `window.workDoneProgress`.
    pub work_done_progress: bool,
    /// The command line, `["lsp"]` by default.
    pub args: &'a [&'a str],
    /// Another server to start instead (program and arguments; `args` is then unused): the
    /// benchmark drives a peer server with the same client.
    pub command: Option<&'a [&'a str]>,
    pub initialization_options: Option<Value>,
    /// Wait for the end of the workspace scan's `$/progress` before returning from `start`.
    pub wait_for_index: bool,
    /// Environment variables for the server (the Key Vault emulator's endpoints, a `PATH`).
    pub env: &'a [(String, String)],
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            encodings: &[],
            pull_diagnostics: false,
            diagnostic_refresh: true,
            work_done_progress: true,
            args: &["lsp"],
            command: None,
            initialization_options: None,
            wait_for_index: true,
            env: &[],
        }
    }
}

/// A running server and the editor side of the conversation.
pub struct Client {
    child: Child,
    tx: Option<mpsc::Sender<Vec<u8>>>,
    shared: Arc<Shared>,
    next_id: i64,
    root: PathBuf,
    encoding: String,
    init: Value,
    /// Open documents as this client has them: uri → (version, text).
    docs: HashMap<String, (i32, String)>,
    /// Per uri, the index in `notifications` after the last diagnostics taken.
    diag_cursor: HashMap<String, usize>,
    /// When the last diagnostics taken arrived.
    last_arrival: Option<Instant>,
    done: bool,
}

impl Client {
    /// Starts `vaultlink lsp` on the workspace folder `root`, offering the position
    /// `encodings` (empty: a UTF-16-only client that does not send the field).
    pub fn start(root: &Path, encodings: &[&str]) -> Client {
        Client::start_with(
            root,
            Options {
                encodings,
                ..Options::default()
            },
        )
    }

    pub fn start_with(root: &Path, opts: Options<'_>) -> Client {
        let mut command = match opts.command {
            Some([program, args @ ..]) => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            _ => {
                let mut c = Command::new(crate::bin());
                c.args(opts.args);
                c
            }
        };
        for var in crate::AZURE_VARS.iter().chain(&crate::AWS_VARS) {
            command.env_remove(var);
        }
        let mut child = command
            .envs(opts.env.iter().map(|(k, v)| (k, v)))
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the vaultlink binary starts");
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Inbox::default()),
            cond: Condvar::new(),
            stderr: Mutex::new(String::new()),
        });
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let mut stdin = child.stdin.take().unwrap();
        thread::spawn(move || {
            for bytes in rx {
                if stdin
                    .write_all(&bytes)
                    .and_then(|()| stdin.flush())
                    .is_err()
                {
                    break;
                }
            }
            // Dropping stdin here closes the server's input.
        });
        let stdout = child.stdout.take().unwrap();
        let (s, t) = (shared.clone(), tx.clone());
        thread::spawn(move || read_loop(stdout, &s, &t));
        let mut stderr = child.stderr.take().unwrap();
        let s = shared.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut e = s.stderr.lock().unwrap_or_else(|e| e.into_inner());
                e.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });

        let mut client = Client {
            child,
            tx: Some(tx),
            shared,
            next_id: 0,
            root: root.to_path_buf(),
            encoding: "utf-16".into(),
            init: Value::Null,
            docs: HashMap::new(),
            diag_cursor: HashMap::new(),
            last_arrival: None,
            done: false,
        };
        let mut general = json!({});
        if !opts.encodings.is_empty() {
            general["positionEncodings"] = json!(opts.encodings);
        }
        let mut text_document = json!({
            "synchronization": { "dynamicRegistration": false, "didSave": true },
            "hover": { "contentFormat": ["markdown", "plaintext"] },
            "completion": { "completionItem": { "snippetSupport": false } },
            "codeAction": {
                "codeActionLiteralSupport": {
                    "codeActionKind": { "valueSet": ["quickfix", "refactor", "refactor.rewrite"] }
                }
            },
            "documentSymbol": { "hierarchicalDocumentSymbolSupport": true },
            "rename": { "prepareSupport": false },
            "publishDiagnostics": { "versionSupport": true },
        });
        if opts.pull_diagnostics {
            text_document["diagnostic"] = json!({ "dynamicRegistration": false });
        }
        let root_uri = file_uri(root);
        let mut params = json!({
            "processId": std::process::id(),
            "clientInfo": { "name": "vaultlink-e2e" },
            "rootUri": root_uri,
            "workspaceFolders": [{ "uri": root_uri, "name": "root" }],
            "capabilities": {
                "general": general,
                "textDocument": text_document,
                "workspace": {
                    "applyEdit": true,
                    "workspaceEdit": {
                        "documentChanges": true,
                        "resourceOperations": ["create"]
                    },
                    "didChangeWatchedFiles": { "dynamicRegistration": true },
                    "workspaceFolders": true,
                    "configuration": true,
                    "executeCommand": {},
                    "diagnostics": { "refreshSupport": opts.pull_diagnostics && opts.diagnostic_refresh }
                },
                "window": {
                    "workDoneProgress": opts.work_done_progress,
                    "showDocument": { "support": true }
                }
            }
        });
        // An editor in a trusted workspace unless the options say otherwise.
        let mut init_options = opts.initialization_options.unwrap_or_else(|| json!({}));
        if init_options.get("trusted").is_none() {
            init_options["trusted"] = json!(true);
        }
        params["initializationOptions"] = init_options;
        let init = client
            .request("initialize", params)
            .unwrap_or_else(|e| panic!("initialize failed: {e}"));
        client.encoding = init["capabilities"]["positionEncoding"]
            .as_str()
            .unwrap_or("utf-16")
            .to_string();
        client.init = init;
        client.notify("initialized", json!({}));
        if opts.wait_for_index && opts.work_done_progress {
            client.wait_notification("the end of the workspace scan", |n| {
                n["method"] == "$/progress" && n["params"]["value"]["kind"] == "end"
            });
        }
        client
    }

    /// The position encoding the server chose.
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn encoding(&self) -> &str {
        &self.encoding
    }

    /// The `InitializeResult`.
    pub fn init_result(&self) -> &Value {
        &self.init
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Sends a request and waits [`TIMEOUT`] for its answer: `Ok(result)` or `Err(error)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.request_within(method, params, TIMEOUT)
    }

    /// Sends a request and returns how long its answer took to arrive — read off the pipe,
    /// before this client parsed it — with the answer. For measuring the server alone.
    pub fn request_timed(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> (Duration, Result<Value, Value>) {
        let sent = Instant::now();
        let id = self.next_id + 1;
        let result = self.request_within(method, params, timeout);
        let arrived = self
            .shared
            .lock()
            .arrived
            .remove(&id)
            .unwrap_or_else(Instant::now);
        (arrived - sent, result)
    }

    pub fn request_within(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        self.wait_response(id, method, timeout)
    }

    /// Sends a request without waiting for its answer; returns its id for
    /// [`Client::wait_response`]. Meanwhile the test can play other parts (a browser).
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.send(&msg);
        id
    }

    /// Waits for the answer to request `id` (sent as `method`).
    pub fn wait_response(
        &mut self,
        id: i64,
        method: &str,
        timeout: Duration,
    ) -> Result<Value, Value> {
        let deadline = Instant::now() + timeout;
        let mut inbox = self.shared.lock();
        loop {
            if let Some(resp) = inbox.responses.remove(&id) {
                return match resp.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(resp.get("result").cloned().unwrap_or(Value::Null)),
                };
            }
            inbox = self.wait_or_fail(inbox, deadline, &format!("an answer to `{method}`"));
        }
    }

    /// A request that must succeed: its result.
    pub fn ok(&mut self, method: &str, params: Value) -> Value {
        match self.request(method, params) {
            Ok(v) => v,
            Err(e) => panic!("`{method}` answered with an error: {e}\n{}", self.dump()),
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let msg = json!({ "jsonrpc": "2.0", "method": method, "params": params });
        self.send(&msg);
    }

    fn send(&self, msg: &Value) {
        let tx = self.tx.as_ref().expect("the client is running");
        self.shared.send(tx, msg);
    }

    /// Opens a document (`didOpen`, version 1); returns its URI.
    pub fn open(&mut self, path: &Path, text: &str) -> String {
        let uri = file_uri(path);
        self.open_uri(&uri, language_id(path), text);
        uri
    }

    /// A `didOpen` of `path`, serialized now and sent by [`Client::send_open`].
    pub fn prepare_open(&self, path: &Path, text: &str) -> PreparedOpen {
        prepared_open(file_uri(path), language_id(path), text)
    }

    /// Sends a prepared `didOpen`; returns its URI.
    pub fn send_open(&mut self, open: PreparedOpen) -> String {
        let tx = self.tx.as_ref().expect("the client is running");
        self.shared.send_framed(tx, open.framed);
        self.docs.insert(open.uri.clone(), (1, open.text));
        open.uri
    }

    pub fn open_uri(&mut self, uri: &str, language_id: &str, text: &str) {
        self.send_open(prepared_open(uri.to_string(), language_id, text));
    }

    pub fn close(&mut self, uri: &str) {
        self.docs.remove(uri);
        self.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
    }

    /// Sends `didChange` with `changes` (an array of `TextDocumentContentChangeEvent`s) and
    /// applies them to this client's copy of the text, in the negotiated encoding.
    pub fn change(&mut self, uri: &str, version: i32, changes: Value) {
        // Sent first, so that the server works while this copy is updated.
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": changes.clone()
            }),
        );
        let enc = self.encoding.clone();
        if let Some((v, text)) = self.docs.get_mut(uri) {
            for c in changes.as_array().expect("changes are an array") {
                let new_text = c["text"].as_str().unwrap();
                match c.get("range") {
                    Some(r) => {
                        let start = offset(text, &r["start"], &enc);
                        let end = offset(text, &r["end"], &enc).max(start);
                        text.replace_range(start..end, new_text);
                    }
                    None => *text = new_text.to_string(),
                }
            }
            *v = version;
        }
    }

    /// Replaces the bytes `start..end` of an open document with `new_text` (one incremental
    /// change, the range in the negotiated encoding); returns the new version.
    pub fn edit(&mut self, uri: &str, start: usize, end: usize, new_text: &str) -> i32 {
        let (version, text) = self.docs.get(uri).expect("the document is open").clone();
        let r = range(&text, start, end, &self.encoding);
        self.change(uri, version + 1, json!([{ "range": r, "text": new_text }]));
        version + 1
    }

    /// This client's text of a document, if it is open.
    pub fn open_text(&self, uri: &str) -> Option<&str> {
        self.docs.get(uri).map(|(_, t)| t.as_str())
    }

    /// The texts a `WorkspaceEdit` from the server would produce, by URI, starting from this
    /// client's text of open documents and the disk's of the others.
    pub fn texts_after(&self, edit: &Value) -> BTreeMap<String, String> {
        edited_files(edit, &self.encoding, |uri| {
            self.open_text(uri)
                .map(str::to_string)
                .or_else(|| std::fs::read_to_string(uri_to_path(uri)).ok())
        })
    }

    /// Sends raw bytes to the server's stdin, framing and all (for malformed messages).
    pub fn send_raw(&self, bytes: &[u8]) {
        let tx = self.tx.as_ref().expect("the client is running");
        self.shared
            .lock()
            .transcript
            .push((Dir::Sent, String::from_utf8_lossy(bytes).into()));
        let _ = tx.send(bytes.to_vec());
    }

    /// This client's text of an open document.
    pub fn text(&self, uri: &str) -> &str {
        &self.docs.get(uri).expect("the document is open").1
    }

    pub fn version(&self, uri: &str) -> i32 {
        self.docs.get(uri).expect("the document is open").0
    }

    /// A position in an open document, from a byte offset, in the negotiated encoding.
    pub fn pos(&self, uri: &str, offset: usize) -> Value {
        position(self.text(uri), offset, &self.encoding)
    }

    /// A range in an open document, from byte offsets, in the negotiated encoding.
    pub fn range(&self, uri: &str, start: usize, end: usize) -> Value {
        range(self.text(uri), start, end, &self.encoding)
    }

    /// `{"textDocument": {"uri"}, "position"}` at a byte offset of an open document.
    pub fn at(&self, uri: &str, offset: usize) -> Value {
        json!({ "textDocument": { "uri": uri }, "position": self.pos(uri, offset) })
    }

    /// The next `textDocument/publishDiagnostics` for `uri` (after those already taken).
    pub fn wait_diagnostics(&mut self, uri: &str) -> Vec<Value> {
        self.wait_diagnostics_where(uri, |_| true)["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// When the diagnostics last taken by a `wait_diagnostics*` call arrived (read off the
    /// pipe, before this client parsed them).
    pub fn last_diagnostics_arrival(&self) -> Option<Instant> {
        self.last_arrival
    }

    /// The diagnostics published for `version` of `uri`, skipping earlier publications.
    pub fn wait_diagnostics_version(&mut self, uri: &str, version: i32) -> Vec<Value> {
        self.wait_diagnostics_where(uri, |p| p["version"] == version)["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The next publication (its params) for `uri` that satisfies `pred`, skipping others.
    pub fn wait_diagnostics_where(&mut self, uri: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        let mut from = self.diag_cursor.get(uri).copied().unwrap_or(0);
        let mut inbox = self.shared.lock();
        loop {
            let found = inbox.notifications[from..].iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics"
                    && n["params"]["uri"] == uri
                    && pred(&n["params"])
            });
            if let Some(i) = found {
                let params = inbox.notifications[from + i]["params"].clone();
                if let Some(t) = inbox.notification_times.get(from + i) {
                    self.last_arrival = Some(*t);
                }
                drop(inbox);
                self.diag_cursor.insert(uri.to_string(), from + i + 1);
                return params;
            }
            from = inbox.notifications.len();
            inbox = self.wait_or_fail(inbox, deadline, &format!("diagnostics for {uri}"));
        }
    }

    /// Every diagnostics publication for `uri` received so far (params).
    pub fn publications(&self, uri: &str) -> Vec<Value> {
        self.notifications("textDocument/publishDiagnostics")
            .into_iter()
            .filter(|p| p["uri"] == uri)
            .collect()
    }

    /// The params of every notification with `method` received so far.
    pub fn notifications(&self, method: &str) -> Vec<Value> {
        self.shared
            .lock()
            .notifications
            .iter()
            .filter(|n| n["method"] == method)
            .map(|n| n["params"].clone())
            .collect()
    }

    /// The first notification ever received that satisfies `pred` (whole message); waits for
    /// it up to [`TIMEOUT`].
    pub fn wait_notification(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        let mut inbox = self.shared.lock();
        loop {
            if let Some(n) = inbox.notifications.iter().find(|n| pred(n)) {
                return n.clone();
            }
            inbox = self.wait_or_fail(inbox, deadline, what);
        }
    }

    /// Every request the server sent us (whole messages), in order.
    pub fn server_requests(&self) -> Vec<Value> {
        self.shared.lock().server_requests.clone()
    }

    /// The edits of every `workspace/applyEdit` so far.
    pub fn applied_edits(&self) -> Vec<Value> {
        self.shared.lock().applied_edits.clone()
    }

    /// Waits for the `n`th (1-based) `workspace/applyEdit` and returns its edit.
    pub fn wait_applied_edit(&mut self, n: usize) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        let mut inbox = self.shared.lock();
        loop {
            if let Some(e) = inbox.applied_edits.get(n - 1) {
                return e.clone();
            }
            inbox = self.wait_or_fail(inbox, deadline, "a workspace/applyEdit");
        }
    }

    /// Which action to pick in the server's `window/showMessageRequest`s (a title prefix);
    /// `None` dismisses them.
    pub fn choose_in_message_requests(&self, choice: Option<&str>) {
        self.shared.lock().message_choice = choice.map(str::to_owned);
    }

    /// Waits for the `n`th (1-based) `window/showDocument` and returns its params.
    pub fn wait_shown_document(&mut self, n: usize, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let mut inbox = self.shared.lock();
        loop {
            if let Some(d) = inbox.shown_documents.get(n - 1) {
                return d.clone();
            }
            inbox = self.wait_or_fail(inbox, deadline, "a window/showDocument");
        }
    }

    pub fn shown_documents(&self) -> Vec<Value> {
        self.shared.lock().shown_documents.clone()
    }

    pub fn message_requests(&self) -> Vec<Value> {
        self.shared.lock().message_requests.clone()
    }

    /// The whole message stream so far, both ways.
    pub fn transcript(&self) -> Vec<(Dir, String)> {
        self.shared
            .lock()
            .transcript
            .iter()
            .map(|(d, m)| (*d, m.to_string()))
            .collect()
    }

    /// Everything the server sent, concatenated (to search for a planted secret).
    pub fn received_text(&self) -> String {
        let inbox = self.shared.lock();
        let mut out = String::new();
        for (d, m) in &inbox.transcript {
            if *d == Dir::Received {
                out.push_str(m);
                out.push('\n');
            }
        }
        out.push_str(&self.stderr());
        out
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.shared
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Messages from the server that were not valid JSON-RPC.
    pub fn garbage(&self) -> Vec<String> {
        self.shared.lock().garbage.clone()
    }

    /// Error responses with `"id": null` (about messages the server could not read).
    pub fn orphan_errors(&self) -> Vec<Value> {
        self.shared.lock().orphan_errors.clone()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Applies a `WorkspaceEdit` to the files on disk (after the server sent it), as an editor
    /// would; returns the new texts by URI.
    pub fn apply_to_disk(&self, edit: &Value) -> BTreeMap<String, String> {
        let files = edited_files(edit, &self.encoding, |uri| {
            std::fs::read_to_string(uri_to_path(uri)).ok()
        });
        for (uri, text) in &files {
            let p = uri_to_path(uri);
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).unwrap();
            }
            std::fs::write(p, text).unwrap();
        }
        files
    }

    /// `shutdown` then `exit`; the process must exit with status 0 within 5 seconds.
    pub fn shutdown(self) {
        self.shutdown_within(TIMEOUT, Duration::from_secs(5));
    }

    /// `shutdown`, answered within `answer`, then `exit`, after which the process must exit
    /// with status 0 within `exit`.
    pub fn shutdown_within(mut self, answer: Duration, exit: Duration) {
        let r = self.request_within("shutdown", Value::Null, answer);
        assert!(r.is_ok(), "shutdown answered {r:?}\n{}", self.dump());
        self.notify("exit", Value::Null);
        self.tx = None; // closes stdin once the writer has sent everything
        let deadline = Instant::now() + exit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.done = true;
                    assert!(
                        status.success(),
                        "the server exited with {status} after shutdown and exit\n{}",
                        self.dump()
                    );
                    return;
                }
                Ok(None) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => panic!(
                    "the server did not exit within {exit:?} of `exit`\n{}",
                    self.dump()
                ),
                Err(e) => panic!("waiting for the server: {e}"),
            }
        }
    }

    fn wait_or_fail<'g>(
        &self,
        inbox: MutexGuard<'g, Inbox>,
        deadline: Instant,
        what: &str,
    ) -> MutexGuard<'g, Inbox> {
        if inbox.closed {
            drop(inbox);
            // Give the process a moment to be reaped so that the status can be shown.
            thread::sleep(Duration::from_millis(100));
            panic!(
                "the server closed its output while the test waited for {what}\n{}",
                self.dump()
            );
        }
        let now = Instant::now();
        if now >= deadline {
            drop(inbox);
            panic!(
                "timed out after {:?} waiting for {what}\n{}",
                TIMEOUT,
                self.dump()
            );
        }
        let (guard, _) = self
            .shared
            .cond
            .wait_timeout(inbox, deadline - now)
            .unwrap_or_else(|e| e.into_inner());
        guard
    }

    /// The last messages of the stream and the server's stderr, for failure messages.
    pub fn dump(&self) -> String {
        let inbox = self.shared.lock();
        let mut out = String::from("--- messages (last 60; long ones cut) ---\n");
        let skip = inbox.transcript.len().saturating_sub(60);
        for (d, m) in inbox.transcript.iter().skip(skip) {
            let arrow = if *d == Dir::Sent { "-->" } else { "<--" };
            out.push_str(arrow);
            out.push(' ');
            out.push_str(&cut(m, 1500));
            out.push('\n');
        }
        for g in &inbox.garbage {
            out.push_str("<-- (not JSON-RPC) ");
            out.push_str(&cut(g, 500));
            out.push('\n');
        }
        drop(inbox);
        out.push_str("--- stderr (last 4000 bytes) ---\n");
        let e = self.stderr();
        let tail = e.len().saturating_sub(4000);
        let tail = (tail..=e.len())
            .find(|&i| e.is_char_boundary(i))
            .unwrap_or(e.len());
        out.push_str(&e[tail..]);
        out
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if !self.done {
            // A failed test: stop the server this test started.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

fn read_loop(stdout: ChildStdout, shared: &Shared, tx: &mpsc::Sender<Vec<u8>>) {
    let mut r = BufReader::with_capacity(1 << 16, stdout);
    while let Some(body) = read_message(&mut r, shared) {
        let arrived = Instant::now();
        let msg: Value = match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(_) => {
                let mut inbox = shared.lock();
                inbox.transcript.push((Dir::Received, body.as_str().into()));
                inbox.garbage.push(body);
                drop(inbox);
                shared.cond.notify_all();
                continue;
            }
        };
        let mut inbox = shared.lock();
        inbox.transcript.push((Dir::Received, body.into()));
        let method = msg
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_string);
        let id = msg.get("id").cloned();
        match (method, id) {
            (Some(method), Some(id)) => {
                let params = msg.get("params").cloned().unwrap_or(Value::Null);
                let result = match method.as_str() {
                    "workspace/applyEdit" => {
                        inbox.applied_edits.push(params["edit"].clone());
                        json!({ "applied": true })
                    }
                    "workspace/configuration" => {
                        let n = params["items"].as_array().map_or(0, Vec::len);
                        Value::Array(vec![Value::Null; n])
                    }
                    "window/showDocument" => {
                        inbox.shown_documents.push(params.clone());
                        json!({ "success": true })
                    }
                    "window/showMessageRequest" => {
                        inbox.message_requests.push(params.clone());
                        let choice = inbox.message_choice.as_deref();
                        params["actions"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .find(|a| {
                                choice.is_some_and(|c| {
                                    a["title"].as_str().is_some_and(|t| t.starts_with(c))
                                })
                            })
                            .cloned()
                            .unwrap_or(Value::Null)
                    }
                    // client/registerCapability, window/workDoneProgress/create,
                    // workspace/diagnostic/refresh and the rest.
                    _ => Value::Null,
                };
                inbox.server_requests.push(msg);
                drop(inbox);
                shared.send(tx, &json!({ "jsonrpc": "2.0", "id": id, "result": result }));
                shared.cond.notify_all();
                continue;
            }
            (Some(_), None) => {
                inbox.notifications.push(msg);
                inbox.notification_times.push(arrived);
            }
            (None, Some(Value::Number(n))) if n.as_i64().is_some() => {
                inbox.arrived.insert(n.as_i64().unwrap(), arrived);
                inbox.responses.insert(n.as_i64().unwrap(), msg);
            }
            // An error about a message the server could not read (`"id": null`).
            (None, Some(Value::Null)) if msg.get("error").is_some() => {
                inbox.orphan_errors.push(msg);
            }
            _ => inbox.garbage.push(msg.to_string()),
        }
        drop(inbox);
        shared.cond.notify_all();
    }
    shared.lock().closed = true;
    shared.cond.notify_all();
}

/// One framed message body, or `None` at the end of the stream.
fn read_message(r: &mut impl BufRead, shared: &Shared) -> Option<String> {
    let mut len: Option<usize> = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if len.is_some() {
                break;
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("content-length") => {
                len = v.trim().parse().ok();
            }
            Some(_) => {}
            None => shared.lock().garbage.push(format!("header line: {line}")),
        }
    }
    let mut buf = vec![0u8; len?];
    r.read_exact(&mut buf).ok()?;
    Some(match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => {
            let s = String::from_utf8_lossy(e.as_bytes()).into_owned();
            shared
                .lock()
                .garbage
                .push(format!("not UTF-8: {}", cut(&s, 200)));
            s
        }
    })
}

/// The LSP `languageId` for a file name.
pub fn language_id(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("http") | Some("rest") => "http",
        Some("json") => "json",
        _ => "plaintext",
    }
}

/// A `file://` URI for an absolute path, percent-encoding what RFC 3986 does not allow in a
/// path segment.
pub fn file_uri(path: &Path) -> String {
    let s = path.to_str().expect("test paths are UTF-8");
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of a `file://` URI.
pub fn uri_to_path(uri: &str) -> PathBuf {
    let rest = uri.strip_prefix("file://").expect("a file URI");
    let bytes = rest.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8(out).expect("a UTF-8 path"))
}

/// The start offset of every line: lines end at `\n`, `\r\n` or a lone `\r`, as LSP counts.
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                starts.push(i + 2);
                i += 2;
                continue;
            }
            b'\r' | b'\n' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

fn units(s: &str, enc: &str) -> usize {
    match enc {
        "utf-8" => s.len(),
        "utf-16" => s.encode_utf16().count(),
        "utf-32" => s.chars().count(),
        other => panic!("unknown position encoding {other}"),
    }
}

/// The LSP position of byte `offset` of `text`, with columns counted in `enc` ("utf-8",
/// "utf-16", "utf-32").
pub fn position(text: &str, offset: usize, enc: &str) -> Value {
    assert!(
        offset <= text.len() && text.is_char_boundary(offset),
        "offset {offset} is not a character boundary of the text"
    );
    let starts = line_starts(text);
    let line = starts.partition_point(|&s| s <= offset) - 1;
    json!({ "line": line, "character": units(&text[starts[line]..offset], enc) })
}

/// The LSP range of the bytes `start..end` of `text`.
pub fn range(text: &str, start: usize, end: usize, enc: &str) -> Value {
    json!({ "start": position(text, start, enc), "end": position(text, end, enc) })
}

/// The byte offset of an LSP position in `text`; the position must be exact (inside the text,
/// on a character boundary): this is the test's side, which never sends a bad one unawares.
pub fn offset(text: &str, pos: &Value, enc: &str) -> usize {
    let starts = line_starts(text);
    let line = pos["line"].as_u64().expect("a line") as usize;
    let col = pos["character"].as_u64().expect("a character") as usize;
    assert!(
        line < starts.len(),
        "line {line} is past the end of the text"
    );
    let start = starts[line];
    let end = starts.get(line + 1).copied().unwrap_or(text.len());
    let line_text = text[start..end].trim_end_matches(['\r', '\n']);
    let mut n = 0;
    for (i, ch) in line_text.char_indices() {
        if n == col {
            return start + i;
        }
        n += units(ch.encode_utf8(&mut [0; 4]), enc);
        if n > col {
            panic!("position {pos} is inside a character of line {line}");
        }
    }
    assert_eq!(n, col, "position {pos} is past the end of line {line}");
    start + line_text.len()
}

/// The byte range of the `nth` (0-based) occurrence of `needle` in `text`.
pub fn find_nth(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` (#{nth}) is not in the text:\n{text}"))
        .0;
    (start, start + needle.len())
}

/// The byte range of the first occurrence of `needle` in `text`.
pub fn find(text: &str, needle: &str) -> (usize, usize) {
    find_nth(text, needle, 0)
}

/// `text` with LSP `TextEdit`s applied (non-overlapping, positions in `enc`).
pub fn apply_text_edits(text: &str, edits: &[Value], enc: &str) -> String {
    let mut spans: Vec<(usize, usize, usize, &str)> = edits
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let e = e.get("textEdit").unwrap_or(e); // annotated edits
            let start = offset(text, &e["range"]["start"], enc);
            let end = offset(text, &e["range"]["end"], enc);
            assert!(start <= end, "an edit with its end before its start: {e}");
            (start, end, i, e["newText"].as_str().expect("newText"))
        })
        .collect();
    spans.sort_by_key(|&(s, e, i, _)| (s, e, i));
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlapping edits: {edits:?}");
    }
    let mut out = text.to_string();
    for &(s, e, _, t) in spans.iter().rev() {
        out.replace_range(s..e, t);
    }
    out
}

/// The texts a `WorkspaceEdit` produces, by URI: `changes` or `documentChanges` (text
/// document edits and `create` operations). `current` gives a file's text before the edit
/// (`None`: the file does not exist).
pub fn edited_files(
    edit: &Value,
    enc: &str,
    current: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let text_of = |files: &BTreeMap<String, String>, uri: &str| -> String {
        files
            .get(uri)
            .cloned()
            .or_else(|| current(uri))
            .unwrap_or_else(|| panic!("the edit changes {uri}, which does not exist: {edit}"))
    };
    if let Some(changes) = edit.get("changes").and_then(Value::as_object) {
        for (uri, edits) in changes {
            let before = text_of(&files, uri);
            let after = apply_text_edits(&before, edits.as_array().unwrap(), enc);
            files.insert(uri.clone(), after);
        }
    }
    if let Some(ops) = edit.get("documentChanges").and_then(Value::as_array) {
        for op in ops {
            match op.get("kind").and_then(Value::as_str) {
                Some("create") => {
                    let uri = op["uri"].as_str().unwrap();
                    let exists = files.contains_key(uri) || current(uri).is_some();
                    let ignore = op["options"]["ignoreIfExists"] == true;
                    let overwrite = op["options"]["overwrite"] == true;
                    if !exists || overwrite {
                        files.insert(uri.to_string(), String::new());
                    } else {
                        assert!(ignore, "creating {uri}, which exists: {op}");
                    }
                }
                Some(other) => panic!("unsupported resource operation `{other}`: {op}"),
                None => {
                    let uri = op["textDocument"]["uri"].as_str().unwrap();
                    let before = text_of(&files, uri);
                    let after = apply_text_edits(&before, op["edits"].as_array().unwrap(), enc);
                    files.insert(uri.to_string(), after);
                }
            }
        }
    }
    files
}

/// The diagnostics as `(code, severity, range)`, sorted by position then code: what tests
/// compare exactly (messages are checked separately, for their essential words).
pub fn summary(diags: &[Value]) -> Vec<(String, u64, Value)> {
    let mut v: Vec<(String, u64, Value)> = diags
        .iter()
        .map(|d| {
            let code = match &d["code"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (
                code,
                d["severity"].as_u64().unwrap_or(0),
                d["range"].clone(),
            )
        })
        .collect();
    v.sort_by_key(|(code, _, r)| {
        (
            r["start"]["line"].as_u64(),
            r["start"]["character"].as_u64(),
            code.clone(),
        )
    });
    v
}

/// Whether position `p` lies in `range` (both ends included).
pub fn range_contains(range: &Value, p: &Value) -> bool {
    let key = |v: &Value| (v["line"].as_u64(), v["character"].as_u64());
    key(&range["start"]) <= key(p) && key(p) <= key(&range["end"])
}

/// Every `TextEdit` of a `WorkspaceEdit` for `uri`.
pub fn edits_for(edit: &Value, uri: &str) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(e) = edit["changes"][uri].as_array() {
        out.extend(e.iter().cloned());
    }
    for op in edit["documentChanges"].as_array().into_iter().flatten() {
        if op["textDocument"]["uri"] == uri {
            out.extend(op["edits"].as_array().into_iter().flatten().cloned());
        }
    }
    out
}

/// A text with `$0` cursor markers, and where they were (byte offsets in the text without
/// them).
#[derive(Clone, Debug)]
pub struct Marked {
    pub text: String,
    pub cursors: Vec<usize>,
}

impl Marked {
    pub fn new(marked: &str) -> Marked {
        let mut text = String::with_capacity(marked.len());
        let mut cursors = Vec::new();
        let mut rest = marked;
        while let Some(i) = rest.find("$0") {
            text.push_str(&rest[..i]);
            cursors.push(text.len());
            rest = &rest[i + 2..];
        }
        text.push_str(rest);
        Marked { text, cursors }
    }

    /// The only cursor.
    pub fn cursor(&self) -> usize {
        assert_eq!(self.cursors.len(), 1, "one `$0` expected in\n{}", self.text);
        self.cursors[0]
    }
}

/// A project from a fixture (`//- /path` blocks, see [`Project::new`]) whose files may hold
/// `$0` markers: the files are written without them, and the markers are returned by path
/// (without the leading `/`).
pub fn fixture(f: &str) -> (Project, BTreeMap<String, Marked>) {
    let mut files = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in f.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("//- ") {
            if let Some((p, t)) = current.take() {
                files.insert(p, Marked::new(&t));
            }
            current = Some((
                path.trim().trim_start_matches('/').to_string(),
                String::new(),
            ));
        } else if let Some((_, t)) = current.as_mut() {
            t.push_str(line);
        }
    }
    if let Some((p, t)) = current.take() {
        files.insert(p, Marked::new(&t));
    }
    let project = Project::new(&f.replace("$0", ""));
    (project, files)
}
