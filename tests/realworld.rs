//! The real-world corpus: public `.http`/`.rest` files and Postman collections from dozens of
//! repositories, listed with their source, commit and licence in `realworld/MANIFEST.tsv`,
//! read by the built binary and held against the readers their authors use.
//!
//! - `requests --json` against httpyac's own parser, file by file: the share of files where
//!   both find the same requests (method and URL) may not fall below `realworld/thresholds.txt`,
//!   counted apart for ordinary files and for files that use httpyac's own features;
//!   `realworld/exceptions.tsv` lists the reviewed files where vaultlink is right and httpyac
//!   is not.
//! - `requests --json` against the Postman Collection SDK, collection by collection.
//! - The `syntax-error` and `undefined-variable` findings of `check --offline` over the corpus
//!   are a snapshot (`realworld/findings.txt`, refreshed with `UPDATE_EXPECT=1`); every file
//!   reviewed as malformed in every dialect (`realworld/syntax-errors.tsv`) keeps a syntax
//!   error, and every undefined variable reviewed as defined nowhere
//!   (`realworld/undefined-variables.tsv`) stays reported.
//!
//! The corpus files themselves are data kept beside the repository (see `realworld/README.md`):
//! `VAULTLINK_REALWORLD`, else `tests/realworld/corpus`, else `realworld/` in the shared folder.
//! Without them the comparison still runs on a project written here, so that the readers and
//! the harness are tested wherever the suite runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};
use vaultlink_e2e::run_in;

/// This folder: the manifest, the readers, the thresholds, the reviews and the snapshot.
fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("realworld")
}

/// One corpus file as the manifest lists it.
struct Entry {
    file: String,
    kind: String,
    sha256: String,
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(here().join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 7, "a MANIFEST.tsv row has 7 columns: {l}");
            Entry {
                file: cols[0].to_string(),
                kind: cols[1].to_string(),
                sha256: cols[6].to_string(),
            }
        })
        .collect()
}

/// The corpus folder, checked against the manifest file by file; `None` when no copy of the
/// corpus is on this machine (then nothing can be compared, and the test says so).
fn corpus() -> Option<PathBuf> {
    let dir = if let Some(dir) = std::env::var_os("VAULTLINK_REALWORLD") {
        PathBuf::from(dir)
    } else {
        let shared = std::env::var_os("VAULTLINK_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
        [here().join("corpus"), shared.join("realworld")]
            .into_iter()
            .find(|d| d.join("MANIFEST.tsv").is_file())?
    };
    let mut wrong = Vec::new();
    for entry in manifest() {
        match std::fs::read(dir.join(&entry.file)) {
            Ok(bytes) if format!("{:x}", Sha256::digest(&bytes)) == entry.sha256 => {}
            Ok(_) => wrong.push(format!("{} differs from MANIFEST.tsv", entry.file)),
            Err(e) => wrong.push(format!("{}: {e}", entry.file)),
        }
    }
    assert!(
        wrong.is_empty(),
        "the corpus at {} is not the one MANIFEST.tsv lists:\n{}",
        dir.display(),
        wrong.join("\n")
    );
    Some(dir)
}

fn no_corpus() {
    eprintln!(
        "realworld: no corpus here (VAULTLINK_REALWORLD, tests/realworld/corpus or \
         <shared>/realworld with MANIFEST.tsv): nothing compared"
    );
}

/// A request as a reader found it; two are the same request when method and URL agree, and
/// their names where both readers give one (collection items). The line, where a reader gives
/// one, only helps to find it.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    url: String,
    name: Option<String>,
    line: Option<u64>,
}

