//! A labelled corpus of request files, generated at test time: each file holds either one
//! committed credential (synthetic: the right shape, random characters, never a live key) in
//! one of the places people write them, or none, only values that look alike (placeholders,
//! references, hashes, UUIDs, base64 data). Seeded, so every run writes the same files.

/// One generated file: its name, its text, and whether it holds a credential.
pub struct Sample {
    pub name: String,
    pub text: String,
    pub secret: bool,
    /// The template it comes from, for the per-kind table.
    pub kind: &'static str,
}

/// xorshift64*: small, seeded, good enough to spread characters.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick(&mut self, alphabet: &str, n: usize) -> String {
        let a = alphabet.as_bytes();
        (0..n)
            .map(|_| a[(self.next() % a.len() as u64) as usize] as char)
            .collect()
    }
    fn alnum(&mut self, n: usize) -> String {
        self.pick(ALNUM, n)
    }
    fn b64(&mut self, n: usize) -> String {
        self.pick(B64, n)
    }
    fn hex(&mut self, n: usize) -> String {
        self.pick("0123456789abcdef", n)
    }
    fn digits(&mut self, n: usize) -> String {
        self.pick("0123456789", n)
    }
    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-a{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.hex(3),
            self.hex(12)
        )
    }
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwyz0123456789";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwyz0123456789+/";

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn b64std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn jwt(r: &mut Rng) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64url(
        format!(
            r#"{{"sub":"{}","name":"user {}","iat":{}}}"#,
            r.digits(10),
            r.alnum(6),
            r.digits(10)
        )
        .as_bytes(),
    );
    format!("{header}.{payload}.{}", r.pick(&format!("{ALNUM}-_"), 43))
}

fn private_key(r: &mut Rng, newline: &str) -> String {
    let mut key = String::from("-----BEGIN RSA PRIVATE KEY-----");
    for _ in 0..8 {
        key.push_str(newline);
        key.push_str(&r.b64(64));
    }
    key.push_str(newline);
    key.push_str("-----END RSA PRIVATE KEY-----");
    key
}

fn collection(items: &str) -> String {
    format!(
        "{{\n  \"info\": {{\"name\": \"api\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"}},\n  \"item\": [{items}]\n}}\n"
    )
}

fn request_item(header_key: &str, header_value: &str, url: &str) -> String {
    format!(
        "{{\n    \"name\": \"call\",\n    \"request\": {{\n      \"method\": \"GET\",\n      \"header\": [{{\"key\": \"{header_key}\", \"value\": \"{header_value}\"}}],\n      \"url\": {{\"raw\": \"{url}\"}}\n    }}\n  }}"
    )
}

type Template = (&'static str, &'static str, fn(&mut Rng) -> String);

