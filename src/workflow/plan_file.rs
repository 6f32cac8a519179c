//! [`PlanFile`]: a saved plan of many contacts, checked against the server it was made for.

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::plan::{Plan, sendable};
use super::policy::Policy;
use crate::client::Client;
use crate::error::Error;
use crate::models::Contact;

/// The format of plan and journal files; bumped on any change a reader must know about.
pub(crate) const FORMAT: u32 = 1;

/// A saved plan: every contact's [`Plan`], and the server and policy it was made
/// for. Serialises to a versioned JSON document (`format`, `server`, `policy`, `createdAt`,
/// `contacts`).
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::TryStreamExt;
/// use rocketchat_omnichannel::workflow::{PlanFile, Policy};
/// let contacts: Vec<_> = client.conflicted_contacts(None).try_collect().await?;
/// let plan = PlanFile::new(&client, &Policy::take_incoming(), &contacts);
/// plan.save("plan.json")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlanFile {
    /// The file format (1); a version that cannot read it says so.
    pub format: u32,
    /// The address of the server it was made against, without credentials: a plan is
    /// refused by another server.
    pub server: String,
    /// The policy's name.
    pub policy: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// One entry per contact.
    pub contacts: Vec<Plan>,
}

/// Writes a new file readable by its owner only (mode 0600 on Unix): plans hold names and
/// custom fields. Elsewhere the platform's default permissions apply.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// How plans and journals name a server: the client's API base, without credentials
/// (`https://chat.example.com/api/v1/`).
pub(crate) fn server_url(client: &Client) -> String {
    match url::Url::parse(client.api_base()) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => client.api_base().to_owned(),
    }
}

impl PlanFile {
    /// Plans every contact in `contacts` with `policy`, for the server `client` talks to.
    pub fn new(client: &Client, policy: &Policy, contacts: &[Contact]) -> Self {
        Self {
            format: FORMAT,
            server: server_url(client),
            policy: policy.name().to_owned(),
            created_at: Timestamp::now(),
            contacts: contacts
                .iter()
                .map(|contact| policy.plan(contact))
                .collect(),
        }
    }

    /// Reads a plan file.
    ///
    /// # Errors
    /// The file cannot be read, is not a plan, or has a format this version does not know.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::configuration(format!("cannot read the plan {}: {e}", path.display()))
        })?;
        let plan: Self = serde_json::from_str(&text).map_err(|e| {
            Error::configuration(format!("{} is not a plan file: {e}", path.display()))
        })?;
        if plan.format != FORMAT {
            return Err(Error::configuration(format!(
                "{} has plan format {}; this version reads format {FORMAT}",
                path.display(),
                plan.format
            )));
        }
        // A hand-edited plan must still be sendable: an empty name or manager would be sent
        // as "" (which clears a manager on 8.1 and later).
        for planned in &plan.contacts {
            for write in &planned.writes {
                if !sendable(&write.field, &write.to) {
                    return Err(Error::configuration(format!(
                        "{}: contact {} writes {} = {}, which cannot be sent",
                        path.display(),
                        planned.contact_id,
                        write.field,
                        write.to
                    )));
                }
            }
        }
        Ok(plan)
    }

    /// Writes the plan atomically (a temporary file renamed over the target).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::configuration(format!("the plan cannot be encoded: {e}")))?;
        let failed = |e: std::io::Error| {
            Error::configuration(format!("cannot write the plan {}: {e}", path.display()))
        };
        // A device, a pipe or a terminal (`--out /dev/null`, `/dev/stdout`) is written to,
        // never renamed over: replacing it would put a file where the device was.
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut file| std::io::Write::write_all(&mut file, (text + "\n").as_bytes()))
                .map_err(failed);
        }
        // A name of its own per writer: two processes saving the same plan never write into
        // each other's temporary file, and the rename makes one of them whole.
        let tmp = path.with_file_name(format!(
            ".{}.{}-{}.tmp",
            path.file_name()
                .map_or_else(Default::default, |n| n.to_string_lossy()),
            std::process::id(),
            Timestamp::now().as_nanosecond()
        ));
        write_private(&tmp, (text + "\n").as_bytes())
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(failed)
    }

    /// Refuses a plan made for another server than `client`'s.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) naming both servers.
    pub fn check_server(&self, client: &Client) -> Result<(), Error> {
        let here = server_url(client);
        if self.server == here {
            Ok(())
        } else {
            Err(Error::configuration(format!(
                "the plan was made for {}, not {here}: make a new plan against this server",
                self.server
            )))
        }
    }
}
