//! Connecting from `ROCKETCHAT_*` environment variables, the one way the examples, the CLI and
//! most bots are configured.
//!
//! | Variable | Meaning |
//! |---|---|
//! | `ROCKETCHAT_URL` | the server's address (required) |
//! | `ROCKETCHAT_USER_ID` + `ROCKETCHAT_AUTH_TOKEN` | a personal access token or a session token |
//! | `ROCKETCHAT_USER` + `ROCKETCHAT_PASSWORD` | a password login (`ROCKETCHAT_2FA_CODE` adds a second factor) |
//!
//! | `ROCKETCHAT_ALLOW_INSECURE_HTTP` | `1` allows plain `http://` to a host that is not loopback (e.g. `http://rocketchat:3000` in a compose network); the token then travels in clear, and a warning is logged |
//!
//! Exactly one of the two credential pairs must be set. Empty values count as unset.

use crate::auth::LoginError;
use crate::client::{Client, ClientBuilder, PendingLogin};
use crate::error::Error;
use crate::session::Credentials;

const URL: &str = "ROCKETCHAT_URL";
const USER_ID: &str = "ROCKETCHAT_USER_ID";
const AUTH_TOKEN: &str = "ROCKETCHAT_AUTH_TOKEN";
const USER: &str = "ROCKETCHAT_USER";
const PASSWORD: &str = "ROCKETCHAT_PASSWORD";
const TWO_FACTOR_CODE: &str = "ROCKETCHAT_2FA_CODE";
const ALLOW_INSECURE_HTTP: &str = "ROCKETCHAT_ALLOW_INSECURE_HTTP";
/// Where a pending password login came from, for the builder's error messages.
const PASSWORD_SOURCE: &str = "ROCKETCHAT_USER + ROCKETCHAT_PASSWORD";

impl ClientBuilder {
    /// A builder configured from the process environment (see the table in the crate's
    /// README): the base URL, and either token credentials or a password login that
    /// [`ClientBuilder::connect`] performs. Further settings can be chained before connecting.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) naming every variable that
    /// is missing, or the ones that contradict each other (both credential pairs, half of a
    /// pair, a two-factor code without a password).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), rocketchat_omnichannel::Error> {
    /// use std::time::Duration;
    /// use rocketchat_omnichannel::ClientBuilder;
    ///
    /// let client = ClientBuilder::from_env()?
    ///     .timeout(Duration::from_secs(10))
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ClientBuilder::from_env`], with the variables read through `lookup` instead of
    /// the process environment (a configuration file, a secret store, or a test).
    ///
    /// # Errors
    /// As [`ClientBuilder::from_env`].
    ///
    /// ```
    /// use rocketchat_omnichannel::ClientBuilder;
    ///
    /// let vars = [
    ///     ("ROCKETCHAT_URL", "https://chat.example.com"),
    ///     ("ROCKETCHAT_USER_ID", "bot-id"),
    ///     ("ROCKETCHAT_AUTH_TOKEN", "pat"),
    /// ];
    /// let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    /// let client = ClientBuilder::from_lookup(lookup)?.build()?;
    /// assert!(client.is_authenticated());
    ///
    /// let error = ClientBuilder::from_lookup(|_| None).unwrap_err();
    /// assert!(error.to_string().contains("ROCKETCHAT_URL"));
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let url = get(URL);
        let user_id = get(USER_ID);
        let token = get(AUTH_TOKEN);
        let user = get(USER);
        let password = get(PASSWORD);
        let code = get(TWO_FACTOR_CODE);
        let insecure = get(ALLOW_INSECURE_HTTP);

