//! `GET /api/info` (`apps/meteor/app/api/server/default/info.ts` and
//! `apps/meteor/app/api/server/lib/getServerInfo.ts`): no login needed. Every caller gets
//! the version without its patch number and `minimumClientVersions`; a caller whose headers
//! authenticate a user with `view-statistics` (admins) gets the full version and the `info`
//! block. `supportedVersions` (a signed cloud token) is left out, as on a workspace that is
//! not registered with the cloud.

use serde_json::{Map, Value, json};

use super::call::Call;
use super::reply::Reply;
use crate::testing::fake::state::State;

/// The client versions the server asks for (from its `package.json`, `rocketchat.minimumClientVersions`).
/// The values are those of recent releases; clients only compare them with their own.
fn minimum_client_versions() -> Value {
    json!({"desktop": "3.9.6", "mobile": "4.39.0"})
}

pub(super) fn server_info(state: &mut State, call: &Call<'_>) -> Reply {
    let version = state.profile.version.to_string();
    let sees_statistics = state
        .authenticate(call.header("x-user-id"), call.header("x-auth-token"))
        .is_some_and(|user| user.has_permission(&state.permissions, "view-statistics"));
    let mut body = Map::new();
    if sees_statistics {
        body.insert("version".into(), json!(version));
        body.insert(
            "info".into(),
            json!({
                "version": version,
                "build": {"nodeVersion": "v22.16.0", "arch": "x64", "platform": "linux", "cpus": 2},
                "marketplaceApiVersion": "1.0.0",
                "commit": {},
            }),
        );
    } else {
        let minor = version
            .rsplit_once('.')
            .map_or(version.as_str(), |(m, _)| m);
        body.insert("version".into(), json!(minor));
    }
    body.insert("minimumClientVersions".into(), minimum_client_versions());
    Reply::ok(body)
}
