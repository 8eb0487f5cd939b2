//! The CI gate, end to end: `check --format sarif` validated against the SARIF 2.1.0 schema,
//! `--format github` workflow commands, the exit code a severity threshold gives, and the
//! repository's pre-commit hook run by the real `pre-commit` on a throwaway git repository.
//!
//! The tools come from `scripts/test.sh`: `pre-commit` and `jsonschema` (PyPI) in the
//! virtualenv `target/gate-venv`, the schema from npm's `@microsoft/jest-sarif` in
//! `tests/gate/node_modules` (`VAULTLINK_GATE_VENV` and `VAULTLINK_GATE_NODE_MODULES` point
//! elsewhere).

use std::path::{Path, PathBuf};
use std::process::Command;

use vaultlink_e2e::{Project, bin};

/// A request file with one credential of each kind the gate is about, and references that
/// are not credentials.
const LEAKY: &str = r#"//- /api/a.http
@host = api.github.com
### user
GET https://{{host}}/user
Authorization: token ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9
X-Api-Key: {{vault:api-key}}
X-Placeholder: <your-api-key>

### charge
POST https://api.stripe.com/v1/charges?api_key=Zx9Qw8Er7Ty6Ui5Op4As3Df2
Content-Type: application/json

{"amount": 100, "password": "{{password}}"}
"#;

const SECRETS: [&str; 2] = [
    "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9",
    "Zx9Qw8Er7Ty6Ui5Op4As3Df2",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn venv() -> PathBuf {
    std::env::var_os("VAULTLINK_GATE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/gate-venv"))
}

fn node_modules() -> PathBuf {
    std::env::var_os("VAULTLINK_GATE_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("tests/gate/node_modules"))
}

fn tool(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: scripts/test.sh installs it (see install_gate_tools)",
        path.display()
    );
    path
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema_with_rules_and_fixes() {
    let p = Project::new(LEAKY);
    let run = p.run(&["check", "--offline", "--format", "sarif"]);
    assert_eq!(run.code, 0, "warnings only: exit 0\n{}", run.stderr);
    for s in SECRETS {
        assert!(!run.stdout.contains(s), "the log repeats a secret");
    }
    let log = p.path("out.sarif");
    std::fs::write(&log, &run.stdout).unwrap();

    let schema =
        tool(node_modules().join("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"));
    // The rtm.5 schema names itself by its draft; its `$id` differs from the final one, which
    // the log's `$schema` names: the validator is told which schema to use, not asked.
    let validate = Command::new(tool(venv().join("bin/python")))
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             log = json.load(open(sys.argv[2]))\n\
             errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(log), key=str)\n\
             [print(e.json_path, e.message) for e in errors]\n\
             sys.exit(1 if errors else 0)",
        ])
        .arg(&schema)
        .arg(&log)
        .output()
        .expect("python runs");
    assert!(
        validate.status.success(),
        "the SARIF log is not valid:\n{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );

    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let run0 = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run0["tool"]["driver"]["name"], "vaultlink");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "plaintext-secret")
        .expect("a plaintext-secret rule");
    assert!(
        rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("vaultlink-ignore plaintext-secret")
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");

    let results = run0["results"].as_array().unwrap();
    let summary: Vec<String> = results
        .iter()
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            let fixes: Vec<&str> = r["fixes"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .map(|f| f["description"]["text"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{} {} {}:{} {}:{} {:?} rule#{}",
                r["ruleId"].as_str().unwrap(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap(),
                region["startLine"],
                region["startColumn"],
                region["endLine"],
                region["endColumn"],
                fixes,
                r["ruleIndex"],
            )
        })
        .collect();
    let plaintext_index = rules
        .iter()
        .position(|r| r["id"] == "plaintext-secret")
        .unwrap();
    let unlinked_index = rules
        .iter()
        .position(|r| r["id"] == "unlinked-secret")
        .unwrap();
    let undefined_index = rules
        .iter()
        .position(|r| r["id"] == "undefined-variable")
        .unwrap();
    assert_eq!(
        summary,
        [
            format!(
                "plaintext-secret api/a.http 4:22 4:65 [\"Move to vault as `{{{{vault:github-token}}}}`\", \"Not a credential: ignore this line (`vaultlink-ignore plaintext-secret`)\"] rule#{plaintext_index}"
            ),
            format!(
                "unlinked-secret api/a.http 5:12 5:29 [\"Add a link for `api-key` to vaultlink.json\"] rule#{unlinked_index}"
            ),
            format!(
                "plaintext-secret api/a.http 9:48 9:72 [\"Move to vault as `{{{{vault:stripe-api-key}}}}`\", \"Not a credential: ignore this line (`vaultlink-ignore plaintext-secret`)\"] rule#{plaintext_index}"
            ),
            format!("undefined-variable api/a.http 12:30 12:42 [] rule#{undefined_index}"),
        ],
        "{}",
        run.stdout
    );
    // The fix writes the reference over exactly the token.
    let fix = &results[0]["fixes"][0]["artifactChanges"][0];
    assert_eq!(fix["artifactLocation"]["uri"], "api/a.http");
    assert_eq!(
        fix["replacements"][0]["insertedContent"]["text"],
        "{{vault:github-token}}"
    );
    // The same fix creates vaultlink.json, which does not exist: one insertion into the empty
    // artifact, by character offset, holding the whole file, which is valid JSON.
    assert!(!p.path("vaultlink.json").exists());
    let create = results[0]["fixes"][0]["artifactChanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("vaultlink.json"))
        })
        .unwrap_or_else(|| panic!("the fix creates vaultlink.json: {}", results[0]["fixes"][0]));
    assert_eq!(
        create["artifactLocation"]["description"]["text"],
        "A new file, created by this fix."
    );
    let replacements = create["replacements"].as_array().unwrap();
    assert_eq!(replacements.len(), 1, "{create}");
    assert_eq!(
        replacements[0]["deletedRegion"],
        serde_json::json!({"charOffset": 0, "charLength": 0})
    );
    let links: serde_json::Value =
        serde_json::from_str(replacements[0]["insertedContent"]["text"].as_str().unwrap())
            .expect("the new vaultlink.json is JSON");
    assert!(links.to_string().contains("github-token"), "{links}");
}