impl PartialEq for Request {
    fn eq(&self, other: &Request) -> bool {
        let names = match (&self.name, &other.name) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        names && (&self.method, &self.url) == (&other.method, &other.url)
    }
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(name) = &self.name {
            write!(f, "{name}: ")?;
        }
        write!(f, "{} {}", self.method, self.url)?;
        match self.line {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}

/// What both readers are compared on: the method in upper case, the URL without surrounding
/// white space and with `{{ name }}` spelled `{{name}}` (the readers keep the spaces a
/// writer put inside the braces, or not; both mean the same variable), and an item path with
/// an item or folder that has no name spelled `(unnamed)`, as vaultlink lists it.
fn normalise(r: &Value, default_method: &str) -> Request {
    let method = r["method"].as_str().unwrap_or(default_method);
    let url = r["url"].as_str().unwrap_or_default();
    let name = r["name"].as_str().map(|path| {
        path.split('/')
            .map(|s| if s.is_empty() { "(unnamed)" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    });
    let mut out = String::new();
    let mut rest = url.trim();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("}}") {
            Some(end) => {
                out.push_str("{{");
                out.push_str(rest[start + 2..start + 2 + end].trim());
                out.push_str("}}");
                rest = &rest[start + 2 + end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Request {
        method: method.trim().to_ascii_uppercase(),
        url: out,
        name,
        line: r["line"].as_u64(),
    }
}

/// `vaultlink requests --json FILE`, or what went wrong.
fn vaultlink_requests(corpus: &Path, file: &str) -> Result<Vec<Request>, String> {
    let run = run_in(corpus, &["requests", "--json", file]);
    if run.code != 0 {
        return Err(format!("exit {}: {}", run.code, run.stderr.trim()));
    }
    let json: Value = serde_json::from_str(&run.stdout).map_err(|e| e.to_string())?;
    Ok(json
        .as_array()
        .ok_or("not an array")?
        .iter()
        .map(|r| normalise(r, ""))
        .collect())
}

/// Runs one of the reference readers (a Node script here) over `files` and reads its
/// answer: per file, the requests it found or its error.
fn reference_requests(
    script: &str,
    corpus: &Path,
    files: &[&str],
) -> BTreeMap<String, Result<Vec<Request>, String>> {
    assert!(
        here().join("node_modules/.package-lock.json").is_file(),
        "the reference readers are not installed: `npm ci` in tests/realworld (scripts/test.sh does)"
    );
    let output = Command::new("node")
        .arg(here().join(script))
        .args(files)
        .current_dir(corpus)
        .stdin(Stdio::null())
        .output()
        .expect("node (18 or later) is on PATH");
    assert!(
        output.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut out = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let json: Value = serde_json::from_str(line).expect("one JSON object per line");
        let file = json["file"].as_str().unwrap().to_string();
        let requests = match json["requests"].as_array() {
            Some(list) => Ok(list.iter().map(|r| normalise(r, "GET")).collect()),
            None => Err(json["error"].as_str().unwrap_or("no answer").to_string()),
        };
        out.insert(file, requests);
    }
    out
}

/// A reviewed difference: the file, the reading of vaultlink's that was reviewed (its
/// [`fingerprint`]), what differs, and why that reading is right. The exception holds only
/// while vaultlink still reads the file that way.
fn exceptions() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(here().join("exceptions.tsv")).expect("exceptions.tsv");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert!(
                cols.len() == 4 && !cols[3].trim().is_empty(),
                "an exceptions.tsv row is \
                 `file<TAB>reading<TAB>what differs<TAB>why vaultlink is right`: {l}"
            );
            (cols[0].to_string(), cols[1].to_string())
        })
        .collect()
}

/// A short fingerprint of one reader's requests for a file (methods and URLs, as compared),
/// so that a reviewed exception names the reading it was reviewed on.
fn fingerprint(requests: &[Request]) -> String {
    let mut hash = Sha256::new();
    for r in requests {
        hash.update(format!("{}\t{}\n", r.method, r.url));
    }
    format!("{:x}", hash.finalize())[..12].to_string()
}

/// Whether an exception covers a file that disagrees: there is one, and vaultlink's reading is
/// the one it was reviewed on. Records in `seen` every exception that was looked at, and in
/// `report` those whose reading changed.
fn excepted(
    exceptions: &BTreeMap<String, String>,
    file: &str,
    ours: &Result<Vec<Request>, String>,
    seen: &mut BTreeSet<String>,
    report: &mut Vec<String>,
) -> bool {
    let Some(reviewed) = exceptions.get(file) else {
        return false;
    };
    seen.insert(file.to_string());
    let now = ours.as_deref().map(fingerprint).unwrap_or_default();
    if *reviewed == now {
        return true;
    }
    report.push(format!(
        "  exceptions.tsv reviewed {file} on reading {reviewed}; vaultlink reads it as {now}, so \
         it counts as disagreeing until it is reviewed again"
    ));
    false
}

/// The committed floor for one agreement rate, in per cent.
fn threshold(name: &str) -> f64 {
    let text = std::fs::read_to_string(here().join("thresholds.txt")).expect("thresholds.txt");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("thresholds.txt has no `{name} <per cent>` line"))
}

/// Whether a file uses httpyac's own features, by what it contains (the rule README.md
/// states): a `{{`-line script block, a `/* */` comment line, `??` assertions, a lazy
/// `@x :=`, httpyac's `# @` meta data, or a request kind that only httpyac sends.
fn uses_httpyac_features(text: &str) -> bool {
    const META: [&str; 21] = [
        "import",
        "ref",
        "forceRef",
        "loop",
        "keepStreaming",
        "jwt",
        "ratelimit",
        "sleep",
        "disabled",
        "save",
        "openWith",
        "extension",
        "verbose",
        "debug",
        "injectVariables",
        "noRejectUnauthorized",
        "title",
        "description",
        "grpc-reflection",
        "proxy",
        "note",
    ];
    const KINDS: [&str; 9] = [
        "GRPC ", "WS ", "SSE ", "MQTT ", "AMQP ", "KAFKA ", "GQL ", "proto ", "gql ",
    ];
    text.lines().any(|line| {
        let t = line.trim();
        let meta = t
            .strip_prefix('#')
            .or_else(|| t.strip_prefix("//"))
            .map(str::trim_start)
            .and_then(|m| m.strip_prefix('@'))
            .map(|m| m.split_whitespace().next().unwrap_or(""));
        t == "{{"
            || t.starts_with("{{+")
            || t.starts_with("{{@")
            || t.starts_with("/*")
            || t.starts_with("??")
            || (t.starts_with('@') && t.contains(":="))
            || meta.is_some_and(|m| META.contains(&m))
            || KINDS.iter().any(|k| line.starts_with(k))
    })
}

/// `agree` of `total` in per cent, rounded down to a tenth, so that a floor is never passed by
/// rounding up.
fn rate(agree: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        (agree as f64 * 1000.0 / total as f64).floor() / 10.0
    }
}

/// The first request where two lists part, for the report.
fn first_difference(ours: &[Request], theirs: &[Request]) -> String {
    let n = ours.len().max(theirs.len());
    for i in 0..n {
        let (a, b) = (ours.get(i), theirs.get(i));
        if a != b {
            let show = |r: Option<&Request>| {
                let text = r.map_or("(none)".to_string(), |r| r.to_string());
                match text.char_indices().nth(160) {
                    Some((end, _)) => format!("{}…", &text[..end]),
                    None => text,
                }
            };
            return format!(
                "{} vs {} requests; #{}: vaultlink `{}`, reference `{}`",
                ours.len(),
                theirs.len(),
                i + 1,
                show(a),
                show(b)
            );
        }
    }
    String::new()
}

#[test]
fn requests_agree_with_httpyac() {
    let Some(corpus) = corpus() else {
        return no_corpus();
    };
    let entries = manifest();
    let files: Vec<&str> = entries
        .iter()
        .filter(|e| e.kind == "http")
        .map(|e| e.file.as_str())
        .collect();
    let theirs = reference_requests("httpyac-requests.mjs", &corpus, &files);
    let exceptions = exceptions();

    // [ordinary, httpyac features] × (agree, total)
    let mut counts = [(0, 0), (0, 0)];
    let mut report = Vec::new();
    let (mut seen_exceptions, mut applied) = (BTreeSet::new(), 0);
    for file in &files {
        let text = std::fs::read_to_string(corpus.join(file)).unwrap();
        let class = usize::from(uses_httpyac_features(&text));
        counts[class].1 += 1;
        let ours = vaultlink_requests(&corpus, file);
        let reference = theirs
            .get(*file)
            .cloned()
            .unwrap_or(Err("no answer".into()));
        let agree = match (&ours, &reference) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        let covered =
            !agree && excepted(&exceptions, file, &ours, &mut seen_exceptions, &mut report);
        applied += usize::from(covered);
        if agree || covered {
            counts[class].0 += 1;
        } else {
            let why = match (&ours, &reference) {
                (Ok(a), Ok(b)) => format!("reading {}; {}", fingerprint(a), first_difference(a, b)),
                (Err(e), _) => format!("vaultlink failed: {e}"),
                (_, Err(e)) => format!("httpyac failed: {e}"),
            };
            let class = ["ordinary", "httpyac"][class];
            report.push(format!("  [{class}] {file}: {why}"));
        }
    }
    let collection_files: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.kind == "collection")
        .map(|e| e.file.as_str())
        .collect();
    for stale in exceptions
        .keys()
        .filter(|f| !seen_exceptions.contains(*f) && !collection_files.contains(f.as_str()))
    {
        report.push(format!(
            "  exceptions.tsv lists {stale}, where the readers now agree or which is not in the corpus"
        ));
    }

