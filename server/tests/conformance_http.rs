//! Conformance of the `.http` parser with the public tree-sitter corpus of JetBrains' HTTP
//! Request in Editor format (`shared/conformance/http-request-in-editor/corpus.txt`).
//!
//! Each case is `====` / title / `====`, the input, a `----` line, then the expected
//! S-expression tree. For every case the parser must find as many requests as the tree has
//! `(request` nodes and, request by request, as many headers (`(header-field`) and the same
//! presence of a body (`(message-body`). The corpus holds valid files only, so the parser must
//! also report no errors. Every case is checked with LF line breaks as written, and again with
//! CRLF and lone CR line breaks.
//!
//! The corpus is found through `VAULTLINK_SHARED` (the shared folder) or next to the
//! repository; when it cannot be found the test fails rather than skips.

use std::path::PathBuf;

const CORPUS: &str = "conformance/http-request-in-editor/corpus.txt";
const CASE_COUNT: usize = 69;

/// What is compared for one request.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    headers: usize,
    body: bool,
}

struct Case<'a> {
    title: &'a str,
    input: &'a str,
    expected: Vec<Shape>,
}

#[test]
fn http_request_in_editor_corpus() {
    let corpus = read_corpus();
    let cases = cases(&corpus);
    assert_eq!(
        cases.len(),
        CASE_COUNT,
        "expected {CASE_COUNT} cases in the corpus, found {}: {:?}",
        cases.len(),
        cases.iter().map(|c| c.title).collect::<Vec<_>>()
    );

    let mut failures = Vec::new();
    for case in &cases {
        let variants = [
            ("LF", case.input.to_owned()),
            ("CRLF", case.input.replace('\n', "\r\n")),
            ("CR", case.input.replace('\n', "\r")),
        ];
        for (variant, input) in variants {
            let file = vaultlink::syntax::http::parse(&input);
            let actual: Vec<Shape> = file
                .requests
                .iter()
                .map(|r| Shape {
                    headers: r.headers.len(),
                    body: r.body.is_some(),
                })
                .collect();
            if actual != case.expected {
                failures.push(format!(
                    "{} [{variant}]: expected {:?}, got {actual:?}",
                    case.title, case.expected
                ));
            }
            if !file.errors.is_empty() {
                let errors: Vec<&str> = file.errors.iter().map(|e| e.message.as_str()).collect();
                failures.push(format!(
                    "{} [{variant}]: unexpected errors {errors:?}",
                    case.title
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n  {}",
        failures.len(),
        cases.len() * 3,
        failures.join("\n  ")
    );
}

fn read_corpus() -> String {
    let mut tried = Vec::new();
    if let Some(shared) = std::env::var_os("VAULTLINK_SHARED") {
        tried.push(PathBuf::from(shared).join(CORPUS));
    }
    tried.push(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared")
            .join(CORPUS),
    );
    for path in &tried {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
    }
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    panic!(
        "the conformance corpus was not found; tried:\n  {}\nset VAULTLINK_SHARED to the shared folder",
        tried.join("\n  ")
    );
}

/// Splits the corpus into cases. The input is the text between the title's closing `====`
/// line and the `----` line, as written (its last line break included).
fn cases(corpus: &str) -> Vec<Case<'_>> {
    // (offset of the line, the line without its line break)
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in corpus.split_inclusive('\n') {
        lines.push((offset, line.trim_end_matches(['\n', '\r'])));
        offset += line.len();
    }
    let is_rule = |i: usize, c: char| {
        lines
            .get(i)
            .is_some_and(|&(_, l): &(usize, &str)| l.len() >= 3 && l.chars().all(|x| x == c))
    };
    let is_header = |i: usize| is_rule(i, '=') && is_rule(i + 2, '=');
    let offset_of = |i: usize| lines.get(i).map_or(corpus.len(), |&(o, _)| o);

    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_header(i) {
            i += 1;
            continue;
        }
        let title = lines[i + 1].1;
        let divider = (i + 3..lines.len())
            .find(|&j| is_rule(j, '-'))
            .unwrap_or_else(|| panic!("corpus case {title:?} has no `----` line"));
        let next = (divider + 1..lines.len())
            .find(|&j| is_header(j))
            .unwrap_or(lines.len());
        cases.push(Case {
            title,
            input: &corpus[offset_of(i + 3)..offset_of(divider)],
            expected: shapes(&corpus[offset_of(divider + 1)..offset_of(next)]),
        });
        i = next;
    }
    cases
}

/// The requests of an expected tree: their `(header-field` count and whether they hold a
/// `(message-body`.
fn shapes(tree: &str) -> Vec<Shape> {
    let mut shapes: Vec<Shape> = Vec::new();
    let mut depth = 0usize;
    let mut request_depth = None;
    let mut rest = tree;
    while let Some(i) = rest.find(['(', ')']) {
        let is_open = rest.as_bytes()[i] == b'(';
        rest = &rest[i + 1..];
        if !is_open {
            if request_depth == Some(depth) {
                request_depth = None;
            }
            depth = depth.saturating_sub(1);
            continue;
        }
        depth += 1;
        let end = rest.find(|c: char| c.is_whitespace() || c == '(' || c == ')');
        let name = &rest[..end.unwrap_or(rest.len())];
        match (name, shapes.last_mut()) {
            ("request", _) => {
                shapes.push(Shape::default());
                request_depth = Some(depth);
            }
            ("header-field", Some(shape)) if request_depth.is_some() => shape.headers += 1,
            ("message-body", Some(shape)) if request_depth.is_some() => shape.body = true,
            _ => {}
        }
    }
    shapes
}
