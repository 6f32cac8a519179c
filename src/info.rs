//! `GET /api/info`: the server's version, for checking that it has the routes you need.

use crate::client::{ApiRequest, Client};
use crate::error::Error;
use crate::models::ServerInfo;
use crate::response;

impl Client {
    /// Asks the server for its version (`GET /api/info`, no login needed). When the client
    /// holds a session it is sent along, so a user with `view-statistics` gets the full
    /// version.
    ///
    /// # Errors
    /// Transport errors, timeouts, and unexpected answers (a wrong base URL gives
    /// [`ErrorKind::UnexpectedResponse`](crate::ErrorKind::UnexpectedResponse)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = wiremock::MockServer::start().await;
    /// # wiremock::Mock::given(wiremock::matchers::path("/api/info"))
    /// #     .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(r#"{"version":"7.7","success":true}"#, "application/json"))
    /// #     .mount(&server).await;
    /// let client = rocketchat_omnichannel::Client::builder(server.uri()).build()?;
    /// let info = client.server_info().await?;
    /// if info.is_at_least("7.7.0") == Some(false) {
    ///     eprintln!("contacts.conflicts needs Rocket.Chat 7.7.0");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn server_info(&self) -> Result<ServerInfo, Error> {
        let mut request = ApiRequest::get("/info", String::new());
        request.authenticated = false;
        request.session = self.session();
        let answer = self.execute(request).await?;
        response::decode(answer)
    }
}
