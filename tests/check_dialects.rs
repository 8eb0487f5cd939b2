//! `vaultlink check` over files as httpyac and kulala users write them: names defined in a
//! `.env` file or in a file that this one imports or runs are no undefined variables, and
//! every name defined nowhere is still reported.

use vaultlink_e2e::Project;

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
