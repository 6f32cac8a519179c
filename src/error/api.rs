//! [`ApiError`]: a server's error answer, kept whole but shown only as an excerpt.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;

use super::DISPLAY_LIMIT;
use crate::rate_limit::RateLimit;

/// The route a request went to and the first server version that has it, kept with an
/// error answer so a missing route can be explained.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Endpoint {
    pub(crate) path: &'static str,
    pub(crate) since: Option<&'static str>,
    /// For a 404 that is not Rocket.Chat's JSON: whether the server's version (from
    /// `/api/info`) is older than `since`; `None` when unknown or not asked.
    pub(crate) server_older: Option<bool>,
}

/// The permission each route checks, from `permissionsRequired` in
/// `apps/meteor/app/livechat/server/api/v1/contact.ts` (RocketChat/Rocket.Chat, develop as
/// read in December 2026). Each is held by admin, livechat-manager, livechat-monitor and
/// livechat-agent by default, `delete-livechat-contact` by admin and livechat-manager only
/// (`apps/meteor/app/authorization/server/constant/permissions.ts` at 014c0860).
pub(crate) fn route_permission(path: &str) -> Option<&'static str> {
    Some(match path {
        "omnichannel/contacts.conflicts" | "omnichannel/contacts.update" => {
            "update-livechat-contact"
        }
        "omnichannel/contacts.get"
        | "omnichannel/contacts.search"
        | "omnichannel/contacts.checkExistence"
        | "omnichannel/contacts.channels" => "view-livechat-contact",
        "omnichannel/contacts.history" => "view-livechat-contact-history",
        "omnichannel/contacts" => "create-livechat-contact",
        "omnichannel/contacts.delete" => "delete-livechat-contact",
        _ => return None,
    })
}

/// What Restivus-era servers (Rocket.Chat up to 6.x) put in the 404 for a route they do not
/// have: `{"status":"error","message":"API endpoint does not exist"}` (reported in
/// RocketChat/Rocket.Chat issues #9358 and #19354). Newer servers (`apps/meteor/app/api/server/api.ts`
/// and `router.ts`) register no catch-all for `/api/v1/`, so an unknown route falls through
/// to the web app and comes back as a non-JSON page, handled by
/// [`ApiError::foreign_message`].
const RESTIVUS_MISSING_ROUTE: &str = "API endpoint does not exist";

/// An error answer from the server (any non-2xx status), kept whole: the status, the
/// rate-limit headers, the fields Rocket.Chat puts in error bodies, and the raw body.
///
/// It is one pointer wide, so the typed error enums that carry it stay small.
#[derive(Clone)]
pub struct ApiError {
    inner: Box<ApiErrorInner>,
}

#[derive(Clone)]
struct ApiErrorInner {
    status: StatusCode,
    body: Bytes,
    fields: Option<ErrorBody>,
    rate_limit: Option<RateLimit>,
    /// Worked out once, when the answer arrived, so it does not drift with "now".
    retry_at: Option<SystemTime>,
    endpoint: Option<Endpoint>,
}

/// The fields Rocket.Chat puts in error bodies. Every field is optional, and `error` may
/// (rarely) be a number, so it is read leniently.
#[derive(Clone, Debug, Deserialize)]
struct ErrorBody {
    #[serde(default, deserialize_with = "lenient_string")]
    error: Option<String>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    details: Option<serde_json::Value>,
    #[serde(default)]
    success: Option<bool>,
}

fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    })
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, rate_limit: Option<RateLimit>, body: Bytes) -> Self {
        let fields = serde_json::from_slice::<ErrorBody>(&body).ok();
        let retry_at = rate_limit.and_then(|l| l.reset_at()).or_else(|| {
            let seconds = wait_seconds_in(fields.as_ref()?.error.as_deref()?)?;
            SystemTime::now().checked_add(Duration::from_secs(seconds))
        });
        Self {
            inner: Box::new(ApiErrorInner {
                status,
                rate_limit,
                fields,
                body,
                retry_at,
                endpoint: None,
            }),
        }
    }

    /// The permission Rocket.Chat checks on the route that answered (as its
    /// `permissionsRequired` names it), when the SDK knows it. A 403 body never names it
    /// (`ApiClass.ts` keeps it out of the answer), so this is where a person finds what to
    /// grant.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(403, "{}");
    /// // Known only for an answer from a route the SDK called.
    /// assert_eq!(api.permission(), None);
    /// ```
    pub fn permission(&self) -> Option<&'static str> {
        route_permission(self.inner.endpoint.as_ref()?.path)
    }

    /// Remembers which route answered, for the "route missing" explanation.
    pub(crate) fn with_endpoint(mut self, endpoint: Option<Endpoint>) -> Self {
        self.inner.endpoint = endpoint;
        self
    }

    /// Builds an error answer by hand, for tests of code that handles SDK errors.
    ///
    /// ```
    /// use rocketchat_omnichannel::ApiError;
    ///
    /// let api = ApiError::from_parts(400, r#"{"success":false,"error":"error-contact-not-found"}"#);
    /// assert_eq!(api.error(), Some("error-contact-not-found"));
    /// ```
    pub fn from_parts(status: u16, body: impl Into<Bytes>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, None, body.into())
    }

    /// The HTTP status.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(403, "{}");
    /// assert_eq!(api.status().as_u16(), 403);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The raw body exactly as received.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(502, "<html>bad gateway</html>");
    /// assert!(api.body().starts_with(b"<html>"));
    /// ```
    pub fn body(&self) -> &Bytes {
        &self.inner.body
    }

    /// The body as text, with invalid UTF-8 replaced.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(502, "bad gateway");
    /// assert_eq!(api.body_text(), "bad gateway");
    /// ```
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.inner.body)
    }

    /// The body's `error` field: a code such as `error-contact-not-found`, or a message that
    /// ends in `[code]`.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(400, r#"{"error":"error-contact-has-no-conflicts"}"#);
    /// assert_eq!(api.error(), Some("error-contact-has-no-conflicts"));
    /// ```
    pub fn error(&self) -> Option<&str> {
        self.fields()?.error.as_deref()
    }

    /// The body's `errorType` field (`invalid-params`, `totp-required`, …).
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(400, r#"{"error":"x [invalid-params]","errorType":"invalid-params"}"#);
    /// assert_eq!(api.error_type(), Some("invalid-params"));
    /// ```
    pub fn error_type(&self) -> Option<&str> {
        self.fields()?.error_type.as_deref()
    }

    /// The machine-readable code of the error, wherever the server put it: `errorType`, else
    /// the `[code]` at the end of `error`, else `error` itself when it is one word
    /// (`error-contact-not-found`). Lets a program match on one string whatever the route.
    ///
    /// ```
    /// use rocketchat_omnichannel::ApiError;
    /// let typed = ApiError::from_parts(400, r#"{"error":"bad [invalid-params]","errorType":"invalid-params"}"#);
    /// let suffixed = ApiError::from_parts(403, r#"{"error":"User does not have the permissions required for this action [error-unauthorized]"}"#);
    /// let bare = ApiError::from_parts(400, r#"{"error":"error-contact-not-found"}"#);
    /// assert_eq!(typed.code(), Some("invalid-params"));
    /// assert_eq!(suffixed.code(), Some("error-unauthorized"));
    /// assert_eq!(bare.code(), Some("error-contact-not-found"));
    /// assert_eq!(ApiError::from_parts(400, r#"{"error":"Something went wrong"}"#).code(), None);
    /// ```
    pub fn code(&self) -> Option<&str> {
        if let Some(error_type) = self.error_type() {
            return Some(error_type);
        }
        let error = self.error()?.trim();
        if let Some(inner) = error.strip_suffix(']')
            && let Some(open) = inner.rfind(" [")
        {
            return Some(&inner[open + 2..]);
        }
        (!error.is_empty() && !error.contains(char::is_whitespace)).then_some(error)
    }

    /// The body's `message` field, sent by login and 401 answers.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(401, r#"{"message":"TOTP Required"}"#);
    /// assert_eq!(api.message(), Some("TOTP Required"));
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.fields()?.message.as_deref()
    }

    /// The body's `details` field (two-factor challenges put the methods here).
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(401, r#"{"details":{"method":"totp"}}"#);
    /// assert_eq!(api.details().unwrap()["method"], "totp");
    /// ```
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.fields()?.details.as_ref()
    }

    /// The human reason: `error` without its trailing ` [code]`, else `message`.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(400, r#"{"error":"must have required property 'contactId' [invalid-params]"}"#);
    /// assert_eq!(api.reason(), Some("must have required property 'contactId'"));
    /// ```
    pub fn reason(&self) -> Option<&str> {
        let text = self.error().or_else(|| self.message())?;
        Some(strip_code_suffix(text))
    }

    /// The rate-limit headers of the answer, when the server's limiter is on.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(429, "{}");
    /// assert!(api.rate_limit().is_none());
    /// ```
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.inner.rate_limit.as_ref()
    }

    /// When a rate-limited request may be sent again, on this machine's clock: from
    /// `X-RateLimit-Reset` corrected for clock skew (see [`RateLimit::reset_at`]), else from
    /// the "wait N seconds" in the message. Worked out once, when the answer arrived.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(429, r#"{"error":"You must wait 3 seconds before trying this endpoint again."}"#);
    /// assert!(api.retry_at().is_some());
    /// assert_eq!(api.retry_at(), api.retry_at());
    /// ```
    pub fn retry_at(&self) -> Option<SystemTime> {
        self.inner.retry_at
    }

    /// Whether the same request may succeed later: 429 and 502–504.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(503, "");
    /// assert!(api.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(self.status().as_u16(), 429 | 502..=504)
    }

    /// True when the body is a Rocket.Chat JSON error: every error the API class builds has
    /// `success:false` (`failure`, `unauthorized`, `forbidden`, `notFound`,
    /// `tooManyRequests` in `apps/meteor/app/api/server/api.ts`), and older Restivus answers
    /// have `status:"error"`. A proxy's JSON (`{"message":"Too Many Requests"}`) and HTML
    /// pages are not.
    pub(crate) fn is_rocketchat_error(&self) -> bool {
        self.fields()
            .is_some_and(|f| f.success == Some(false) || f.status.as_deref() == Some("error"))
    }

    /// The route and the version that added it, when this answer says the server does not
    /// have the route (see [`RESTIVUS_MISSING_ROUTE`]).
    pub(crate) fn missing_endpoint(&self) -> Option<(&'static str, &'static str)> {
        let endpoint = self.inner.endpoint?;
        if self.status() != StatusCode::NOT_FOUND {
            return None;
        }
        // Servers up to 6.x (Restivus) said so in JSON; current ones answer in plain text,
        // and the client has compared the server's version with the route's.
        let restivus = self.fields().is_some_and(|f| {
            f.status.as_deref() == Some("error")
                && f.message.as_deref() == Some(RESTIVUS_MISSING_ROUTE)
        });
        let older = !self.is_rocketchat_error() && endpoint.server_older == Some(true);
        (restivus || older).then_some((endpoint.path, endpoint.since?))
    }

    /// The message for a body that is not a Rocket.Chat API answer.
    pub(crate) fn foreign_message(&self) -> String {
        let mut message = format!(
            "the {} answer did not come from Rocket.Chat's API (an HTML page or another \
             foreign body): check the base URL and any proxy in between",
            self.status()
        );
        // Only a 404 can mean a missing route, and not when the server is known to have it.
        if let Some(Endpoint {
            path,
            since: Some(since),
            server_older: None,
        }) = self.inner.endpoint
            && self.status() == StatusCode::NOT_FOUND
        {
            message.push_str(&format!(
                "; if the base URL is right, the server may be older than {since}, which added `{path}`"
            ));
        }
        message.push_str(": ");
        message.push_str(&self.body_excerpt());
        message
    }

    fn fields(&self) -> Option<&ErrorBody> {
        self.inner.fields.as_ref()
    }

    pub(crate) fn body_excerpt(&self) -> String {
        excerpt_with_length(&self.inner.body)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.inner.status)
            .field("error", &self.error())
            .field("error_type", &self.error_type())
            .field("rate_limit", &self.inner.rate_limit)
            .field("body", &self.body_excerpt())
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A 401 to the login itself is the first error most people meet, and its body says
        // only "Unauthorized": name the likely cause.
        if self.status() == StatusCode::UNAUTHORIZED
            && self.inner.endpoint.is_some_and(|e| e.path == "login")
            && self.error_type().is_none()
        {
            f.write_str("login refused: check the user name and password (or the resume token); ")?;
        } else if self.status() == StatusCode::UNAUTHORIZED && self.is_rocketchat_error() {
            f.write_str("not authenticated: log in again or check the user id and token; ")?;
        } else if self.status() == StatusCode::FORBIDDEN && self.is_rocketchat_error() {
            // The body never says which permission was missing.
            match self.permission() {
                Some(permission) => write!(
                    f,
                    "permission denied: the route needs `{permission}`, which none of the \
                     user's roles holds; "
                )?,
                None => f.write_str(
                    "permission denied: the user lacks the permission this call needs; ",
                )?,
            }
        }
        write!(f, "server answered {}", self.status())?;
        if let Some(kind) = self.error_type() {
            write!(f, " ({kind})")?;
        }
        match self.error().or_else(|| self.message()) {
            Some(text) => write!(f, ": {}", excerpt(text)),
            None => write!(f, ": {}", self.body_excerpt()),
        }
    }
}