/// `--format gitlab`: a GitLab Code Quality report, the Code Climate fields GitLab documents
/// (`description`, `check_name`, `fingerprint`, `severity`, `location.path`,
/// `location.lines.begin`), with fingerprints that are unique, hold no secret and stay the
/// same when lines above a finding move.
#[test]
fn gitlab_format_writes_a_code_quality_report() {
    let p = Project::new(LEAKY);
    let report = |p: &Project| {
        let run = p.run(&["check", "--offline", "--format", "gitlab"]);
        assert_eq!(run.code, 0, "warnings only: exit 0\n{}", run.stderr);
        for s in SECRETS {
            assert!(!run.stdout.contains(s), "the report repeats a secret");
        }
        serde_json::from_str::<Vec<serde_json::Value>>(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}\n{}", run.stdout))
    };
    let issues = report(&p);
    let summary: Vec<String> = issues
        .iter()
        .map(|i| {
            let keys: Vec<&str> = i.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                [
                    "description",
                    "check_name",
                    "fingerprint",
                    "severity",
                    "location"
                ]
            );
            assert!(i["description"].as_str().is_some_and(|d| !d.is_empty()));
            let fp = i["fingerprint"].as_str().unwrap();
            assert!(
                fp.len() == 64 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
                "{fp}"
            );
            format!(
                "{} {} {}:{}",
                i["check_name"].as_str().unwrap(),
                i["severity"].as_str().unwrap(),
                i["location"]["path"].as_str().unwrap(),
                i["location"]["lines"]["begin"],
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "plaintext-secret minor api/a.http:4",
            "unlinked-secret minor api/a.http:5",
            "plaintext-secret minor api/a.http:9",
            "undefined-variable minor api/a.http:12",
        ]
    );
    let fingerprints: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");

    // Two lines above every finding: the same fingerprints, on other lines.
    let text = std::fs::read_to_string(p.path("api/a.http")).unwrap();
    std::fs::write(p.path("api/a.http"), format!("# requests\n#\n{text}")).unwrap();
    let moved = report(&p);
    let fp = |v: &[serde_json::Value]| -> Vec<String> {
        v.iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fp(&moved), fp(&issues));
    assert_eq!(moved[0]["location"]["lines"]["begin"], 6);

    // With --strict, a plaintext secret is an error: a major issue.
    let strict = p.run(&["check", "--offline", "--strict", "--format", "gitlab"]);
    let strict: Vec<serde_json::Value> = serde_json::from_str(&strict.stdout).unwrap();
    assert_eq!(strict[0]["severity"], "major");
}

