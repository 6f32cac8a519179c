//! `.await` on a request builder: every builder has an `async fn send(self)`, and this makes
//! `builder.await` the same as `builder.send().await`.

/// Implements [`IntoFuture`](std::future::IntoFuture) for a builder by boxing its `send()`.
///
/// `awaitable!(GetContact<'a> => Result<Contact, GetContactError>)` for a builder that borrows
/// the client; `awaitable!(SearchContacts => …)` for one that owns a clone of it.
macro_rules! awaitable {
    ($builder:ident<$lifetime:lifetime> => $output:ty) => {
        impl<$lifetime> ::std::future::IntoFuture for $builder<$lifetime> {
            type Output = $output;
            type IntoFuture = ::std::pin::Pin<
                Box<dyn ::std::future::Future<Output = $output> + Send + $lifetime>,
            >;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
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