/// Credentials, each in a place people write it: (kind, file name suffix, text).
const SECRETS: &[Template] = &[
    ("jwt-header", ".http", |r| {
        format!(
            "GET https://api.example.com/me\nAuthorization: Bearer {}\n",
            jwt(r)
        )
    }),
    ("github-header", ".http", |r| {
        format!(
            "GET https://api.github.com/user/repos\nAuthorization: token ghp_{}\nAccept: application/vnd.github+json\n",
            r.alnum(36)
        )
    }),
    ("github-pat-variable", ".http", |r| {
        format!(
            "@gh = github_pat_11{}_{}\n\nGET https://api.github.com/user\nAuthorization: Bearer {{{{gh}}}}\n",
            r.alnum(20).to_uppercase(),
            r.alnum(59)
        )
    }),
    ("aws-body", ".http", |r| {
        format!(
            "POST https://deploy.example.com/credentials\nContent-Type: application/json\n\n{{\"accessKeyId\": \"AKIA{}\", \"region\": \"eu-west-1\"}}\n",
            r.pick("ABCDEFGHIJKLMNOPQRSTUVWYZ234567", 16)
        )
    }),
    ("stripe-basic", ".http", |r| {
        format!(
            "POST https://api.stripe.com/v1/charges\nAuthorization: Bearer sk_live_{}\nContent-Type: application/x-www-form-urlencoded\n\namount=2000&currency=usd\n",
            r.alnum(24)
        )
    }),
    ("stripe-collection-auth", ".postman_collection.json", |r| {
        collection(&format!(
            "{{\"name\": \"charge\", \"request\": {{\"method\": \"POST\", \"url\": \"https://api.stripe.com/v1/charges\",\n    \"auth\": {{\"type\": \"bearer\", \"bearer\": [{{\"key\": \"token\", \"value\": \"rk_live_{}\", \"type\": \"string\"}}]}}}}}}",
            r.alnum(24)
        ))
    }),
    ("slack-form", ".http", |r| {
        format!(
            "POST https://slack.com/api/chat.postMessage\nContent-Type: application/x-www-form-urlencoded\n\ntoken=xoxb-{}-{}-{}&channel=C{}&text=deployed\n",
            r.digits(12),
            r.digits(13),
            r.alnum(24),
            r.alnum(8).to_uppercase()
        )
    }),
    ("azure-storage-env", "http-client.env.json", |r| {
        format!(
            "{{\n  \"dev\": {{\n    \"host\": \"https://corp.blob.core.windows.net\",\n    \"storage\": \"DefaultEndpointsProtocol=https;AccountName=corp;AccountKey={}==;EndpointSuffix=core.windows.net\"\n  }}\n}}\n",
            r.b64(86)
        )
    }),
    ("azure-sas-url", ".http", |r| {
        format!(
            "GET https://corp.blob.core.windows.net/reports/q3.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&spr=https&sig={}%3D\n",
            r.pick(&format!("{ALNUM}%"), 43).replace('%', "%2B")
        )
    }),
    ("google-key-query", ".http", |r| {
        format!(
            "GET https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=AIza{}\n",
            r.pick(&format!("{ALNUM}-_"), 35)
        )
    }),
    ("private-key-body", ".http", |r| {
        format!(
            "POST https://sign.example.com/keys\nContent-Type: application/json\n\n{{\"name\": \"deploy\", \"key\": \"{}\"}}\n",
            private_key(r, "\\n")
        )
    }),
    (
        "private-key-collection-var",
        ".postman_collection.json",
        |r| {
            let key = private_key(r, "\\n");
            collection(&format!(
                "{}],\n  \"variable\": [{{\"key\": \"signingKey\", \"value\": \"{key}\"}}",
                request_item("Accept", "application/json", "https://sign.example.com/v1")
            ))
        },
    ),
    ("url-password", ".http", |r| {
        format!(
            "GET https://admin:{}{}@registry.example.com/v2/_catalog\n",
            r.alnum(10),
            r.digits(3)
        )
    }),
    ("basic-header", ".http", |r| {
        let creds = format!("svc-{}:{}", r.alnum(5).to_lowercase(), r.alnum(14));
        format!(
            "GET https://jira.example.com/rest/api/2/myself\nAuthorization: Basic {}\n",
            b64std(creds.as_bytes())
        )
    }),
    ("api-key-query", ".http", |r| {
        format!(
            "GET https://api.openweathermap.example/data/2.5/weather?q=London&appid=x&api_key={}\n",
            r.hex(32)
        )
    }),
    ("api-key-header", ".http", |r| {
        format!(
            "GET https://api.example.com/v2/reports\nX-API-Key: {}\n",
            r.alnum(32)
        )
    }),
    (
        "api-key-collection-header",
        ".postman_collection.json",
        |r| {
            collection(&request_item(
                "x-api-key",
                &r.alnum(40),
                "https://api.example.com/v1/items",
            ))
        },
    ),
    ("client-secret-env", ".postman_environment.json", |r| {
        format!(
            "{{\n  \"name\": \"dev\",\n  \"values\": [\n    {{\"key\": \"baseUrl\", \"value\": \"https://login.example.com\", \"enabled\": true}},\n    {{\"key\": \"clientSecret\", \"value\": \"{}~{}\", \"type\": \"secret\", \"enabled\": true}}\n  ]\n}}\n",
            r.alnum(3),
            r.pick(&format!("{ALNUM}._-"), 34)
        )
    }),
    ("password-body", ".http", |r| {
        format!(
            "POST https://api.example.com/login\nContent-Type: application/json\n\n{{\"username\": \"ops\", \"password\": \"{}{}!\"}}\n",
            r.alnum(8),
            r.digits(2)
        )
    }),
    ("script-token", ".http", |r| {
        format!(
            "GET https://api.example.com/items\n\n> {{%\n    client.global.set(\"token\", \"{}\");\n%}}\n",
            jwt(r)
        )
    }),
];