        let mut problems = Vec::new();
        if url.is_none() {
            problems.push(format!("{URL} is not set"));
        }
        let token_pair = user_id.is_some() || token.is_some();
        let password_pair = user.is_some() || password.is_some();
        match (token_pair, password_pair) {
            (true, true) => {
                let complete = |a: &Option<String>, b: &Option<String>| a.is_some() && b.is_some();
                if complete(&user_id, &token) && complete(&user, &password) {
                    problems.push(format!(
                        "set either {USER_ID} + {AUTH_TOKEN} or {USER} + {PASSWORD}, not both"
                    ));
                } else {
                    // Halves of both pairs (say a user id and a password): name what each
                    // half lacks, so the fix is obvious whichever pair was meant.
                    for (set, missing) in [
                        ((USER_ID, &user_id), (AUTH_TOKEN, &token)),
                        ((AUTH_TOKEN, &token), (USER_ID, &user_id)),
                        ((USER, &user), (PASSWORD, &password)),
                        ((PASSWORD, &password), (USER, &user)),
                    ] {
                        if set.1.is_some() && missing.1.is_none() {
                            problems.push(format!("{} is set but {} is not", set.0, missing.0));
                        }
                    }
                    problems.push(format!(
                        "set one complete pair: {USER_ID} + {AUTH_TOKEN} or {USER} + {PASSWORD}"
                    ));
                }
            }
            (false, false) => problems.push(format!(
                "no credentials: set {USER_ID} + {AUTH_TOKEN} (a personal access token) or {USER} + {PASSWORD}"
            )),
            (true, false) => {
                for (name, value) in [(USER_ID, &user_id), (AUTH_TOKEN, &token)] {
                    if value.is_none() {
                        problems.push(format!("{name} is not set"));
                    }
                }
                if code.is_some() {
                    problems.push(format!(
                        "{TWO_FACTOR_CODE} is only used with {USER} + {PASSWORD}"
                    ));
                }
            }
            (false, true) => {
                for (name, value) in [(USER, &user), (PASSWORD, &password)] {
                    if value.is_none() {
                        problems.push(format!("{name} is not set"));
                    }
                }
            }
        }
        let allow_insecure_http = match insecure.as_deref().map(str::trim) {
            None => false,
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(_) => {
                problems.push(format!("{ALLOW_INSECURE_HTTP} must be 1 or 0"));
                false
            }
        };
        if !problems.is_empty() {
            return Err(Error::configuration(format!(
                "cannot connect from the environment: {}",
                problems.join("; ")
            )));
        }

