//! Telling transport failures apart, because only some are worth retrying.

use std::error::Error as StdError;
use std::io;

/// Why a request failed below HTTP. reqwest only says "connect error" or "request error";
/// the cause sits deeper in the source chain (hyper-util's connector, the resolver, the TLS
/// library), reached as `std::io::Error` kinds or, for DNS and TLS, only as messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportCause {
    /// No answer in time.
    Timeout,
    /// The name did not resolve: a typo in the base URL, not a passing fault.
    HostNotFound,
    /// Handshake or certificate failure: retrying cannot fix it.
    Tls,
    /// The connection was refused: the server never saw the request.
    Refused,
    /// Reset, closed early, or not HTTP: the request may have been processed.
    Broken,
}

impl TransportCause {
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            return Self::Timeout;
        }
        let mut io_kind = None;
        let mut source: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(current) = source {
            let text = current.to_string().to_ascii_lowercase();
            if is_dns_message(&text) {
                return Self::HostNotFound;
            }
            if is_tls_message(&text) {
                return Self::Tls;
            }
            if let Some(io) = current.downcast_ref::<io::Error>() {
                io_kind.get_or_insert(io.kind());
            }
            source = current.source();
        }
        match io_kind {
            Some(io::ErrorKind::TimedOut) => Self::Timeout,
            Some(io::ErrorKind::ConnectionRefused) => Self::Refused,
            _ => Self::Broken,
        }
    }
}

/// hyper-util's resolver reports "dns error"; getaddrinfo and the system resolvers add
/// their own words.
fn is_dns_message(text: &str) -> bool {
    [
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
        "nodename nor servname",
        "temporary failure in name resolution",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// rustls and native-tls messages for handshake and certificate failures.
fn is_tls_message(text: &str) -> bool {
    [
        "certificate",
        "tls handshake",
        "handshake failure",
        "invalid peer",
        "received corrupt message",
        "invalidcontenttype",
        "wrong version number",
        "ssl",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_and_tls_messages_are_recognised() {
        assert!(is_dns_message(
            "dns error: failed to lookup address information"
        ));
        assert!(!is_dns_message("connection refused"));
        assert!(is_tls_message("invalid peer certificate: unknownissuer"));
        assert!(is_tls_message(
            "received corrupt message of type invalidcontenttype"
        ));
        assert!(!is_tls_message("connection reset by peer"));
    }
}
