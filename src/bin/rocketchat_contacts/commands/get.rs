//! `contact get`: one contact, for people or as the server's JSON.

use std::io::Write;

use rocketchat_omnichannel::Client;

use super::BoxError;
use crate::args::Output;
use crate::output::{Clean, show};

pub(crate) async fn run(client: &Client, output: Output, id: String) -> Result<bool, BoxError> {
    let contact = client.get_contact(id).await?;
    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&contact)?)?,
        Output::Text => show(&mut Clean(&mut stdout), &contact)?,
    }
    stdout.flush()?;
    Ok(true)
}
