//! `vaultlink.signIn` `{"method"?, "uri"?}`, `vaultlink.signOut` and `vaultlink.refresh`:
//! the stores' sign-in and their cached answers.

use serde_json::{Value, json};

use crate::azure::Method;
use crate::lsp::error::{Error, Result};
use crate::lsp::from_proto::str_arg;
use crate::lsp::global::GlobalState;

/// The arguments of `vaultlink.signIn`: a method (`None` for `auto`) and a document whose
/// links file holds the sign-in settings.
pub struct SignInArgs {
    pub method: Option<Method>,
    pub uri: Option<String>,
}

impl SignInArgs {
    pub fn decode(args: &Value) -> Result<SignInArgs> {
        let method = match str_arg(args, "method") {
            None | Some("auto") => None,
            Some(m) => Some(Method::parse(m).ok_or_else(|| {
                Error::invalid(format!(
                    "unknown sign-in method `{m}`: use browser, device-code, azure-cli or environment"
                ))
            })?),
        };
        Ok(SignInArgs {
            method,
            uri: str_arg(args, "uri").map(str::to_owned),
        })
    }
}

pub async fn sign_in(global: GlobalState, args: Value) -> Result<Option<Value>> {
    let args = SignInArgs::decode(&args)?;
    let status = global
        .sign_in(args.method, args.uri)
        .await
        .map_err(Error::failed)?;
    Ok(Some(json!({
        "signedIn": true,
        "account": status.account,
        "method": status.method.map(Method::as_str),
    })))
}

pub async fn sign_out(global: GlobalState, _: Value) -> Result<Option<Value>> {
    global.state.providers.azure.sign_out().await;
    global.state.providers.aws.sign_out();
    *global.offered_sign_in.lock().unwrap() = false;
    global.announce_sign_in().await;
    global.recheck_open(None);
    Ok(Some(json!({ "signedIn": false })))
}

pub async fn refresh(global: GlobalState, _: Value) -> Result<Option<Value>> {
    global.state.providers.azure.clear_cache();
    global.state.providers.aws.clear_cache();
    // A sign-in made outside the editor since it started (`aws sso login`, `az login` in a
    // terminal) is picked up here, without a reload.
    global.sign_in_quietly().await;
    global.recheck_open(None);
    Ok(Some(json!({ "refreshed": true })))
}
