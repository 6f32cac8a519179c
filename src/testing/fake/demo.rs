//! The demo data set: what the example, the CLI's `--demo` and `rocketchat-fake` serve when
//! given nothing else.

use super::custom_fields::CustomField;
use super::livechat;
use super::state::State;
use super::users::{FakeUser, TokenKind};
use super::visitors::Visitor;
use serde_json::{Map, Value, json};

/// Names and secrets of the demo data set ([`FakeRocketChatBuilder::demo_data`](super::FakeRocketChatBuilder::demo_data)).
///
/// Three known contacts carry conflicts made the way Rocket.Chat makes them (a visitor with
/// other details merged into a pre-registered contact); a fourth has none.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_builder().build()?;
/// client.login(DemoData::AGENT_USERNAME, DemoData::AGENT_PASSWORD).await?;
/// let jane = fake.contact(&DemoData::CONTACT_ID.into()).unwrap();
/// assert_eq!(jane.conflicting_fields.len(), 3);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DemoData;

impl DemoData {
    /// The agent's user id.
    pub const AGENT_ID: &'static str = "demoAgent0000001";
    /// The agent's user name.
    pub const AGENT_USERNAME: &'static str = "agent1";
    /// The agent's password.
    pub const AGENT_PASSWORD: &'static str = "agent1-password";
    /// A personal access token of the agent.
    pub const AGENT_TOKEN: &'static str = "demo-agent1-personal-access-token";
    /// A second agent, who served the visitor and so competes as contact manager.
    pub const SECOND_AGENT_ID: &'static str = "demoAgent0000002";
    /// A supervisor who must give a TOTP code at login.
    pub const SUPERVISOR_USERNAME: &'static str = "supervisor";
    /// The supervisor's password.
    pub const SUPERVISOR_PASSWORD: &'static str = "supervisor-password";
    /// The supervisor's TOTP code.
    pub const SUPERVISOR_TOTP: &'static str = "123456";
    /// A user without omnichannel permissions.
    pub const VIEWER_USERNAME: &'static str = "viewer";
    /// The viewer's password.
    pub const VIEWER_PASSWORD: &'static str = "viewer-password";
    /// Jane Doe: name, manager and custom-field (`cpf`) conflicts.
    pub const CONTACT_ID: &'static str = "demoContactJane1";
    /// John Roe: a custom-field (`plan`) conflict.
    pub const SECOND_CONTACT_ID: &'static str = "demoContactJohn1";
    /// Ana Lima: a name conflict.
    pub const THIRD_CONTACT_ID: &'static str = "demoContactAna01";
    /// Maria Silva: no conflicts.
    pub const CLEAN_CONTACT_ID: &'static str = "demoContactMaria";
}

fn contact(
    id: &str,
    name: &str,
    email: &str,
    manager: Option<&str>,
    fields: Value,
) -> Map<String, Value> {
    let mut doc = json!({
        "_id": id,
        "name": name,
        "emails": [{"address": email}],
        "phones": [],
        "unknown": false,
        "preRegistration": true,
        "conflictingFields": [],
        "customFields": fields,
        "channels": [],
        "createdAt": "2025-05-26T07:57:49.616Z",
        "_updatedAt": "2025-05-26T07:57:49.616Z",
    });
    if let Some(manager) = manager {
        doc["contactManager"] = json!(manager);
    }
    match doc {
        Value::Object(doc) => doc,
        _ => Map::new(),
    }
}

pub(super) fn seed(state: &mut State) {
    // The custom fields the demo contacts carry, so create and update accept them.
    state.custom_fields.extend([
        CustomField::new("cpf").label("CPF"),
        CustomField::new("city").label("City"),
        CustomField::new("plan").label("Plan"),
    ]);
    state.add_user(
        FakeUser::agent(DemoData::AGENT_USERNAME)
            .id(DemoData::AGENT_ID)
            .name("Alice Agent")
            .email("agent1@example.com")
            .password(DemoData::AGENT_PASSWORD),
    );
    state.add_user(
        FakeUser::agent("agent2")
            .id(DemoData::SECOND_AGENT_ID)
            .name("Bruno Agent")
            .password("agent2-password"),
    );
    state.add_user(
        FakeUser::new(DemoData::SUPERVISOR_USERNAME)
            .id("demoSupervisor01")
            .role("livechat-manager")
            .password(DemoData::SUPERVISOR_PASSWORD)
            .two_factor_code(DemoData::SUPERVISOR_TOTP),
    );
    state.add_user(
        FakeUser::new(DemoData::VIEWER_USERNAME)
            .id("demoViewer000001")
            .password(DemoData::VIEWER_PASSWORD),
    );
    state.tokens.insert(
        DemoData::AGENT_TOKEN.into(),
        (DemoData::AGENT_ID.into(), TokenKind::PersonalAccess),
    );

    state.add_contact_document(
        contact(
            DemoData::CONTACT_ID,
            "Jane Doe",
            "jane.doe@example.com",
            Some(DemoData::AGENT_ID),
            json!({"cpf": "123.456.789-00", "city": "Recife"}),
        ),
        true,
    );
    livechat::merge_visitor(
        state,
        DemoData::CONTACT_ID,
        Visitor::new()
            .name("Jane D.")
            .email("jane.doe@example.com")
            .phone("+5581999990000")
            .contact_manager(DemoData::SECOND_AGENT_ID)
            .custom_field("cpf", "123.456.789-99"),
    );
    state.add_contact_document(
        contact(
            DemoData::SECOND_CONTACT_ID,
            "John Roe",
            "john.roe@example.com",
            None,
            json!({"plan": "basic"}),
        ),
        true,
    );
    livechat::merge_visitor(
        state,
        DemoData::SECOND_CONTACT_ID,
        Visitor::new()
            .email("john.roe@example.com")
            .custom_field("plan", "premium"),
    );
    state.add_contact_document(
        contact(
            DemoData::THIRD_CONTACT_ID,
            "Ana Lima",
            "ana.lima@example.com",
            None,
            json!({}),
        ),
        true,
    );
    livechat::merge_visitor(
        state,
        DemoData::THIRD_CONTACT_ID,
        Visitor::new().name("Ana Paula Lima"),
    );
    state.add_contact_document(
        contact(
            DemoData::CLEAN_CONTACT_ID,
            "Maria Silva",
            "maria.silva@example.com",
            Some(DemoData::AGENT_ID),
            json!({}),
        ),
        true,
    );
}