/// `::warning file=…,line=…,col=…,endLine=…,endColumn=…::message`, as GitHub documents the
/// workflow command; `%`, CR and LF escaped in the message, and `:`, `,` too in properties.
#[test]
fn github_format_prints_workflow_commands() {
    let p = Project::new(&format!(
        "{LEAKY}//- /odd, name: 100%.http\nGET https://x.test/\nAuthorization: Bearer Zx9Qw8Er7Ty6Ui5\n"
    ));
    let run = p.run(&["check", "--offline", "--format", "github", "--strict"]);
    assert_eq!(
        run.code, 1,
        "--strict: plaintext-secret is an error\n{}",
        run.stderr
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    let expected_prefixes = [
        "::error file=api/a.http,line=4,col=22,endLine=4,endColumn=65,title=vaultlink plaintext-secret::A GitHub token is written here in plain text",
        "::warning file=api/a.http,line=5,col=12,endLine=5,endColumn=29,title=vaultlink unlinked-secret::`api-key` is not linked",
        "::error file=api/a.http,line=9,col=48,endLine=9,endColumn=72,title=vaultlink plaintext-secret::A credential is written here",
        "::warning file=api/a.http,line=12,col=30,endLine=12,endColumn=42,title=vaultlink undefined-variable::`password` is not defined",
        "::error file=odd%2C name%3A 100%25.http,line=2,col=23,endLine=2,endColumn=38,title=vaultlink plaintext-secret::A bearer token",
    ];
    assert_eq!(lines.len(), expected_prefixes.len(), "{}", run.stdout);
    for (line, prefix) in lines.iter().zip(expected_prefixes) {
        assert!(
            line.starts_with(prefix),
            "{line}\nshould start with\n{prefix}"
        );
        // One command per line, and nothing after the message that the runner would misread.
        assert_eq!(line.matches("::").count(), 2, "{line}");
    }
    for s in SECRETS {
        assert!(!run.stdout.contains(s), "an annotation repeats a secret");
    }
}

#[test]
fn the_severity_threshold_and_strict_decide_the_exit_code() {
    let p = Project::new(LEAKY);
    let code = |args: &[&str]| {
        let mut all = vec!["check", "--offline"];
        all.extend_from_slice(args);
        let run = p.run(&all);
        assert!(
            run.stderr.contains("4 warnings") || run.stderr.contains("2 errors"),
            "{}",
            run.stderr
        );
        run.code
    };
    assert_eq!(code(&[]), 0, "warnings do not fail by default");
    assert_eq!(code(&["--severity-threshold", "error"]), 0);
    assert_eq!(code(&["--severity-threshold", "warning"]), 1);
    assert_eq!(code(&["--severity-threshold", "info"]), 1);
    assert_eq!(
        code(&["--strict"]),
        1,
        "--strict makes plaintext-secret an error"
    );
    let fixed = Project::new(
        "//- /a.http\nGET https://api.github.com/user\nAuthorization: token {{vault:github-token}}\n\
         # vaultlink-ignore plaintext-secret\nX-Trace: Zx9Qw8Er7Ty6Ui5Op4As3Df2\n//- /vaultlink.json\n\
         {\"secrets\": {\"github-token\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/github-token\"}}}\n",
    );
    let run = fixed.run(&[
        "check",
        "--offline",
        "--strict",
        "--severity-threshold",
        "hint",
    ]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

/// The repository's `.pre-commit-hooks.yaml`, run by the real pre-commit with `try-repo` on
/// a throwaway repository: a staged token fails the hook, the fixed file passes.
#[test]
fn pre_commit_hook_blocks_a_staged_token_and_passes_the_fixed_file() {
    let pre_commit = tool(venv().join("bin/pre-commit"));
    let repo = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let bin_dir = bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(repo.path())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let hook = || {
        Command::new(&pre_commit)
            .arg("try-repo")
            .arg(workspace())
            .arg("vaultlink-check")
            .current_dir(repo.path())
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", home.path())
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("pre-commit runs")
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(repo.path().join("README.md"), "requests\n").unwrap();
    std::fs::write(
        repo.path().join("users.http"),
        "GET https://api.github.com/user\nAuthorization: token ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9\n",
    )
    .unwrap();
    git(&["add", "README.md", "users.http"]);
    let blocked = hook();
    let output = String::from_utf8_lossy(&blocked.stdout).into_owned()
        + &String::from_utf8_lossy(&blocked.stderr);
    assert_eq!(
        blocked.status.code(),
        Some(1),
        "the token blocks the commit:\n{output}"
    );
    assert!(
        output.contains("users.http:2:22: error[plaintext-secret]"),
        "{output}"
    );
    assert!(
        !output.contains(SECRETS[0]),
        "the hook's output repeats the token"
    );

    std::fs::write(
        repo.path().join("users.http"),
        "GET https://api.github.com/user\nAuthorization: token {{vault:github-token}}\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("vaultlink.json"),
        "{\"secrets\": {\"github-token\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/github-token\"}}}\n",
    )
    .unwrap();
    git(&["add", "users.http", "vaultlink.json"]);
    let passed = hook();
    assert_eq!(
        passed.status.code(),
        Some(0),
        "the fixed file passes:\n{}{}",
        String::from_utf8_lossy(&passed.stdout),
        String::from_utf8_lossy(&passed.stderr)
    );
    git(&["commit", "-q", "-m", "requests"]);
}

#[path = "gate/corpus.rs"]
mod corpus;

/// Which files a scanner reports something in.
type Flagged = std::collections::BTreeSet<String>;

fn vaultlink_flags(dir: &Path) -> Flagged {
    let run = vaultlink_e2e::run_in(dir, &["check", "--offline", "--format", "json", "."]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    rows.iter()
        .filter(|r| r["code"] == "plaintext-secret")
        .map(|r| {
            r["file"]
                .as_str()
                .unwrap()
                .trim_start_matches("./")
                .to_string()
        })
        .collect()
}

fn detect_secrets_flags(dir: &Path) -> Flagged {
    let out = Command::new(tool(venv().join("bin/detect-secrets")))
        .args(["scan", "--all-files", "."])
        .current_dir(dir)
        .output()
        .expect("detect-secrets runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["results"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, found)| found.as_array().is_some_and(|f| !f.is_empty()))
        .map(|(file, _)| file.clone())
        .collect()
}

fn secretlint_flags(dir: &Path) -> Flagged {
    let rc = dir.join(".secretlintrc.json");
    std::fs::write(
        &rc,
        r#"{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}"#,
    )
    .unwrap();
    let out = Command::new(tool(node_modules().join(".bin/secretlint")))
        .args([
            "**/*",
            "--format",
            "json",
            "--maskSecrets",
            "--secretlintrc",
        ])
        .arg(&rc)
        .current_dir(dir)
        .output()
        .expect("secretlint runs");
    std::fs::remove_file(&rc).unwrap();
    let report: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("secretlint: {e}\n{}", String::from_utf8_lossy(&out.stderr)));
    report
        .iter()
        .filter(|f| f["messages"].as_array().is_some_and(|m| !m.is_empty()))
        .map(|f| {
            Path::new(f["filePath"].as_str().unwrap())
                .strip_prefix(dir.canonicalize().unwrap())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Precision and recall of a scanner on the labelled corpus.
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn of(samples: &[corpus::Sample], flagged: &Flagged) -> Score {
        let hit = |s: &corpus::Sample| flagged.contains(&s.name);
        Score {
            tp: samples.iter().filter(|s| s.secret && hit(s)).count(),
            fp: samples.iter().filter(|s| !s.secret && hit(s)).count(),
            fn_: samples.iter().filter(|s| s.secret && !hit(s)).count(),
        }
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

/// vaultlink's plaintext-secret beside detect-secrets and secretlint (recommended preset) on
/// the generated corpus, with floors for vaultlink; then on the public request files of the
/// real-world corpus when it is there (unlabelled: how many files each flags).
#[test]
fn plaintext_secret_beside_detect_secrets_and_secretlint() {
    let samples = corpus::generate(0x5eed_0014, 5);
    let dir = tempfile::tempdir().unwrap();
    for s in &samples {
        let path = dir.path().join(&s.name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &s.text).unwrap();
    }
    let tools: [(&str, Flagged); 3] = [
        ("vaultlink plaintext-secret", vaultlink_flags(dir.path())),
        ("detect-secrets 1.5.0", detect_secrets_flags(dir.path())),
        (
            "secretlint 13.0.6 + preset-recommend",
            secretlint_flags(dir.path()),
        ),
    ];
    let positives = samples.iter().filter(|s| s.secret).count();
    println!(
        "corpus: {} files, {positives} with one credential, {} without",
        samples.len(),
        samples.len() - positives
    );
    println!(
        "{:<38} {:>4} {:>4} {:>4} {:>10} {:>8}",
        "scanner", "TP", "FP", "FN", "precision", "recall"
    );
    for (name, flagged) in &tools {
        let s = Score::of(&samples, flagged);
        println!(
            "{name:<38} {:>4} {:>4} {:>4} {:>9.1}% {:>7.1}%",
            s.tp,
            s.fp,
            s.fn_,
            100.0 * s.precision(),
            100.0 * s.recall()
        );
    }
    // Per template: how many of its files each scanner flags.
    println!(
        "{:<28} {:>6} {:>9} {:>14} {:>10}",
        "template", "label", "vaultlink", "detect-secrets", "secretlint"
    );
    let mut kinds: Vec<(&str, bool)> = samples.iter().map(|s| (s.kind, s.secret)).collect();
    kinds.dedup();
    for (kind, secret) in kinds {
        let of_kind: Vec<&corpus::Sample> = samples.iter().filter(|s| s.kind == kind).collect();
        let count = |f: &Flagged| of_kind.iter().filter(|s| f.contains(&s.name)).count();
        println!(
            "{kind:<28} {:>6} {:>9} {:>14} {:>10}",
            if secret { "secret" } else { "none" },
            format!("{}/{}", count(&tools[0].1), of_kind.len()),
            format!("{}/{}", count(&tools[1].1), of_kind.len()),
            format!("{}/{}", count(&tools[2].1), of_kind.len()),
        );
    }
    let ours = Score::of(&samples, &tools[0].1);
    let missed: Vec<&str> = samples
        .iter()
        .filter(|s| s.secret && !tools[0].1.contains(&s.name))
        .map(|s| s.name.as_str())
        .collect();
    let wrong: Vec<&str> = samples
        .iter()
        .filter(|s| !s.secret && tools[0].1.contains(&s.name))
        .map(|s| s.name.as_str())
        .collect();
    assert!(
        ours.recall() >= 0.99,
        "recall below its floor; missed: {missed:?}"
    );
    assert!(
        ours.precision() >= 0.99,
        "precision below its floor; flagged: {wrong:?}"
    );

    if let Some(real) = realworld_dir() {
        let files = walk_count(&real);
        println!("real-world request files ({files} files, unlabelled): files each scanner flags");
        let copy = tempfile::tempdir().unwrap();
        copy_request_files(&real, copy.path());
        for (name, flagged) in [
            ("vaultlink plaintext-secret", vaultlink_flags(copy.path())),
            ("detect-secrets 1.5.0", detect_secrets_flags(copy.path())),
            (
                "secretlint 13.0.6 + preset-recommend",
                secretlint_flags(copy.path()),
            ),
        ] {
            println!("{name:<38} {:>4}", flagged.len());
        }
    }
}

/// Applies every "Move to vault" fix that `check --format sarif` offers for the corpus's
/// credentials: afterwards no plaintext-secret is left, and each value is gone from its file.
#[test]
fn move_to_vault_fixes_every_finding_of_the_corpus() {
    let samples = corpus::generate(0x5eed_0014, 2);
    let dir = tempfile::tempdir().unwrap();
    for s in samples.iter().filter(|s| s.secret) {
        let path = dir.path().join(&s.name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &s.text).unwrap();
    }
    let run = vaultlink_e2e::run_in(dir.path(), &["check", "--offline", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut edits: std::collections::BTreeMap<String, Vec<(usize, usize, String)>> =
        Default::default();
    let mut moved = 0;
    for r in log["runs"][0]["results"].as_array().unwrap() {
        if r["ruleId"] != "plaintext-secret" {
            continue;
        }
        let fix = r["fixes"]
            .as_array()
            .and_then(|f| {
                f.iter().find(|f| {
                    f["description"]["text"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("Move to vault"))
                })
            })
            .unwrap_or_else(|| panic!("no Move to vault fix: {r}"));
        for change in fix["artifactChanges"].as_array().unwrap() {
            let file = change["artifactLocation"]["uri"].as_str().unwrap();
            if file.ends_with("vaultlink.json") {
                continue;
            }
            let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
            for rep in change["replacements"].as_array().unwrap() {
                let region = &rep["deletedRegion"];
                let at = |line: &serde_json::Value, col: &serde_json::Value| {
                    offset(&text, line.as_u64().unwrap(), col.as_u64().unwrap())
                };
                edits.entry(file.to_string()).or_default().push((
                    at(&region["startLine"], &region["startColumn"]),
                    at(&region["endLine"], &region["endColumn"]),
                    rep["insertedContent"]["text"].as_str().unwrap().to_string(),
                ));
            }
        }
        moved += 1;
    }
    assert!(
        moved >= samples.iter().filter(|s| s.secret).count(),
        "{moved} fixes"
    );
    for (file, mut list) in edits {
        let path = dir.path().join(&file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        list.sort();
        list.dedup();
        for (start, end, new) in list.into_iter().rev() {
            text.replace_range(start..end, &new);
        }
        std::fs::write(&path, text).unwrap();
    }
    let left = vaultlink_flags(dir.path());
    assert!(left.is_empty(), "still reported after the fixes: {left:?}");
}

/// The byte offset of a 1-based line and character column.
fn offset(text: &str, line: u64, col: u64) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line as usize - 1)
        .map(str::len)
        .sum();
    start
        + text[start..]
            .char_indices()
            .nth(col as usize - 1)
            .map_or(text.len() - start, |(i, _)| i)
}

/// The real-world corpus of tests/realworld.rs, when it is on this machine.
fn realworld_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("VAULTLINK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared"));
    std::env::var_os("VAULTLINK_REALWORLD")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            workspace().join("tests/realworld/corpus"),
            shared.join("realworld"),
        ])
        .find(|d| d.is_dir())
}

fn is_request_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.ends_with(".http") || name.ends_with(".rest") || name.ends_with(".json")
}

fn walk_count(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            n += walk_count(&p);
        } else if is_request_file(&p) {
            n += 1;
        }
    }
    n
}

/// Copies the request files (and only those) so that every scanner sees the same files.
fn copy_request_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_request_files(&p, &target);
        } else if is_request_file(&p) {
            std::fs::create_dir_all(to).unwrap();
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// One file of the public corpus (`tests/gate/public/MANIFEST.tsv`).
struct PublicFile {
    file: String,
    source: &'static str,
    sha256: String,
    /// The 1-based lines that hold a credential, by the fixture's own expectations.
    secret_lines: Vec<u32>,
}

fn public_manifest() -> Vec<PublicFile> {
    let text = std::fs::read_to_string(workspace().join("tests/gate/public/MANIFEST.tsv"))
        .expect("tests/gate/public/MANIFEST.tsv");
    text.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 9, "a manifest line has nine columns: {l}");
            PublicFile {
                file: cols[0].to_string(),
                source: match cols[8] {
                    s if s.starts_with("secretlint") => "secretlint fixtures",
                    s if s.starts_with("detect-secrets") => "detect-secrets fixtures",
                    _ => "real-world request files",
                },
                sha256: cols[6].to_string(),
                secret_lines: match cols[7] {
                    "-" => Vec::new(),
                    lines => lines.split(',').map(|n| n.parse().unwrap()).collect(),
                },
            }
        })
        .collect()
}

