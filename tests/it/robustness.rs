//! Broken servers: lying lengths, endless bodies, stalls, resets, garbage, non-UTF-8. Every
//! call ends with a typed error within its timeout, never a panic or a hang.

use std::time::{Duration, Instant};

use crate::common::raw_server::{answer, start, write};
use rocketchat_omnichannel::{Client, Credentials, ErrorKind, ResolveConflictsError};
use tokio::io::AsyncWriteExt;

/// How long a stalling server holds its connection: far beyond the client's timeout.
const STALL: Duration = Duration::from_secs(120);

fn client(uri: &str) -> Client {
    Client::builder(uri)
        .credentials(Credentials::token("u", "t"))
        .timeout(Duration::from_millis(500))
        .max_response_size(64 * 1024)
        .build()
        .unwrap()
}

async fn kind_of(uri: &str) -> ErrorKind {
    let started = Instant::now();
    let error = client(uri)
        .resolve_contact_conflicts("c1")
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    // The timeout is 500 ms and every stalling server below waits two minutes: ending far
    // sooner proves the timeout fired, with room for a slow timer on a loaded machine.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "ended within its timeout: {:?}",
        started.elapsed()
    );
    match error {
        ResolveConflictsError::Other(error) => error.into_parts().0,
        other => panic!("expected Other, got {other:?}"),
    }
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_cap() {
    let uri = start(|mut stream| async move {
        write(&mut stream, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n").await;
        let chunk = format!("{:x}\r\n{}\r\n", 8192, "x".repeat(8192));
        for _ in 0..10_000 {
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    assert!(matches!(
        kind_of(&uri).await,
        ErrorKind::ResponseTooLarge { limit: 65536 }
    ));
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let uri = start(|mut stream| async move {
        write(&mut stream, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 999999999\r\n\r\n{").await;
        tokio::time::sleep(STALL).await;
    })
    .await;
    assert!(matches!(
        kind_of(&uri).await,
        ErrorKind::ResponseTooLarge { .. }
    ));
}

#[tokio::test]
async fn non_utf8_error_bodies_are_kept_as_bytes() {
    let body: &[u8] = b"\xff\xfe<html>\xc3\x28</html>";
    let uri = start(move |mut stream| async move {
        write(&mut stream, &answer(400, "text/html", body)).await
    })
    .await;
    let ErrorKind::UnexpectedResponse(api) = kind_of(&uri).await else {
        panic!()
    };
    assert_eq!(api.body().as_ref(), body);
    assert!(api.to_string().contains('\u{fffd}'));
}

#[tokio::test]
async fn non_utf8_inside_json_is_a_decode_error() {
    let uri = start(|mut stream| async move {
        write(
            &mut stream,
            &answer(
                200,
                "application/json",
                b"{\"result\":{\"_id\":\"\xff\"},\"success\":true}",
            ),
        )
        .await
    })
    .await;
    assert!(matches!(kind_of(&uri).await, ErrorKind::Decode { .. }));
}

#[tokio::test]
async fn an_empty_200_is_a_decode_error() {
    let uri = start(|mut stream| async move {
        write(&mut stream, &answer(200, "application/json", b"")).await
    })
    .await;
    assert!(matches!(
        kind_of(&uri).await,
        ErrorKind::Decode { .. } | ErrorKind::UnexpectedResponse(_)
    ));
}

#[tokio::test]
async fn a_server_that_accepts_and_stalls_times_out() {
    let uri = start(|stream| async move {
        tokio::time::sleep(STALL).await;
        drop(stream);
    })
    .await;
    assert!(matches!(kind_of(&uri).await, ErrorKind::Timeout));
}

#[tokio::test]
async fn a_body_that_stalls_halfway_times_out() {
    let uri = start(|mut stream| async move {
        write(&mut stream, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"result\":").await;
        tokio::time::sleep(STALL).await;
    })
    .await;
    assert!(matches!(kind_of(&uri).await, ErrorKind::Timeout));
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_a_transport_error() {
    let uri = start(|mut stream| async move {
        write(&mut stream, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"result\":").await;
        drop(stream);
    })
    .await;
    assert!(matches!(kind_of(&uri).await, ErrorKind::Transport));
}

#[tokio::test]
async fn a_hang_up_before_answering_is_a_transport_error() {
    let uri = start(|stream| async move { drop(stream) }).await;
    assert!(matches!(kind_of(&uri).await, ErrorKind::Transport));
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_transport_error() {
    let uri =
        start(|mut stream| async move { write(&mut stream, b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await })
            .await;
    assert!(matches!(kind_of(&uri).await, ErrorKind::Transport));
}

#[tokio::test]
async fn absurd_rate_limit_headers_do_not_panic() {
    let uri = start(|mut stream| async move {
        write(
            &mut stream,
            b"HTTP/1.1 429 X\r\ncontent-type: application/json\r\nx-ratelimit-reset: 99999999999999999999999\r\nretry-after: 18446744073709551615\r\ncontent-length: 45\r\nconnection: close\r\n\r\n{\"success\":false,\"error\":\"Too many requests\"}",
        )
        .await
    })
    .await;
    let error = client(&uri)
        .resolve_contact_conflicts("c1")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ResolveConflictsError::RateLimited { .. }),
        "{error:?}"
    );
}
