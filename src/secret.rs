//! A string that never shows itself in `Debug` or `Display`.

use std::fmt;

use serde::Deserialize;

/// A secret (password, auth token, two-factor code). `Debug` and `Display` print
/// `<redacted>`; reading the value takes an explicit [`SecretString::expose`] call, so a
/// leak is visible in review.
///
/// ```
/// use rocketchat_omnichannel::SecretString;
///
/// let token = SecretString::from("s3cr3t");
/// assert_eq!(format!("{token:?}"), "<redacted>");
/// assert_eq!(token.to_string(), "<redacted>");
/// assert_eq!(token.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Box<str>);

impl SecretString {
    /// Wraps a secret.
    ///
    /// ```
    /// let s = rocketchat_omnichannel::SecretString::new("hunter2");
    /// # assert_eq!(s.expose(), "hunter2");
    /// ```
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into().into_boxed_str())
    }

    /// The secret itself. Call it only where the value must leave the program (a header,
    /// a login body, a keyring).
    ///
    /// ```
    /// let s = rocketchat_omnichannel::SecretString::new("hunter2");
    /// assert_eq!(s.expose().len(), 7);
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(secret: String) -> Self {
        Self::new(secret)
    }
}

impl From<&str> for SecretString {
    fn from(secret: &str) -> Self {
        Self::new(secret)
    }
}

/// Tokens arrive in login answers; reading one never copies it anywhere but the secret.
impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