impl StdError for ApiError {}

/// The start of a body and its length, e.g. `<html>… (52311 bytes)`.
pub(crate) fn excerpt_with_length(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    // Only the start is decoded: a huge body is never copied whole.
    let head = &body[..body.len().min(DISPLAY_LIMIT * 4)];
    let text = excerpt(&String::from_utf8_lossy(head));
    if text.len() < body.len() {
        format!("{text} ({} bytes)", body.len())
    } else {
        text
    }
}

/// Text for a one-line message: an HTML page as `HTML page: ` and its title (or its first
/// words without markup), every run of white space as one space, cut to [`DISPLAY_LIMIT`]
/// characters on a character boundary. The whole body stays in [`ApiError::body`].
fn excerpt(text: &str) -> String {
    let text = text.trim();
    let html = html_words(text);
    let text = html.as_deref().unwrap_or(text);
    let mut line = String::with_capacity(text.len().min(DISPLAY_LIMIT * 4));
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(word);
    }
    match line.char_indices().nth(DISPLAY_LIMIT) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// For what looks like an HTML page (a proxy's error page, the web app answering an API
/// path): `HTML page: ` and the title, or the first words of its text without the markup.
fn html_words(text: &str) -> Option<String> {
    let head = text
        .char_indices()
        .nth(64)
        .map_or(text, |(cut, _)| &text[..cut]);
    let lower = head.to_ascii_lowercase();
    if !(lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<head"))
    {
        return None;
    }
    let lower_all = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower_all.find("<title>"), lower_all.find("</title>"))
        && start + 7 <= end
        && let Some(title) = text.get(start + 7..end)
        && !title.trim().is_empty()
    {
        return Some(format!("HTML page: {}", title.trim()));
    }
    // The text between tags, scripts and styles left out.
    let mut words = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        words.push_str(&rest[..open]);
        words.push(' ');
        let tag = rest[open..].to_ascii_lowercase();
        let skip_to = ["<script", "<style"]
            .iter()
            .find(|t| tag.starts_with(*t))
            .and_then(|t| tag.find(&format!("</{}", &t[1..])));
        let after = match skip_to {
            Some(close) => open + close,
            None => open,
        };
        match rest[after..].find('>') {
            Some(close) => rest = &rest[after + close + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    words.push_str(rest);
    Some(format!("HTML page: {}", words.trim()))
}

/// `"must be object [invalid-params]"` → `"must be object"`.
fn strip_code_suffix(text: &str) -> &str {
    let trimmed = text.trim_end();
    if trimmed.ends_with(']')
        && let Some(open) = trimmed.rfind(" [")
    {
        return &trimmed[..open];
    }
    trimmed
}

/// Reads `N` from Rocket.Chat's "You must wait N seconds before trying this endpoint again".
pub(crate) fn wait_seconds_in(text: &str) -> Option<u64> {
    let rest = &text[text.find("wait ")? + 5..];
    let digits: &str = &rest[..rest.find(|c: char| !c.is_ascii_digit())?];
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_code_suffix() {
        assert_eq!(
            strip_code_suffix("must be object [invalid-params]"),
            "must be object"
        );
        assert_eq!(
            strip_code_suffix("error-contact-not-found"),
            "error-contact-not-found"
        );
    }

    #[test]
    fn reads_wait_seconds() {
        let text = "Error, too many requests. Please slow down. You must wait 42 seconds before \
                    trying this endpoint again. [error-too-many-requests]";
        assert_eq!(wait_seconds_in(text), Some(42));
        assert_eq!(wait_seconds_in("nothing here"), None);
    }

    #[test]
    fn an_absurd_wait_does_not_overflow() {
        let api = ApiError::from_parts(
            429,
            r#"{"error":"You must wait 18446744073709551615 seconds before trying again"}"#,
        );
        assert_eq!(api.retry_at(), None);
    }

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let long = "é".repeat(500);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), DISPLAY_LIMIT + 1);
    }

    #[test]
    fn debug_and_display_show_an_excerpt_and_the_length() {
        let body = format!("<html>{}</html>", "a".repeat(5_000_000));
        let api = ApiError::from_parts(502, body.clone());
        for text in [format!("{api:?}"), api.to_string()] {
            assert!(text.len() < 1000, "{} characters", text.len());
            assert!(text.contains(&format!("{} bytes", body.len())), "{text}");
        }
    }

    #[test]
    fn numeric_error_code_is_read_leniently() {
        let api = ApiError::from_parts(401, r#"{"success":false,"error":403}"#);
        assert_eq!(api.error(), Some("403"));
    }

    #[test]
    fn a_proxy_json_body_is_not_a_rocketchat_error() {
        assert!(
            !ApiError::from_parts(429, r#"{"message":"API rate limit exceeded"}"#)
                .is_rocketchat_error()
        );
        assert!(
            ApiError::from_parts(
                401,
                r#"{"status":"error","message":"You must be logged in to do this."}"#
            )
            .is_rocketchat_error()
        );
        assert!(
            ApiError::from_parts(400, r#"{"success":false,"error":"x"}"#).is_rocketchat_error()
        );
    }
}
