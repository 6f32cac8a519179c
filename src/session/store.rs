//! [`CredentialsFile`]: saved credentials on disk, written so that nobody else can read them
//! and nobody can find half a file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::Credentials;

/// A JSON file holding a bot's [`Credentials`] between restarts, in the shape
/// `{"userId": …, "authToken": …, "session": …}`.
///
/// Writes are atomic: the new content goes to a temporary file in the same folder, is
/// flushed to disk, and then renamed over the old one, so a crash leaves the old file or
/// the new one, never a torn one. On Unix the file is created with mode `0600` (only its
/// owner can read it) before any secret is written to it. On other systems it gets the
/// folder's default permissions: keep it in a folder only the bot's user can read.
///
/// Wire it to [`ClientBuilder::on_credentials_change`](crate::ClientBuilder::on_credentials_change)
/// so every login, re-login and logout updates the file.
///
/// ```
/// use rocketchat_omnichannel::{Credentials, CredentialsFile};
///
/// let dir = std::env::temp_dir().join(format!("rc-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = CredentialsFile::new(dir.join("credentials.json"));
/// assert!(store.load()?.is_none());
/// store.save(&Credentials::token("bot-id", "token"))?;
/// assert_eq!(store.load()?.unwrap().user_id(), "bot-id");
/// store.remove()?;
/// assert!(store.load()?.is_none());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CredentialsFile {
    path: PathBuf,
}

impl CredentialsFile {
    /// A store at `path` (nothing is read or written yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved credentials, or `None` when there is no file.
    ///
    /// # Errors
    /// Reading fails, or the file is not saved credentials (`InvalidData`).
    pub fn load(&self) -> io::Result<Option<Credentials>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Replaces the file with these credentials, atomically.
    ///
    /// # Errors
    /// The folder is not writable, the disk is full, or the rename fails; the old file is
    /// then left as it was.
    pub fn save(&self, credentials: &Credentials) -> io::Result<()> {
        let json = serde_json::to_vec(credentials).map_err(io::Error::other)?;
        let folder = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = self.path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name")
        })?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".{}.tmp", std::process::id()));
        let temporary = folder.join(temporary_name);
        let written = (|| {
            let mut file = create_private(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }

    /// Deletes the file; no file is not an error.
    ///
    /// # Errors
    /// The file exists and cannot be deleted.
    pub fn remove(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// Saves `Some`, removes on `None`: the shape of
    /// [`ClientBuilder::on_credentials_change`](crate::ClientBuilder::on_credentials_change).
    /// A failure cannot be returned from there, so it is logged (`tracing::error!`) with the
    /// path, never the token.
    pub fn update(&self, credentials: Option<&Credentials>) {
        let outcome = match credentials {
            Some(credentials) => self.save(credentials),
            None => self.remove(),
        };
        if let Err(error) = outcome {
            tracing::error!(path = %self.path.display(), %error, "the saved credentials could not be updated");
        }
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only to a file this call creates; a leftover from a crash keeps its
    // own, so set it again before anything secret is written.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}
