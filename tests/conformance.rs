//! The public HTTP Request in Editor corpus, through the built binary: for every case,
//! `vaultlink requests --json` finds as many requests as the expected tree, and each request
//! has the same number of headers and the same presence of a body.

use vaultlink_e2e::{run_in, shared_dir};

/// One corpus case: its title, its input and its expected tree.
struct Case {
    title: String,
    input: String,
    tree: String,
}

fn cases(corpus: &str) -> Vec<Case> {
    let lines: Vec<&str> = corpus.split_inclusive('\n').collect();
    let is_rule =
        |l: &str, c: char| l.trim_end().len() >= 3 && l.trim_end().chars().all(|x| x == c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !(is_rule(lines[i], '=') && i + 2 < lines.len() && is_rule(lines[i + 2], '=')) {
            i += 1;
            continue;
        }
        let title = lines[i + 1].trim().to_string();
        let mut j = i + 3;
        let mut input = String::new();
        while j < lines.len() && !is_rule(lines[j], '-') {
            input.push_str(lines[j]);
            j += 1;
        }
        let mut tree = String::new();
        j += 1;
        while j < lines.len()
            && !(is_rule(lines[j], '=') && j + 2 < lines.len() && is_rule(lines[j + 2], '='))
        {
            tree.push_str(lines[j]);
            j += 1;
        }
        // The line break before the `---` rule belongs to the layout, not the input.
        if input.ends_with("\n\n") {
            input.pop();
        }
        out.push(Case { title, input, tree });
        i = j;
    }
    out
}

/// A node of the expected S-expression tree.
struct Node {
    name: String,
    children: Vec<Node>,
}

fn parse_tree(text: &str) -> Vec<Node> {
    fn node(tokens: &mut std::iter::Peekable<std::vec::IntoIter<String>>) -> Option<Node> {
        let name = tokens.next()?.strip_prefix('(')?.to_string();
        let mut children = Vec::new();
        while let Some(t) = tokens.peek() {
            if t == ")" {
                tokens.next();
                break;
            }
            children.push(node(tokens)?);
        }
        Some(Node { name, children })
    }
    let mut tokens = Vec::new();
    for word in text.split_whitespace() {
        let opens = word.trim_end_matches(')');
        if !opens.is_empty() {
            tokens.push(opens.to_string());
        }
        tokens.extend(std::iter::repeat_n(
            ")".to_string(),
            word.len() - opens.len(),
        ));
    }
    let mut iter = tokens.into_iter().peekable();
    let mut roots = Vec::new();
    while iter.peek().is_some() {
        match node(&mut iter) {
            Some(n) => roots.push(n),
            None => break,
        }
    }
    roots
}

fn count(node: &Node, name: &str) -> usize {
    node.children
        .iter()
        .map(|c| usize::from(c.name == name) + count(c, name))
        .sum()
}

fn requests<'n>(node: &'n Node, out: &mut Vec<&'n Node>) {
    for c in &node.children {
        if c.name == "request" {
            out.push(c);
        } else {
            requests(c, out);
        }
    }
}

#[test]
fn every_corpus_case_gives_the_expected_requests_headers_and_bodies() {
    let path = shared_dir().join("conformance/http-request-in-editor/corpus.txt");
    let corpus = std::fs::read_to_string(&path).expect("the corpus is readable");
    let cases = cases(&corpus);
    assert_eq!(cases.len(), 69, "the corpus has 69 cases");
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let file = format!("case{n}.http");
        std::fs::write(dir.path().join(&file), &case.input).unwrap();
        let run = run_in(dir.path(), &["requests", &file, "--json"]);
        assert_eq!(run.code, 0, "{}: {}", case.title, run.stderr);
        let got: serde_json::Value =
            serde_json::from_str(&run.stdout).expect("requests --json prints JSON");
        let got = got.as_array().expect("an array");

        let roots = parse_tree(&case.tree);
        let mut expected = Vec::new();
        for root in &roots {
            requests(root, &mut expected);
        }
        let mut problems = Vec::new();
        if got.len() != expected.len() {
            problems.push(format!(
                "{} requests, expected {}",
                got.len(),
                expected.len()
            ));
        }
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            let headers = g["headers"].as_array().map_or(0, Vec::len);
            let want_headers = count(e, "header-field");
            if headers != want_headers {
                problems.push(format!(
                    "request {}: {headers} headers, expected {want_headers}",
                    i + 1
                ));
            }
            let body = !g["body"].is_null();
            let want_body = count(e, "message-body") > 0;
            if body != want_body {
                problems.push(format!(
                    "request {}: body {body}, expected {want_body}",
                    i + 1
                ));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.title, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 69 cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
