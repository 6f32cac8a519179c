//! C-SEND-SYNC: the client, its builders, the request builders, their futures and the errors
//! can cross threads, so they work in `tokio::spawn` and behind `Arc`.

use rocketchat_omnichannel::omnichannel::contacts::{GetContact, GetContactError};
use rocketchat_omnichannel::{
    ApiError, Client, ClientBuilder, Credentials, Error, Login, LoginError, ResolveConflicts,
    ResolveConflictsError, RetryPolicy,
};

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>(_: &T) {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<Client>();
    send_sync::<ClientBuilder>();
    send_sync::<Credentials>();
    send_sync::<RetryPolicy>();
    send_sync::<ResolveConflicts>();
    send_sync::<GetContact>();
    send_sync::<Login>();
    send_sync::<Error>();
    send_sync::<ApiError>();
    send_sync::<ResolveConflictsError>();
    send_sync::<GetContactError>();
    send_sync::<LoginError>();
}

#[test]
fn request_futures_are_send() {
    let client = Client::builder("https://chat.example.com").build().unwrap();
    send(&std::future::IntoFuture::into_future(
        client.resolve_contact_conflicts("c"),
    ));
    send(&std::future::IntoFuture::into_future(
        client.get_contact("c"),
    ));
    send(&std::future::IntoFuture::into_future(
        client.login("a", "b"),
    ));
    send(&client.me());
    send(&client.logout());
}

#[test]
fn errors_stay_small() {
    // One pointer for the crate error; the operation enums carry a boxed answer.
    assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    assert!(std::mem::size_of::<ResolveConflictsError>() <= 40);
}
