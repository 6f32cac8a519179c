//! Sessions that outlive their token: re-login after a 401 (single flight), two-factor
//! sessions and their hook, login/logout races, and a login whose `me` does not decode.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rocketchat_omnichannel::{Client, Credentials, ErrorKind, FreshLogin};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Rocket.Chat's 401 for an expired or revoked token (compat shape,
/// `apps/meteor/app/api/server/api.ts`).
const EXPIRED: &str = r#"{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}"#;
const PASSWORD_BODY: &str = r#"{"user":"agent1","password":"secret"}"#;

fn login_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        format!(
            r#"{{"status":"success","data":{{"userId":"u1","authToken":"{token}","me":{{"_id":"u1","username":"agent1","roles":["user"]}}}},"success":true}}"#
        ),
        "application/json",
    )
}

fn me_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        r#"{"_id":"u1","username":"agent1","roles":["user"],"success":true}"#,
        "application/json",
    )
}

fn expired() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_raw(EXPIRED, "application/json")
}

async fn mount_me(server: &MockServer, token: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .and(header("x-auth-token", token))
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn count(server: &MockServer, route: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == route)
        .count()
}

#[tokio::test]
async fn fifty_calls_that_see_the_token_expire_share_one_relogin() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .and(body_string(PASSWORD_BODY))
        .respond_with(login_answer("old-token"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .and(body_string(PASSWORD_BODY))
        .respond_with(login_answer("new-token"))
        .mount(&server)
        .await;
    // The old token has expired mid-run: every call with it gets a 401.
    mount_me(&server, "old-token", expired()).await;
    mount_me(&server, "new-token", me_answer()).await;

    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "secret").await.unwrap();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.me().await })
        })
        .collect();
    for call in calls {
        let me = call
            .await
            .unwrap()
            .expect("every call succeeds after the re-login");
        assert_eq!(me.id, "u1");
    }
    assert_eq!(
        count(&server, "/api/v1/login").await,
        2,
        "one login, one re-login"
    );
    assert_eq!(
        client.credentials().unwrap().auth_token().expose(),
        "new-token"
    );
}

#[tokio::test]
async fn a_second_401_right_after_the_relogin_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("tok"))
        .mount(&server)
        .await;
    mount_me(&server, "tok", expired()).await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "secret").await.unwrap();

    let error = client.me().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    assert_eq!(count(&server, "/api/v1/login").await, 2);
    assert_eq!(
        count(&server, "/api/v1/me").await,
        2,
        "the call is replayed once"
    );
}

#[tokio::test]
async fn relogin_can_be_switched_off() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("tok"))
        .mount(&server)
        .await;
    mount_me(&server, "tok", expired()).await;
    let client = Client::builder(server.uri())
        .relogin(false)
        .build()
        .unwrap();
    client.login("agent1", "secret").await.unwrap();

    let error = client.me().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(count(&server, "/api/v1/login").await, 1);
}

#[tokio::test]
async fn token_and_resume_sessions_report_the_401() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("tok"))
        .mount(&server)
        .await;
    mount_me(&server, "tok", expired()).await;

    let token = Client::builder(server.uri())
        .credentials(Credentials::token("u1", "tok"))
        .build()
        .unwrap();
    assert_eq!(
        token.me().await.unwrap_err().status().unwrap().as_u16(),
        401
    );
    let resumed = Client::builder(server.uri()).build().unwrap();
    resumed.resume("earlier-token").await.unwrap();
    assert_eq!(
        resumed.me().await.unwrap_err().status().unwrap().as_u16(),
        401
    );
    assert_eq!(
        count(&server, "/api/v1/login").await,
        1,
        "only the resume itself logged in"
    );
}

async fn two_factor_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .and(body_string(
            r#"{"user":"agent1","password":"secret","code":"111111"}"#,
        ))
        .respond_with(login_answer("old-token"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .and(body_string(
            r#"{"user":"agent1","password":"secret","code":"222222"}"#,
        ))
        .respond_with(login_answer("new-token"))
        .mount(&server)
        .await;
    mount_me(&server, "old-token", expired()).await;
    mount_me(&server, "new-token", me_answer()).await;
    server
}

#[tokio::test]
async fn an_expired_two_factor_session_without_a_hook_is_a_typed_error() {
    let server = two_factor_server().await;
    let client = Client::builder(server.uri()).build().unwrap();
    client
        .login("agent1", "secret")
        .two_factor_code("111111")
        .await
        .unwrap();

    let error = client.me().await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::SessionExpired),
        "{error:?}"
    );
    assert!(error.to_string().contains("two-factor code"), "{error}");
    assert_eq!(
        count(&server, "/api/v1/login").await,
        1,
        "no login without a code"
    );
}