    let ordinary = rate(counts[0].0, counts[0].1);
    let features = rate(counts[1].0, counts[1].1);
    println!("agreement with httpyac, after {applied} reviewed exceptions:");
    println!(
        "  ordinary files: {}/{} ({ordinary} %)",
        counts[0].0, counts[0].1
    );
    println!(
        "  files using httpyac's own features: {}/{} ({features} %)",
        counts[1].0, counts[1].1
    );
    println!("disagreements:\n{}", report.join("\n"));
    let floor = (threshold("httpyac ordinary"), threshold("httpyac features"));
    assert!(
        ordinary >= floor.0 && features >= floor.1,
        "agreement with httpyac fell below thresholds.txt: ordinary {ordinary} % (floor {} %), \
         httpyac features {features} % (floor {} %)",
        floor.0,
        floor.1
    );
    if ordinary > floor.0 || features > floor.1 {
        println!(
            "agreement is above thresholds.txt: raise it to `httpyac ordinary {ordinary}` and \
             `httpyac features {features}`"
        );
    }
}

#[test]
fn collections_agree_with_the_postman_sdk() {
    let Some(corpus) = corpus() else {
        return no_corpus();
    };
    let entries = manifest();
    let files: Vec<&str> = entries
        .iter()
        .filter(|e| e.kind == "collection")
        .map(|e| e.file.as_str())
        .collect();
    let theirs = reference_requests("postman-requests.mjs", &corpus, &files);
    let exceptions = exceptions();
    let (mut agree, mut report, mut seen) = (0, Vec::new(), BTreeSet::new());
    for file in &files {
        let ours = vaultlink_requests(&corpus, file);
        let reference = theirs
            .get(*file)
            .cloned()
            .unwrap_or(Err("no answer".into()));
        match (&ours, &reference) {
            (Ok(a), Ok(b)) if a == b => agree += 1,
            _ if excepted(&exceptions, file, &ours, &mut seen, &mut report) => agree += 1,
            (Ok(a), Ok(b)) => report.push(format!(
                "  {file}: reading {}; {}",
                fingerprint(a),
                first_difference(a, b)
            )),
            (Err(e), _) => report.push(format!("  {file}: vaultlink failed: {e}")),
            (_, Err(e)) => report.push(format!("  {file}: the Postman SDK failed: {e}")),
        }
    }
    let collections = rate(agree, files.len());
    println!(
        "agreement with the Postman Collection SDK: {agree}/{} collections ({collections} %)",
        files.len()
    );
    println!("disagreements:\n{}", report.join("\n"));
    let floor = threshold("postman collections");
    assert!(
        collections >= floor,
        "agreement with the Postman SDK fell below thresholds.txt: {collections} % (floor {floor} %)"
    );
}

