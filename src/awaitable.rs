//! `.await` on a request builder: every builder has an `async fn send(self)`, and this makes
//! `builder.await` the same as `builder.send().await`.

/// Implements [`IntoFuture`](std::future::IntoFuture) for a builder by boxing its `send()`.
///
/// `awaitable!(GetContact => Result<Contact, GetContactError>)`. Every builder owns a clone of
/// the client, so the future is `'static` and can be spawned.
macro_rules! awaitable {
    ($builder:ident => $output:ty) => {
        impl ::std::future::IntoFuture for $builder {
            type Output = $output;
            type IntoFuture =
                ::std::pin::Pin<Box<dyn ::std::future::Future<Output = $output> + Send>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

pub(crate) use awaitable;