#[tokio::test]
async fn the_hook_supplies_a_fresh_code_once_for_all_waiting_calls() {
    let server = two_factor_server().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let client = Client::builder(server.uri())
        .on_session_expired(move |expired| {
            counter.fetch_add(1, Ordering::SeqCst);
            assert_eq!(expired.user(), "agent1");
            assert_eq!(expired.user_id(), "u1");
            async { Some(FreshLogin::code("222222")) }
        })
        .build()
        .unwrap();
    client
        .login("agent1", "secret")
        .two_factor_code("111111")
        .await
        .unwrap();

    let calls: Vec<_> = (0..10)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.me().await })
        })
        .collect();
    for call in calls {
        call.await
            .unwrap()
            .expect("the fresh code renews the session");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(count(&server, "/api/v1/login").await, 2);
}

#[tokio::test]
async fn a_hook_that_gives_up_leaves_the_typed_error() {
    let server = two_factor_server().await;
    let client = Client::builder(server.uri())
        .on_session_expired(|_| async { None })
        .build()
        .unwrap();
    client
        .login("agent1", "secret")
        .two_factor_code("111111")
        .await
        .unwrap();
    let error = client.me().await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::SessionExpired),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_login_whose_me_block_does_not_decode_keeps_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"userId":"u1","authToken":"issued-token","me":{"_id":"u1","roles":"admin","emails":7}},"success":true}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();
    let logged_in = client.login("agent1", "secret").await.unwrap();
    assert_eq!(logged_in.id, "u1");
    assert_eq!(logged_in.id, "u1");
    assert_eq!(
        client.credentials().unwrap().auth_token().expose(),
        "issued-token"
    );
}

/// Issues `tok-1`, `tok-2`, … so every login gets its own token.
struct Tokens(AtomicUsize);

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        login_answer(&format!("tok-{n}"))
    }
}

async fn token_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(Tokens(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/logout"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"message":"You've been logged out!"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    server
}

async fn logged_out_tokens(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v1/logout")
        .map(|r| r.headers["x-auth-token"].to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_new_login_logs_the_replaced_session_out_unless_asked_to_keep_it() {
    let server = token_server().await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "secret").await.unwrap();
    client.login("agent2", "secret").await.unwrap();
    assert_eq!(logged_out_tokens(&server).await, ["tok-1"]);
    client
        .login("agent3", "secret")
        .keep_previous_session()
        .await
        .unwrap();
    assert_eq!(logged_out_tokens(&server).await, ["tok-1"], "tok-2 is kept");
    assert_eq!(client.credentials().unwrap().auth_token().expose(), "tok-3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_and_logouts_leave_no_token_alive_but_the_current_one() {
    let server = token_server().await;
    let client = Client::builder(server.uri()).build().unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    client.login("agent1", "secret").await.map(|_| ()).unwrap();
                } else {
                    client.logout().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let revoked: HashSet<String> = logged_out_tokens(&server).await.into_iter().collect();
    let current = client
        .credentials()
        .map(|c| c.auth_token().expose().to_owned());
    for n in 1..=20 {
        let token = format!("tok-{n}");
        if current.as_deref() == Some(token.as_str()) {
            assert!(
                !revoked.contains(&token),
                "the session the client holds was revoked"
            );
        } else {
            assert!(
                revoked.contains(&token),
                "{token} was left alive on the server"
            );
        }
    }
}

/// The first login works and its token then expires; the password is changed meanwhile, so
/// every further login is refused.
async fn password_changed_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("old-token"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // Then the password was changed: every further login is refused.
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"success":false,"status":"error","error":"Unauthorized","message":"Unauthorized"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    mount_me(&server, "old-token", expired()).await;
    server
}

#[tokio::test]
async fn a_refused_relogin_is_tried_once_not_by_every_waiting_call() {
    let server = password_changed_server().await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "secret").await.unwrap();

    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.me().await })
        })
        .collect();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    }
    let _ = client.me().await.unwrap_err();
    assert_eq!(
        count(&server, "/api/v1/login").await,
        2,
        "the first login and one refused re-login: failed logins count towards a lockout"
    );
}