        let mut builder =
            Client::builder(url.unwrap_or_default()).allow_insecure_http(allow_insecure_http);
        if let (Some(user_id), Some(token)) = (user_id, token) {
            builder = builder.credentials(Credentials::token(user_id, token));
        }
        if let (Some(user), Some(password)) = (user, password) {
            builder.pending_login = Some(PendingLogin {
                user,
                password: password.into(),
                code: code.map(Into::into),
                source: PASSWORD_SOURCE,
            });
        }
        Ok(builder)
    }

    /// Builds the client and performs the password login that
    /// [`ClientBuilder::from_env`] read, if any. For a builder with token credentials or
    /// none, this is [`ClientBuilder::build`]. A builder that has both (credentials restored
    /// from a [`CredentialsFile`](crate::CredentialsFile) on top of a password from the
    /// environment) checks the restored token first (`GET /me`) and logs in with the
    /// password only when the server refuses it.
    ///
    /// # Errors
    /// What [`ClientBuilder::build`] reports, and a failed login as the crate [`Error`]
    /// (a wrong password, a wrong two-factor code, an unreachable server). A login that
    /// needs a second factor but has none is a configuration error that says to set
    /// `ROCKETCHAT_2FA_CODE` and lists the methods the server offers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rocketchat_omnichannel::ClientBuilder;
    /// use rocketchat_omnichannel::testing::FakeRocketChat;
    ///
    /// let fake = FakeRocketChat::start().await;
    /// fake.add_agent("agent1", "secret");
    /// let url = fake.uri();
    /// let vars = [("ROCKETCHAT_URL", url.as_str()), ("ROCKETCHAT_USER", "agent1"), ("ROCKETCHAT_PASSWORD", "secret")];
    /// let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    /// let client = ClientBuilder::from_lookup(lookup)?.connect().await?;
    /// assert!(client.is_authenticated());
    /// # Ok(()) }
    /// ```
    pub async fn connect(mut self) -> Result<Client, Error> {
        let pending = self.pending_login.take();
        let restored = self.has_credentials();
        let client = self.build()?;
        if let Some(PendingLogin {
            user,
            password,
            code,
            ..
        }) = pending
        {
            // Credentials restored from a file come first; a token the server no longer
            // accepts falls back to the password login rather than failing the start.
            if restored {
                match client.me().await {
                    Ok(_) => return Ok(client),
                    Err(error) if error.status().is_some_and(|s| s.as_u16() == 401) => {
                        tracing::info!(
                            "the restored token was refused; logging in with the password"
                        );
                    }
                    Err(error) => return Err(error),
                }
            }
            let mut login = client.login(user, password);
            if let Some(code) = code {
                login = login.two_factor_code(code);
            }
            match login.await {
                Ok(_) => {}
                Err(error @ LoginError::TwoFactorRequired { .. }) => {
                    let methods = error
                        .two_factor_challenge()
                        .and_then(Result::ok)
                        .map(|challenge| challenge.available_methods)
                        .unwrap_or_default();
                    return Err(Error::configuration(format!(
                        "{error}; set {TWO_FACTOR_CODE} (the server offers {methods:?})"
                    )));
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder, Error> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ClientBuilder::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        })
    }

    fn message(vars: &[(&str, &str)]) -> String {
        let error = from(vars).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::Configuration { .. }));
        error.to_string()
    }

    const BASE: (&str, &str) = (URL, "https://chat.example.com");

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let text = message(&[]);
        assert!(
            text.contains(URL) && text.contains("no credentials"),
            "{text}"
        );
        let text = message(&[BASE, (USER_ID, "u")]);
        assert!(text.contains(&format!("{AUTH_TOKEN} is not set")), "{text}");
        let text = message(&[BASE, (PASSWORD, "p")]);
        assert!(text.contains(&format!("{USER} is not set")), "{text}");
    }

    #[test]
    fn contradictions_are_refused() {
        let text = message(&[
            BASE,
            (USER_ID, "u"),
            (AUTH_TOKEN, "t"),
            (USER, "a"),
            (PASSWORD, "p"),
        ]);
        assert!(text.contains("not both"), "{text}");
        let text = message(&[
            BASE,
            (USER_ID, "u"),
            (AUTH_TOKEN, "t"),
            (TWO_FACTOR_CODE, "1"),
        ]);
        assert!(text.contains(TWO_FACTOR_CODE), "{text}");
    }

    #[test]
    fn halves_of_both_pairs_name_what_is_missing() {
        let text = message(&[BASE, (USER_ID, "u"), (PASSWORD, "p")]);
        assert!(!text.contains("not both"), "{text}");
        assert!(
            text.contains(&format!("{USER_ID} is set but {AUTH_TOKEN} is not")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{PASSWORD} is set but {USER} is not")),
            "{text}"
        );
    }

    #[test]
    fn plain_http_to_another_host_needs_the_opt_in() {
        let vars = [
            (URL, "http://rocketchat:3000"),
            (USER_ID, "u"),
            (AUTH_TOKEN, "t"),
        ];
        let error = from(&vars).unwrap().build().unwrap_err();
        assert!(error.to_string().contains("plain http"), "{error}");
        let mut allowed = vars.to_vec();
        allowed.push((ALLOW_INSECURE_HTTP, "1"));
        let client = from(&allowed).unwrap().build().unwrap();
        assert_eq!(client.api_base(), "http://rocketchat:3000/api/v1/");
        allowed.pop();
        allowed.push((ALLOW_INSECURE_HTTP, "0"));
        assert!(from(&allowed).unwrap().build().is_err());
        allowed.pop();
        allowed.push((ALLOW_INSECURE_HTTP, "maybe"));
        assert!(message(&allowed).contains(ALLOW_INSECURE_HTTP));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let text = message(&[BASE, (USER_ID, "u"), (AUTH_TOKEN, "  ")]);
        assert!(text.contains(AUTH_TOKEN), "{text}");
    }

    #[test]
    fn a_token_pair_builds_at_once_and_a_password_waits_for_connect() {
        let client = from(&[BASE, (USER_ID, "u"), (AUTH_TOKEN, "t")])
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(client.credentials().unwrap().user_id(), "u");

        let builder = from(&[
            BASE,
            (USER, "agent"),
            (PASSWORD, "hunter2"),
            (TWO_FACTOR_CODE, "123456"),
        ])
        .unwrap();
        let debug = format!("{builder:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("123456"),
            "{debug}"
        );
        let error = builder.build().unwrap_err();
        assert!(error.to_string().contains("connect()"), "{error}");
        assert!(!error.to_string().contains("hunter2"));
    }
}
