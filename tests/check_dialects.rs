//! `vaultlink check` and the editor over files as httpyac, kulala and JetBrains users write
//! them: names defined in a `.env` file, in a file that this one imports or runs, or by a
//! script file it runs are no undefined variables, and every name defined nowhere is still
//! reported.

use vaultlink_e2e::Project;
use vaultlink_e2e::lsp::Client;

#[test]
fn names_from_dotenv_and_imported_files_are_defined() {
    let project = Project::new(
        r#"
//- /.env
API_HOST=https://api.example.test
# COMMENTED=1
//- /auth.http
@token = abc
# @name login
POST {{API_HOST}}/login

{{
  exports.session = "s";
}}
//- /kulala.http
import ./auth.http

###
GET {{API_HOST}}/a/{{token}}/{{login.id}}/{{session}}/{{missing}}/{{COMMENTED}}
//- /httpyac.http
# @import ./auth.http
GET {{API_HOST}}/b/{{token}}
"#,
    );
    let run = project.run(&["check", "--offline", "kulala.http", "httpyac.http"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "kulala.http:4:55: warning[undefined-variable]: `missing` is not defined in this file or an environment",
            "kulala.http:4:67: warning[undefined-variable]: `COMMENTED` is not defined in this file or an environment",
        ],
        "{}",
        run.stdout
    );
}

/// The project of [`names_from_script_files_are_defined_for_check_and_the_editor`].
const SCRIPTED: &str = r#"
//- /.env
API_HOST=https://api.example.test
//- /scripts/login.js
client.global.set("token", response.body.token);
request.variables.set('tenant', "t1");
//- /auth.http
# @name login
POST {{API_HOST}}/login
//- /app.http
import ./auth.http

###
< ./scripts/login.js
GET {{API_HOST}}/a/{{tenant}}/{{login.id}}

###
GET {{API_HOST}}/b
> ./scripts/login.js

###
GET {{API_HOST}}/c/{{token}}/{{missing}}
"#;

#[test]
fn names_from_script_files_are_defined_for_check_and_the_editor() {
    let project = Project::new(SCRIPTED);
    let run = project.run(&["check", "--offline", "app.http"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "app.http:12:30: warning[undefined-variable]: `missing` is not defined in this file or an environment"
        ],
        "{}",
        run.stdout
    );

    let mut client = Client::start(project.dir.path(), &["utf-8"]);
    let uri = client.open(&project.path("app.http"), &project.read("app.http"));
    let undefined: Vec<String> = client
        .wait_diagnostics(&uri)
        .iter()
        .filter(|d| d["code"] == "undefined-variable")
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        undefined,
        ["`missing` is not defined in this file or an environment"],
        "the editor sees the names `check` sees"
    );
    client.shutdown();
}

#[test]
fn send_names_what_a_script_or_an_imported_file_sets_when_the_request_runs() {
    let project = Project::new(SCRIPTED);
    let run = project.run(&["send", "app.http", "--request", "1", "--dry-run"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "`tenant` gets its value when the request runs (a script or a file this one imports sets it), which `send` does not do"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("undefined variable `tenant`"),
        "{}",
        run.stderr
    );
}
