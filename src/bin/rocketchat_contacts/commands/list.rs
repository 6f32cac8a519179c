//! `conflicts list`: every contact with conflicts, as a table or a JSON array.

use std::io::Write;

use futures_util::TryStreamExt;
use rocketchat_omnichannel::Client;

use super::BoxError;
use crate::args::{Output, Unknown};
use crate::output::{Clean, list_row, write_header, write_rows};

/// Prints the conflicted contacts as they arrive, page by page, so a workspace of any size
/// lists in constant memory.
pub(crate) async fn run(
    client: &Client,
    output: Output,
    unknown: Unknown,
) -> Result<bool, BoxError> {
    let mut contacts = std::pin::pin!(client.conflicted_contacts(unknown.into()));
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0usize;
    if output == Output::Json {
        write!(stdout, "[")?;
    }
    while let Some(contact) = contacts.try_next().await? {
        count += 1;
        match output {
            Output::Json => {
                let separator = if count == 1 { "\n" } else { ",\n" };
                let row = serde_json::to_string_pretty(&list_row(&contact))?;
                write!(stdout, "{separator}{row}")?;
            }
            Output::Text => {
                if count == 1 {
                    write_header(&mut stdout)?;
                }
                write_rows(&mut Clean(&mut stdout), &contact)?;
            }
        }
    }
    match output {
        Output::Json => writeln!(stdout, "{}]", if count == 0 { "" } else { "\n" })?,
        Output::Text if count == 0 => writeln!(stdout, "no contact has conflicts")?,
        Output::Text => writeln!(stdout, "{count} contact(s) with conflicts")?,
    }
    stdout.flush()?;
    Ok(true)
}