/// One finding of `check`, as the snapshot and the review spell it.
fn finding_line(f: &Value) -> String {
    format!(
        "{}:{}:{}: {}: {}",
        f["file"].as_str().unwrap(),
        f["line"],
        f["column"],
        f["code"].as_str().unwrap(),
        f["message"].as_str().unwrap()
    )
}

#[test]
fn syntax_errors_and_undefined_variables_are_reviewed() {
    let Some(corpus) = corpus() else {
        return no_corpus();
    };
    let run = run_in(&corpus, &["check", "--offline", "--format", "json", "."]);
    assert!(
        run.code == 0 || run.code == 1,
        "check could not run: {}",
        run.stderr
    );
    let findings: Vec<Value> = serde_json::from_str(&run.stdout).expect("check's JSON");
    let files: BTreeSet<String> = manifest().into_iter().map(|e| e.file).collect();
    let kept: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            matches!(
                f["code"].as_str(),
                Some("syntax-error" | "undefined-variable")
            )
        })
        .collect();
    for f in &kept {
        let file = f["file"].as_str().unwrap().trim_start_matches("./");
        assert!(
            files.contains(file),
            "check reported {file}, which MANIFEST.tsv does not list"
        );
    }
    // Every file with a syntax error has been reviewed; a file malformed in every dialect keeps
    // its syntax errors; the ones on valid files are the false alarms still to go.
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    for f in kept.iter().filter(|f| f["code"] == "syntax-error") {
        *errors
            .entry(f["file"].as_str().unwrap().trim_start_matches("./"))
            .or_default() += 1;
    }
    let review =
        std::fs::read_to_string(here().join("syntax-errors.tsv")).expect("syntax-errors.tsv");
    let (mut reviewed, mut silent, mut false_alarms) = (BTreeSet::new(), Vec::new(), (0, 0));
    for line in review
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() == 3
                && matches!(cols[1], "valid" | "malformed")
                && !cols[2].trim().is_empty(),
            "a syntax-errors.tsv row is `file<TAB>valid|malformed<TAB>why`: {line}"
        );
        reviewed.insert(cols[0]);
        match (cols[1], errors.get(cols[0])) {
            ("malformed", None) => silent.push(cols[0]),
            ("valid", Some(n)) => {
                false_alarms.0 += n;
                false_alarms.1 += 1;
            }
            _ => {}
        }
    }
    println!(
        "syntax errors on files valid in their dialect: {} in {} files",
        false_alarms.0, false_alarms.1
    );
    let mut problems = Vec::new();
    if !silent.is_empty() {
        problems.push(format!(
            "files malformed in every dialect no longer get a syntax error:\n{}",
            silent.join("\n")
        ));
    }
    let unreviewed: Vec<&str> = errors
        .keys()
        .copied()
        .filter(|f| !reviewed.contains(f))
        .collect();
    if !unreviewed.is_empty() {
        problems.push(format!(
            "files with syntax errors nobody reviewed (add them to syntax-errors.tsv):\n{}",
            unreviewed.join("\n")
        ));
    }

    // Every undefined variable reviewed as defined nowhere stays reported; every one reported
    // has been reviewed. A finding is keyed by its place and the name it reports.
    let key = |f: &Value| {
        let file = f["file"].as_str().unwrap().trim_start_matches("./");
        let message = f["message"].as_str().unwrap();
        let name = message.split('`').nth(1).unwrap_or(message);
        format!("{file}:{}:{}\t{name}", f["line"], f["column"])
    };
    let reported: BTreeSet<String> = kept
        .iter()
        .filter(|f| f["code"] == "undefined-variable")
        .map(|f| key(f))
        .collect();
    let review = std::fs::read_to_string(here().join("undefined-variables.tsv"))
        .expect("undefined-variables.tsv");
    let (mut reviewed, mut lost, mut false_alarms) = (BTreeSet::new(), Vec::new(), 0);
    for line in review
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() == 4 && matches!(cols[2], "true" | "false") && !cols[3].trim().is_empty(),
            "an undefined-variables.tsv row is `place<TAB>name<TAB>true|false<TAB>why`: {line}"
        );
        let key = format!("{}\t{}", cols[0], cols[1]);
        if cols[2] == "true" && !reported.contains(&key) {
            lost.push(key.clone());
        }
        if cols[2] == "false" && reported.contains(&key) {
            false_alarms += 1;
        }
        reviewed.insert(key);
    }
    println!(
        "undefined variables: {} reported, {false_alarms} of them false alarms",
        reported.len()
    );
    if !lost.is_empty() {
        problems.push(format!(
            "undefined variables that are defined nowhere are no longer reported:\n{}",
            lost.join("\n").replace('\t', " ")
        ));
    }
    let unreviewed: Vec<&String> = reported.difference(&reviewed).collect();
    if !unreviewed.is_empty() {
        problems.push(format!(
            "undefined-variable findings nobody reviewed (add them to undefined-variables.tsv):\n{}",
            unreviewed
                .iter()
                .map(|s| s.replace('\t', " "))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }

    // The snapshot, compared line by line (the findings are one a line, sorted), so that a
    // change shows as the findings that went and came; `UPDATE_EXPECT=1` rewrites it.
    let mut snapshot: Vec<String> = kept
        .iter()
        .map(|f| finding_line(f).trim_start_matches("./").to_string())
        .collect();
    snapshot.sort();
    let mut text = snapshot.join("\n");
    text.push('\n');
    let path = here().join("findings.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &text).expect("findings.txt is written");
    }
    let committed = std::fs::read_to_string(&path).expect("findings.txt");
    if committed != text {
        let (old, new): (BTreeSet<&str>, BTreeSet<&str>) =
            (committed.lines().collect(), text.lines().collect());
        let gone: Vec<&str> = old.difference(&new).copied().collect();
        let came: Vec<&str> = new.difference(&old).copied().collect();
        problems.push(format!(
            "check's findings over the corpus are not findings.txt (UPDATE_EXPECT=1 rewrites it); \
             {} no longer reported, {} newly reported:\n{}\n{}",
            gone.len(),
            came.len(),
            gone.iter()
                .map(|l| format!("- {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            came.iter()
                .map(|l| format!("+ {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The comparison itself, on files written here, so that it runs wherever the test suite runs
/// (with or without a corpus): both reference readers and vaultlink read them, and agree.
#[test]
fn the_readers_are_compared_on_a_written_project() {
    let project = vaultlink_e2e::Project::new(
        r#"
//- /two.http
@host = https://example.com

### list
GET {{ host }}/items?page=1

### create
POST {{host}}/items
Content-Type: application/json

{"name": "a"}
//- /c.postman_collection.json
{"info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [
  {"name": "Folder", "item": [
    {"name": "Get one", "request": {"method": "GET", "url": {"raw": "{{base}}/items/:id",
      "host": ["{{base}}"], "path": ["items", ":id"], "variable": [{"key": "id", "value": "7"}]}}}]},
  {"name": "Make", "request": {"method": "POST", "url": "{{base}}/items"}}]}
"#,
    );
    let dir = project.dir.path();
    let show = |r: &Result<Vec<Request>, String>| match r {
        Ok(list) => list.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        Err(e) => vec![format!("error: {e}")],
    };

    let httpyac = reference_requests("httpyac-requests.mjs", dir, &["two.http"]);
    let theirs = show(&httpyac["two.http"]);
    assert_eq!(
        theirs,
        [
            "GET {{host}}/items?page=1 (line 4)",
            "POST {{host}}/items (line 7)"
        ]
    );
    let ours = vaultlink_requests(dir, "two.http");
    assert_eq!(ours, httpyac["two.http"], "vaultlink: {:?}", show(&ours));

    let postman = reference_requests("postman-requests.mjs", dir, &["c.postman_collection.json"]);
    let theirs = show(&postman["c.postman_collection.json"]);
    assert_eq!(
        theirs,
        [
            "Folder/Get one: GET {{base}}/items/:id",
            "Make: POST {{base}}/items"
        ]
    );
    let ours = vaultlink_requests(dir, "c.postman_collection.json");
    assert_eq!(
        ours,
        postman["c.postman_collection.json"],
        "vaultlink: {:?}",
        show(&ours)
    );
}