/// Values that look like credentials and are not: references, variables, placeholders,
/// hashes, identifiers, data.
const NON_SECRETS: &[Template] = &[
    ("vault-reference", ".http", |_| {
        "GET https://api.github.com/user\nAuthorization: token {{vault:github-token}}\n".into()
    }),
    ("variable", ".http", |_| {
        "GET https://api.stripe.com/v1/charges\nAuthorization: Bearer {{stripeKey}}\n".into()
    }),
    ("placeholder-angle", ".http", |_| {
        "GET https://api.example.com/me\nAuthorization: Bearer <your-token>\n".into()
    }),
    ("placeholder-words", ".http", |r| {
        let p = [
            "changeme",
            "xxxxxxxxxxxxxxxx",
            "YOUR_API_KEY",
            "replace-me-with-a-key",
        ];
        format!(
            "GET https://api.example.com/v2/reports\nX-API-Key: {}\n",
            p[(r.next() % p.len() as u64) as usize]
        )
    }),
    ("env-variable", ".http", |_| {
        "GET https://api.example.com/me\nAuthorization: Bearer {{$processEnv API_TOKEN}}\n".into()
    }),
    ("sha256-body", ".http", |r| {
        format!(
            "POST https://artifacts.example.com/verify\nContent-Type: application/json\n\n{{\"file\": \"app.tar.gz\", \"sha256\": \"{}\"}}\n",
            r.hex(64)
        )
    }),
    ("commit-url", ".http", |r| {
        format!(
            "GET https://api.github.com/repos/octo/app/commits/{}\nAccept: application/vnd.github+json\n",
            r.hex(40)
        )
    }),
    ("uuid-header", ".http", |r| {
        format!(
            "GET https://api.example.com/orders/{}\nX-Request-Id: {}\nX-Correlation-Id: {}\n",
            r.uuid(),
            r.uuid(),
            r.uuid()
        )
    }),
    ("etag", ".http", |r| {
        format!(
            "GET https://api.example.com/files/1\nIf-None-Match: \"{}\"\n",
            r.hex(32)
        )
    }),
    ("base64-image", ".http", |r| {
        format!(
            "POST https://api.example.com/avatars\nContent-Type: application/json\n\n{{\"name\": \"me.png\", \"data\": \"iVBORw0KGgoAAAANSUhEUgAA{}\"}}\n",
            r.b64(120)
        )
    }),
    ("content-md5", ".http", |r| {
        format!(
            "PUT https://storage.example.com/b/o\nContent-MD5: {}==\n\nhello\n",
            r.b64(22)
        )
    }),
    ("public-key", ".http", |r| {
        format!(
            "POST https://api.example.com/keys\nContent-Type: application/json\n\n{{\"publicKey\": \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} ops@host\"}}\n",
            r.b64(43)
        )
    }),
    ("aws-example-key", ".http", |_| {
        "# the documentation's example key\nGET https://s3.example.com/?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE\n".into()
    }),
    ("collection-references", ".postman_collection.json", |_| {
        collection(&request_item(
            "Authorization",
            "Bearer {{vault:api-token}}",
            "https://api.example.com/v1/items?api_key={{apiKey}}",
        ))
    }),
    ("collection-ids", ".postman_collection.json", |r| {
        let id = r.uuid();
        collection(&format!(
            "{{\"name\": \"order\", \"_postman_id\": \"{id}\", \"request\": {{\"method\": \"GET\", \"url\": {{\"raw\": \"https://api.example.com/orders/{}?page=2\"}}}}}}",
            r.hex(24)
        ))
    }),
    ("env-plain-values", "http-client.env.json", |r| {
        format!(
            "{{\n  \"dev\": {{\n    \"host\": \"https://api.example.com\",\n    \"tenantId\": \"{}\",\n    \"apiKey\": \"{{{{vault:api-key}}}}\",\n    \"pageSize\": \"50\"\n  }}\n}}\n",
            r.uuid()
        )
    }),
    ("csrf-token", ".http", |r| {
        format!(
            "POST https://app.example.com/form\nX-CSRF-Token: {}\n\nname=x\n",
            r.alnum(32)
        )
    }),
    ("pagination-cursor", ".http", |r| {
        format!(
            "GET https://api.example.com/items?cursor={}&limit=50\n",
            r.b64(40).replace(['+', '/'], "")
        )
    }),
    ("jwt-shaped-text", ".http", |_| {
        "GET https://api.example.com/docs/eyJhbGciOiJIUzI1NiJ9-explained\n".into()
    }),
];

/// `per` files of every template, secrets and non-secrets.
pub fn generate(seed: u64, per: usize) -> Vec<Sample> {
    let mut r = Rng::new(seed);
    let mut out = Vec::new();
    for (templates, secret) in [(SECRETS, true), (NON_SECRETS, false)] {
        for &(kind, suffix, make) in templates {
            for i in 0..per {
                let folder = format!("{}-{kind}-{i}", if secret { "s" } else { "n" });
                // Environment files have fixed names: one folder each.
                let name = if suffix.contains("env.json") && !suffix.starts_with('.') {
                    format!("{folder}/{suffix}")
                } else {
                    format!("{folder}/{kind}{suffix}")
                };
                out.push(Sample {
                    name,
                    text: make(&mut r),
                    secret,
                    kind,
                });
            }
        }
    }
    out
}
