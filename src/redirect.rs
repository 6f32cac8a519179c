//! Redirects: followed only within the same origin, so credentials never leave it.

/// How many same-origin redirects one call may follow.
const MAX_SAME_ORIGIN_REDIRECTS: usize = 5;

/// A redirect policy that follows at most five redirects and only within the same origin
/// (scheme, host and port). reqwest's default policy strips `Authorization` and cookies on
/// a cross-host redirect but forwards `X-Auth-Token` and `X-User-Id`; with this policy a
/// redirect elsewhere is not followed and comes back as an unexpected 3xx answer.
///
/// The default client uses it; pass it to your own `reqwest::ClientBuilder` when you use
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client).
///
/// ```
/// let http = reqwest::Client::builder()
///     .redirect(rocketchat_omnichannel::redirect_policy())
///     .build()?;
/// # Ok::<(), reqwest::Error>(())
/// ```
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            tracing::warn!("not following a redirect to another origin");
            attempt.stop()
        } else if attempt.previous().len() > MAX_SAME_ORIGIN_REDIRECTS {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}