/// The public corpus, when it is on this machine: `VAULTLINK_GATE_CORPUS`, else
/// `tests/gate/public/corpus/` (ignored by git), else `gate-corpus/` of the shared data folder.
fn public_corpus_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("VAULTLINK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared"));
    std::env::var_os("VAULTLINK_GATE_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            workspace().join("tests/gate/public/corpus"),
            shared.join("gate-corpus"),
        ])
        .find(|d| d.is_dir())
}

/// Which lines (file, 1-based line) a scanner reports.
type Lines = std::collections::BTreeSet<(String, u32)>;

fn vaultlink_lines(dir: &Path, names: &std::collections::BTreeMap<String, String>) -> Lines {
    let run = vaultlink_e2e::run_in(dir, &["check", "--offline", "--format", "json", "."]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    rows.iter()
        .filter(|r| r["code"] == "plaintext-secret")
        .map(|r| {
            let file = r["file"].as_str().unwrap().trim_start_matches("./");
            let original = names.get(file).cloned().unwrap_or_else(|| file.to_string());
            (original, r["line"].as_u64().unwrap() as u32)
        })
        .collect()
}

fn detect_secrets_lines(dir: &Path) -> Lines {
    let out = Command::new(tool(venv().join("bin/detect-secrets")))
        .args(["scan", "--all-files", "."])
        .current_dir(dir)
        .output()
        .expect("detect-secrets runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut lines = Lines::new();
    for (file, found) in report["results"].as_object().unwrap() {
        for f in found.as_array().unwrap() {
            lines.insert((file.clone(), f["line_number"].as_u64().unwrap() as u32));
        }
    }
    lines
}

fn secretlint_lines(dir: &Path) -> Lines {
    let rc = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        rc.path(),
        r#"{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}"#,
    )
    .unwrap();
    let out = Command::new(tool(node_modules().join(".bin/secretlint")))
        .args([
            "**/*",
            "--format",
            "json",
            "--maskSecrets",
            "--secretlintrc",
        ])
        .arg(rc.path())
        .current_dir(dir)
        .output()
        .expect("secretlint runs");
    let report: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("secretlint: {e}\n{}", String::from_utf8_lossy(&out.stderr)));
    let root = dir.canonicalize().unwrap();
    let mut lines = Lines::new();
    for f in &report {
        let file = Path::new(f["filePath"].as_str().unwrap())
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        for m in f["messages"].as_array().into_iter().flatten() {
            lines.insert((
                file.clone(),
                m["loc"]["start"]["line"].as_u64().unwrap() as u32,
            ));
        }
    }
    lines
}

