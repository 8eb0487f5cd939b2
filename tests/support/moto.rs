//! AWS Secrets Manager for the tests: moto's server (PyPI `moto[server]`, installed by
//! `scripts/test.sh` into `target/moto-venv`) on a loopback port, seeded through its own
//! APIs. With [`Moto::start_enforcing`], every request after the seeding must be signed
//! with Signature Version 4 by an IAM user whose policy allows it — moto checks both.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const HOW_TO_INSTALL: &str = "install moto as `bash scripts/test.sh` does: \
    `python3 -m venv target/moto-venv && target/moto-venv/bin/python -m pip install 'moto[server]==5.2.5'`, \
    or set VAULTLINK_MOTO to a `moto_server` program";

/// The region every test secret is in.
pub const REGION: &str = "eu-west-1";

/// `moto_server`: `VAULTLINK_MOTO`, else `target/moto-venv/bin/moto_server`.
pub fn find_moto() -> PathBuf {
    if let Some(p) = std::env::var_os("VAULTLINK_MOTO") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/moto-venv/bin/moto_server");
    assert!(venv.is_file(), "moto is missing: {HOW_TO_INSTALL}");
    venv
}

/// One seeding call, made before anything is enforced.
pub enum Seed {
    /// A Secrets Manager operation and its JSON body.
    Sm(&'static str, Value),
    /// An IAM query action and its parameters.
    Iam(Vec<(String, String)>),
    /// An STS query action and its parameters.
    Sts(Vec<(String, String)>),
}

/// An IAM user's access keys.
#[derive(Clone, Debug)]
pub struct Keys {
    pub id: String,
    pub secret: String,
}

pub struct Moto {
    child: Child,
    port: u16,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    /// The answers of the seeding calls, in order.
    pub seeded: Vec<Value>,
}

impl Moto {
    /// moto without any authorization: every request is taken as signed.
    pub fn start(seeds: Vec<Seed>) -> Moto {
        Moto::launch(None, seeds)
    }

    /// moto that accepts the `seeds` unsigned and then enforces IAM: signatures are checked
    /// and each user's policies decide.
    pub fn start_enforcing(seeds: Vec<Seed>) -> Moto {
        let n = seeds.len();
        Moto::launch(Some(n), seeds)
    }

