//! The dynamic variables of REST Client, httpyac and JetBrains' HTTP client that a request
//! can use: `{{$uuid}}` (`$guid`, `$random.uuid`), `{{$timestamp}}`, `{{$isoTimestamp}}`,
//! `{{$datetime iso8601|rfc1123}}`, `{{$randomInt [min max]}}` (`$random.integer(min, max)`),
//! `{{$processEnv NAME}}` and `{{$dotenv NAME}}` (a `.env` file beside the request file, or
//! above it).

use std::path::PathBuf;

use crate::send::plan::Dynamics;

pub struct SystemDynamics {
    /// The folder of the request file, where `.env` is looked up from.
    pub dir: Option<PathBuf>,
}

impl Dynamics for SystemDynamics {
    fn value(&self, name: &str, args: &str) -> Result<String, String> {
        let now = jiff::Timestamp::now();
        match name {
            "uuid" | "guid" | "random.uuid" | "randomUUID" => Ok(uuid::Uuid::new_v4().to_string()),
            "timestamp" => Ok(now.as_second().to_string()),
            "isoTimestamp" => Ok(now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            "datetime" | "localDatetime" => {
                match args.split_whitespace().next().unwrap_or("iso8601") {
                    "rfc1123" => Ok(now.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()),
                    "iso8601" => Ok(now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
                    other => Err(format!(
                        "unknown date format `{other}`: use iso8601 or rfc1123"
                    )),
                }
            }
            "randomInt" | "random.integer" => {
                let nums: Vec<i64> = args
                    .trim_matches(|c| c == '(' || c == ')')
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<i64>()
                            .map_err(|_| format!("`{s}` is not a whole number"))
                    })
                    .collect::<Result<_, _>>()?;
                let (min, max) = match nums.as_slice() {
                    [] => (0, 1000),
                    [min, max] if min < max => (*min, *max),
                    _ => {
                        return Err(
                            "expected two whole numbers, min and max, with min < max".to_owned()
                        );
                    }
                };
                Ok(fastrand::i64(min..max).to_string())
            }
            "processEnv" => {
                let var = args.trim().trim_start_matches('%');
                std::env::var(var)
                    .map_err(|_| format!("the environment variable `{var}` is not set"))
            }
            "dotenv" => {
                let var = args.trim().trim_start_matches('%');
                self.dotenv(var)
            }
            other => Err(format!(
                "`${other}` is not a dynamic variable vaultlink knows: use $uuid, $timestamp, $isoTimestamp, $datetime, $randomInt, $processEnv or $dotenv"
            )),
        }
    }
}

impl SystemDynamics {
    fn dotenv(&self, var: &str) -> Result<String, String> {
        let dir = self
            .dir
            .as_deref()
            .ok_or("the request file has no folder to find .env in")?;
        let path = crate::fs::find_up(dir, ".env")
            .ok_or("no .env file beside the request file or above it")?;
        let text = crate::fs::read_text(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        for line in text.lines() {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line);
            if let Some((k, v)) = line.split_once('=')
                && k.trim() == var
            {
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                    .unwrap_or(v);
                return Ok(v.to_owned());
            }
        }
        Err(format!("`{var}` is not in {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let d = SystemDynamics { dir: None };
        assert_eq!(d.value("uuid", "").unwrap().len(), 36);
        let n: i64 = d.value("randomInt", "5 7").unwrap().parse().unwrap();
        assert!((5..7).contains(&n));
        let n: i64 = d
            .value("random.integer", "(1, 3)")
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..3).contains(&n));
        assert!(d.value("randomInt", "9 2").is_err());
        assert!(d.value("timestamp", "").unwrap().parse::<i64>().unwrap() > 1_700_000_000);
        assert!(d.value("nope", "").unwrap_err().contains("$uuid"));
        assert!(d.value("processEnv", "VAULTLINK_SURELY_UNSET_VAR").is_err());
    }
}