/// Line-level counts of one scanner on part of the public corpus.
#[derive(Default)]
struct LineScore {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl LineScore {
    fn of(files: &[&PublicFile], flagged: &Lines) -> LineScore {
        let mut s = LineScore::default();
        for f in files {
            let labelled: std::collections::BTreeSet<u32> =
                f.secret_lines.iter().copied().collect();
            let found: std::collections::BTreeSet<u32> = flagged
                .range((f.file.clone(), 0)..=(f.file.clone(), u32::MAX))
                .map(|(_, l)| *l)
                .collect();
            s.tp += labelled.intersection(&found).count();
            s.fp += found.difference(&labelled).count();
            s.fn_ += labelled.difference(&found).count();
        }
        s
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

/// vaultlink's plaintext-secret beside detect-secrets and secretlint (recommended preset) on
/// the public corpus of `tests/gate/public/`: the secret scanners' own test fixtures, labelled
/// line by line from their expectations, and public request files with no credential. Every
/// scanner reads the same bytes; vaultlink, which reads request files only, reads each fixture
/// that is not one as an `.http` file. Precision and recall are counted by line.
#[test]
fn public_corpus_precision_and_recall_beside_detect_secrets_and_secretlint() {
    let Some(corpus) = public_corpus_dir() else {
        println!(
            "no public corpus here (VAULTLINK_GATE_CORPUS, tests/gate/public/corpus or \
             gate-corpus/ of VAULTLINK_SHARED): nothing measured; tests/gate/public/README.md \
             says how to lay it out"
        );
        return;
    };
    use sha2::{Digest, Sha256};
    let manifest = public_manifest();
    let plain = tempfile::tempdir().unwrap();
    let as_requests = tempfile::tempdir().unwrap();
    // The name vaultlink reads each file under, back to the manifest's name.
    let mut names = std::collections::BTreeMap::new();
    for f in &manifest {
        let bytes = std::fs::read(corpus.join(&f.file))
            .unwrap_or_else(|e| panic!("{}: {e}", corpus.join(&f.file).display()));
        assert_eq!(
            format!("{:x}", Sha256::digest(&bytes)),
            f.sha256,
            "{} differs from the manifest",
            f.file
        );
        let request_name = if f.source == "real-world request files" {
            f.file.clone()
        } else {
            format!("{}.http", f.file)
        };
        for (dir, name) in [(&plain, &f.file), (&as_requests, &request_name)] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, &bytes).unwrap();
        }
        names.insert(request_name, f.file.clone());
    }
    let tools: [(&str, Lines); 3] = [
        (
            "vaultlink plaintext-secret",
            vaultlink_lines(as_requests.path(), &names),
        ),
        ("detect-secrets 1.5.0", detect_secrets_lines(plain.path())),
        (
            "secretlint 13.0.6 + preset-recommend",
            secretlint_lines(plain.path()),
        ),
    ];
    let sources = [
        "secretlint fixtures",
        "detect-secrets fixtures",
        "real-world request files",
    ];
    let all: Vec<&PublicFile> = manifest.iter().collect();
    let labelled: usize = manifest.iter().map(|f| f.secret_lines.len()).sum();
    println!(
        "public corpus: {} files, {labelled} lines with a credential",
        manifest.len()
    );
    println!(
        "{:<26} {:<38} {:>4} {:>4} {:>4} {:>10} {:>8}",
        "files", "scanner", "TP", "FP", "FN", "precision", "recall"
    );
    for (part, files) in [("all", all.clone())].into_iter().chain(
        sources
            .iter()
            .map(|s| (*s, all.iter().copied().filter(|f| f.source == *s).collect())),
    ) {
        for (name, flagged) in &tools {
            let s = LineScore::of(&files, flagged);
            println!(
                "{part:<26} {name:<38} {:>4} {:>4} {:>4} {:>9.1}% {:>7.1}%",
                s.tp,
                s.fp,
                s.fn_,
                100.0 * s.precision(),
                100.0 * s.recall()
            );
        }
    }
    // vaultlink's misses and false alarms, for whoever reads the run.
    let ours = &tools[0].1;
    for f in &manifest {
        for l in &f.secret_lines {
            if !ours.contains(&(f.file.clone(), *l)) {
                println!("missed       {}:{l}", f.file);
            }
        }
    }
    for (file, line) in ours {
        let labelled = manifest
            .iter()
            .find(|f| &f.file == file)
            .is_some_and(|f| f.secret_lines.contains(line));
        if !labelled {
            println!("false alarm  {file}:{line}");
        }
    }
    let score = LineScore::of(&all, ours);
    let floors = std::fs::read_to_string(workspace().join("tests/gate/public/floors.txt"))
        .expect("tests/gate/public/floors.txt");
    for line in floors
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (what, floor) = line.split_once(' ').expect("`precision 0.9` lines");
        let floor: f64 = floor.trim().parse().expect("a number");
        let value = match what {
            "precision" => score.precision(),
            "recall" => score.recall(),
            other => panic!("unknown floor {other}"),
        };
        assert!(
            value >= floor,
            "vaultlink's {what} on the public corpus is {value:.3}, below its floor {floor}"
        );
    }
}