    fn launch(no_auth: Option<usize>, seeds: Vec<Seed>) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut cmd = Command::new(find_moto());
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env("MOTO_ALLOW_NONEXISTENT_REGION", "false");
        if let Some(n) = no_auth {
            cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("moto_server does not start ({e}): {HOW_TO_INSTALL}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut moto = Moto {
            child,
            port,
            rt,
            http,
            seeded: Vec::new(),
        };
        moto.wait_ready();
        for seed in seeds {
            let answer = match seed {
                Seed::Sm(op, body) => moto.sm(op, body),
                Seed::Iam(params) => moto.iam(&params),
                Seed::Sts(params) => moto.query("sts", "2011-06-15", &params),
            };
            moto.seeded.push(answer);
        }
        moto
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/moto-api/", self.url());
        loop {
            let ok = self
                .rt
                .block_on(self.http.get(&url).send())
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("moto_server exited ({status}): {HOW_TO_INSTALL}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not start within a minute"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// An unsigned Secrets Manager call (moto reads the region from the credential scope).
    pub fn sm(&self, op: &str, body: Value) -> Value {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDSEED/20260101/{REGION}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0"
        );
        let resp = self.rt.block_on(async {
            let r = self
                .http
                .post(format!("{}/", self.url()))
                .header("x-amz-target", format!("secretsmanager.{op}"))
                .header("content-type", "application/x-amz-json-1.1")
                .header("authorization", auth)
                .body(body.to_string())
                .send()
                .await
                .expect("moto answers");
            let status = r.status();
            (status, r.text().await.unwrap_or_default())
        });
        assert!(resp.0.is_success(), "{op} failed: {} {}", resp.0, resp.1);
        serde_json::from_str(&resp.1).unwrap_or(Value::Null)
    }

    /// An unsigned IAM query call; the answer's XML as a string value.
    pub fn iam(&self, params: &[(String, String)]) -> Value {
        self.query("iam", "2010-05-08", params)
    }

    /// An unsigned query call to `service`; the answer's XML as a string value.
    pub fn query(&self, service: &str, version: &str, params: &[(String, String)]) -> Value {
        let mut form: Vec<(String, String)> = vec![("Version".into(), version.into())];
        form.extend(params.iter().cloned());
        let resp = self.rt.block_on(async {
            let r = self
                .http
                .post(format!("{}/", self.url()))
                .header(
                    "authorization",
                    format!("AWS4-HMAC-SHA256 Credential=AKIDSEED/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"),
                )
                .form(&form)
                .send()
                .await
                .expect("moto answers");
            let status = r.status();
            (status, r.text().await.unwrap_or_default())
        });
        assert!(
            resp.0.is_success(),
            "{service} {params:?} failed: {} {}",
            resp.0,
            resp.1
        );
        Value::String(resp.1)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The seeds of an IAM user `name` with access keys and, when `policy` is given, that inline
/// policy. Three calls when a policy is given, two otherwise; the keys are read from the
/// second answer with [`keys_of`].
pub fn iam_user(name: &str, policy: Option<&Value>) -> Vec<Seed> {
    let mut seeds = vec![
        Seed::Iam(p(&[("Action", "CreateUser"), ("UserName", name)])),
        Seed::Iam(p(&[("Action", "CreateAccessKey"), ("UserName", name)])),
    ];
    if let Some(policy) = policy {
        seeds.push(Seed::Iam(p(&[
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "vaultlink-test"),
            ("PolicyDocument", &policy.to_string()),
        ])));
    }
    seeds
}

/// The seeds of an IAM role `name` that `policy` allows, assumed once: the last seed's
/// answer holds the role's temporary credentials ([`session_of`]).
pub fn assumed_role(name: &str, policy: &Value) -> Vec<Seed> {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "AWS": "*" }, "Action": "sts:AssumeRole" }]
    });
    vec![
        Seed::Iam(p(&[
            ("Action", "CreateRole"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", &trust.to_string()),
        ])),
        Seed::Iam(p(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", name),
            ("PolicyName", "vaultlink-test"),
            ("PolicyDocument", &policy.to_string()),
        ])),
        Seed::Sts(p(&[
            ("Action", "AssumeRole"),
            ("RoleArn", &format!("arn:aws:iam::123456789012:role/{name}")),
            ("RoleSessionName", "vaultlink-test"),
            ("DurationSeconds", "3600"),
        ])),
    ]
}

fn xml_field(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).expect("the tag is there") + open.len();
    let end = start + xml[start..].find('<').unwrap();
    xml[start..end].to_owned()
}

/// Temporary credentials: keys and their session token.
#[derive(Clone, Debug)]
pub struct Session {
    pub keys: Keys,
    pub token: String,
}

/// The temporary credentials in an `AssumeRole` answer.
pub fn session_of(answer: &Value) -> Session {
    let xml = answer.as_str().expect("an STS answer");
    Session {
        keys: Keys {
            id: xml_field(xml, "AccessKeyId"),
            secret: xml_field(xml, "SecretAccessKey"),
        },
        token: xml_field(xml, "SessionToken"),
    }
}

/// The access keys in a `CreateAccessKey` answer.
pub fn keys_of(answer: &Value) -> Keys {
    let xml = answer.as_str().expect("an IAM answer");
    let field = |tag: &str| {
        let open = format!("<{tag}>");
        let start = xml.find(&open).expect("the tag is there") + open.len();
        let end = start + xml[start..].find('<').unwrap();
        xml[start..end].to_owned()
    };
    Keys {
        id: field("AccessKeyId"),
        secret: field("SecretAccessKey"),
    }
}

/// A policy that allows every Secrets Manager action.
pub fn read_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*" }]
    })
}

/// The environment that points vaultlink at moto with `keys`, with a home folder of its own
/// (no shared files unless the test writes some).
pub fn env(moto: &Moto, keys: &Keys, home: &Path) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), moto.url()),
        ("AWS_ACCESS_KEY_ID".into(), keys.id.clone()),
        ("AWS_SECRET_ACCESS_KEY".into(), keys.secret.clone()),
        ("HOME".into(), home.display().to_string()),
    ]
}