#[tokio::test]
async fn a_call_racing_a_logout_does_not_bring_the_session_back() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("tok"))
        .mount(&server)
        .await;
    // The logout is slow; meanwhile the token already answers 401.
    Mock::given(method("POST"))
        .and(path("/api/v1/logout"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    r#"{"status":"success","data":{"message":"You've been logged out!"}}"#,
                    "application/json",
                )
                .set_delay(std::time::Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    mount_me(&server, "tok", expired()).await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "secret").await.unwrap();

    let logout = tokio::spawn({
        let client = client.clone();
        async move { client.logout().await }
    });
    // Let the logout start, then make a call that sees the 401.
    while count(&server, "/api/v1/logout").await == 0 {
        tokio::task::yield_now().await;
    }
    let error = client.me().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    logout.await.unwrap().unwrap();
    assert!(!client.is_authenticated(), "the logout won");
    assert_eq!(count(&server, "/api/v1/login").await, 1, "no re-login");
}

#[tokio::test]
async fn resuming_the_current_token_keeps_it_alive() {
    // Rocket.Chat (and the fake, `src/testing/fake/routes/auth.rs`) answers a resume with the
    // token it was given: "ending the replaced session" would end the new one.
    let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    fake.add_agent("agent1", "secret");
    let client = Client::builder(fake.uri()).relogin(false).build().unwrap();
    client.login("agent1", "secret").await.unwrap();
    let token = client
        .credentials()
        .unwrap()
        .auth_token()
        .expose()
        .to_owned();
    client.resume(token.clone()).await.unwrap();
    assert_eq!(client.credentials().unwrap().auth_token().expose(), token);
    client
        .me()
        .await
        .expect("the session is still alive on the server");
}

#[tokio::test]
async fn a_failed_logout_keeps_a_refused_session_refused() {
    let server = password_changed_server().await;
    // The logout cannot get through (a proxy answers 502), so the session is kept.
    Mock::given(method("POST"))
        .and(path("/api/v1/logout"))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "secret").await.unwrap();
    let _ = client.me().await.unwrap_err();
    assert_eq!(count(&server, "/api/v1/login").await, 2);

    assert!(client.logout().await.is_err());
    assert!(client.is_authenticated());
    let error = client.me().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    assert_eq!(
        count(&server, "/api/v1/login").await,
        2,
        "a failed logout must not reopen a refused session for one more failed login"
    );
}

#[tokio::test]
async fn a_mistyped_code_is_asked_for_again_after_a_back_off_and_the_hook_is_told_why() {
    let server = two_factor_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .and(body_string(
            r#"{"user":"agent1","password":"secret","code":"999999"}"#,
        ))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"success":false,"status":"error","error":"totp-invalid","message":"TOTP Invalid","details":{"method":"totp"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    // A person types a wrong code first, then the right one.
    let answers = Arc::new(std::sync::Mutex::new(vec!["222222", "999999"]));
    type Asked = Vec<(u32, Option<String>)>;
    let seen: Arc<std::sync::Mutex<Asked>> = Arc::default();
    let (queue, record) = (answers.clone(), seen.clone());
    let client = Client::builder(server.uri())
        // Long enough that two calls in a row always fall inside it on a loaded machine.
        .two_factor_backoff(std::time::Duration::from_secs(3))
        .on_session_expired(move |expired| {
            record.lock().unwrap().push((
                expired.attempt(),
                expired.previous_refusal().map(str::to_owned),
            ));
            let code = queue.lock().unwrap().pop();
            async move { code.map(FreshLogin::code) }
        })
        .build()
        .unwrap();
    client
        .login("agent1", "secret")
        .two_factor_code("111111")
        .await
        .unwrap();

    let error = client.me().await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::SessionExpired),
        "{error:?}"
    );
    // Within the back-off: no new question, no new login (failed logins count towards a
    // lockout).
    let error = client.me().await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::SessionExpired),
        "{error:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(count(&server, "/api/v1/login").await, 2);

    // After it, the next call asks again, saying the last code was refused, and renews.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    client
        .me()
        .await
        .expect("the second code renews the session");
    assert_eq!(
        *seen.lock().unwrap(),
        [(1, None), (2, Some("totp-invalid".to_owned()))]
    );
    assert_eq!(
        count(&server, "/api/v1/login").await,
        3,
        "one login per answer"
    );
}

#[tokio::test]
async fn a_hook_that_gave_up_is_asked_again_on_a_later_expiry() {
    let server = two_factor_server().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let client = Client::builder(server.uri())
        .on_session_expired(move |expired| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n == 1 {
                assert_eq!(expired.previous_refusal(), Some("no-code"));
            }
            async move { (n > 0).then(|| FreshLogin::code("222222")) }
        })
        .build()
        .unwrap();
    client
        .login("agent1", "secret")
        .two_factor_code("111111")
        .await
        .unwrap();
    assert!(client.me().await.is_err());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    client.me().await.expect("asked again, the hook answers");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_slower_than_the_call_keeps_its_time_and_later_calls_use_the_new_session() {
    // A person needs longer to type the code than one call may wait (issue 20 #2).
    let server = two_factor_server().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let client = Client::builder(server.uri())
        .timeout(std::time::Duration::from_millis(400))
        .on_session_expired(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
                Some(FreshLogin::code("222222"))
            }
        })
        .build()
        .unwrap();
    client
        .login("agent1", "secret")
        .two_factor_code("111111")
        .await
        .unwrap();

    let first = client.me().await.unwrap_err();
    assert!(matches!(first.kind(), ErrorKind::Timeout), "{first:?}");
    assert!(
        std::error::Error::source(&first)
            .is_some_and(|s| s.to_string().contains("renewal goes on")),
        "{first:?}"
    );
    // A call during the renewal waits for the same renewal: the hook is not asked again.
    let second = client.me().await.unwrap_err();
    assert!(matches!(second.kind(), ErrorKind::Timeout), "{second:?}");
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    client
        .me()
        .await
        .expect("the renewal finished and its session is used");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once per expiry");
    assert_eq!(count(&server, "/api/v1/login").await, 2);
    assert_eq!(
        client.credentials().unwrap().auth_token().expose(),
        "new-token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_that_outlives_its_own_timeout_asks_again_later_and_says_why() {
    let server = two_factor_server().await;
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = told.clone();
    let client = Client::builder(server.uri())
        .renewal_timeout(std::time::Duration::from_millis(200))
        .two_factor_backoff(std::time::Duration::from_millis(50))
        .on_session_expired(move |expired| {
            let mut told = record.lock().unwrap();
            told.push(expired.previous_refusal().map(str::to_owned));
            let first = told.len() == 1;
            async move {
                if first {
                    // Never answers in time.
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
                Some(FreshLogin::code("222222"))
            }
        })
        .build()
        .unwrap();
    client
        .login("agent1", "secret")
        .two_factor_code("111111")
        .await
        .unwrap();
    let error = client.me().await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::SessionExpired),
        "{error:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    client.me().await.expect("asked again after the back-off");
    assert_eq!(*told.lock().unwrap(), [None, Some("timed-out".to_owned())]);
}

/// Logins answer `tok-1`, `tok-2`, …; the second (the re-login) takes 400 ms.
struct SlowSecond(AtomicUsize);

impl Respond for SlowSecond {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let answer = login_answer(&format!("tok-{n}"));
        if n == 2 {
            answer.set_delay(std::time::Duration::from_millis(400))
        } else {
            answer
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relogin_that_loses_the_race_with_a_login_ends_its_token_on_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(SlowSecond(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/logout"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"message":"You've been logged out!"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    mount_me(&server, "tok-1", expired()).await;
    mount_me(&server, "tok-3", me_answer()).await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "secret").await.unwrap();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.me().await }
    });
    // While the re-login is on its way, someone logs in as another user.
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    client.login("agent2", "secret").await.unwrap();
    call.await
        .unwrap()
        .expect("replayed with the session that won");
    let revoked: HashSet<String> = logged_out_tokens(&server).await.into_iter().collect();
    assert!(
        revoked.contains("tok-1"),
        "the replaced session: {revoked:?}"
    );
    assert!(
        revoked.contains("tok-2"),
        "the re-login's token, which nobody holds: {revoked:?}"
    );
    assert_eq!(client.credentials().unwrap().auth_token().expose(), "tok-3");
}
