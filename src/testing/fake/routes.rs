//! The fake's routes. Each handler follows the real server's order of checks:
//! 401 (auth) → 429 (limiter) → 400 (validation) → 403 (permission) → business errors.

use std::net::IpAddr;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::Full;
use hyper::Response;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::state::{State, TokenKind, UserRecord, epoch_ms, now_iso};
use super::validate::{self, coerce_bool, coerce_string, parse_body};
use crate::testing::bodies;

/// One request, as the routes see it.
pub(crate) struct Call<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
    pub(crate) peer: IpAddr,
}

impl Call<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as the server reads it: JSON, or a form whose values are all strings;
    /// anything else (or malformed JSON) is `{}`.
    fn json_body(&self) -> Value {
        let content_type = self
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            return Value::Object(
                url::form_urlencoded::parse(self.body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            );
        }
        parse_body(self.body, content_type.starts_with("application/json"))
    }

    fn query_params(&self) -> Map<String, Value> {
        url::form_urlencoded::parse(self.query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect()
    }
}

/// An answer about to be written.
pub(crate) struct Reply {
    pub(crate) status: u16,
    body: Bytes,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: &impl Serialize) -> Self {
        Self {
            status,
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
            content_type: "application/json",
            headers: Vec::new(),
        }
    }

    pub(crate) fn raw(status: u16, body: Bytes, content_type: &'static str) -> Self {
        Self {
            status,
            body,
            content_type,
            headers: Vec::new(),
        }
    }

    fn error_json(status: u16, body: Vec<u8>) -> Self {
        Self::raw(status, Bytes::from(body), "application/json")
    }

    /// `{"success":false,"error":"…"}`, the shape of business errors.
    pub(crate) fn error(status: u16, error: &str) -> Self {
        Self::error_json(status, bodies::error(error))
    }

    fn invalid_params(message: &str) -> Self {
        Self::error_json(400, bodies::invalid_params(message))
    }

    fn unauthorized() -> Self {
        Self::error_json(401, bodies::unauthorized())
    }

    fn forbidden() -> Self {
        Self::error_json(403, bodies::error(bodies::FORBIDDEN))
    }

    fn login_failure(error: &str, message: &str, details: Option<Value>) -> Self {
        Self::error_json(401, bodies::login_failure(error, message, details.as_ref()))
    }

    /// A success: the value's fields plus `success: true`.
    fn ok(mut body: Map<String, Value>) -> Self {
        body.insert("success".into(), Value::Bool(true));
        let mut reply = Self::json(200, &body);
        reply.headers.push(("cache-control", "no-store".into()));
        reply.headers.push(("pragma", "no-cache".into()));
        reply
    }

    fn ok_with(key: &str, value: Value) -> Self {
        let mut body = Map::new();
        body.insert(key.to_owned(), value);
        Self::ok(body)
    }

    pub(crate) fn truncate(&mut self) {
        let half = self.body.len() / 2;
        self.body.truncate(half);
    }

    pub(crate) fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::builder()
            .status(self.status)
            .header("content-type", self.content_type);
        for (name, value) in self.headers {
            response = response.header(name, value);
        }
        response
            .body(Full::new(self.body))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}

/// Dispatches a call to its route.
pub(crate) fn route(state: &mut State, call: &Call<'_>) -> Reply {
    let Some(route) = call.path.strip_prefix("/api/v1/") else {
        return Reply::error(404, "Not found");
    };
    match (call.method.as_str(), route) {
        ("POST", "login") => login(state, call),
        ("POST" | "GET", "logout") => authenticated(state, call, route, logout),
        ("GET", "me") => authenticated(state, call, route, me),
        ("POST", "omnichannel/contacts.conflicts") => {
            authenticated(state, call, route, resolve_conflicts)
        }
        ("GET", "omnichannel/contacts.get") => authenticated(state, call, route, get_contact),
        ("GET", "omnichannel/contacts.search") => {
            authenticated(state, call, route, search_contacts)
        }
        ("POST", "omnichannel/contacts") => authenticated(state, call, route, create_contact),
        ("POST", "omnichannel/contacts.update") => {
            authenticated(state, call, route, update_contact)
        }
        ("GET", "omnichannel/contacts.checkExistence") => {
            authenticated(state, call, route, check_existence)
        }
        ("GET", "omnichannel/contacts.channels") => {
            authenticated(state, call, route, contact_channels)
        }
        ("GET", "omnichannel/contacts.history") => {
            authenticated(state, call, route, contact_history)
        }
        _ => Reply::error(404, "Not found"),
    }
}

type Handler = fn(&mut State, &Call<'_>, &UserRecord) -> Reply;

/// Header auth, then the rate limiter (whose headers go on every answer, successes too),
/// then the route.
fn authenticated(state: &mut State, call: &Call<'_>, route: &str, handler: Handler) -> Reply {
    let user = match state.authenticate(call.header("x-user-id"), call.header("x-auth-token")) {
        Some(user) => user.clone(),
        None => return Reply::unauthorized(),
    };
    let limited = if user.has_permission("api-bypass-rate-limit") {
        None
    } else {
        state.count_call(format!("{}|{}|{}", call.peer, route, call.method))
    };
    let mut reply = match limited {
        Some((window, _, true)) => {
            let wait_ms = window.reset_ms.saturating_sub(epoch_ms(SystemTime::now()));
            let seconds = wait_ms.div_ceil(1000);
            Reply::error_json(429, bodies::rate_limited(seconds))
        }
        _ => handler(state, call, &user),
    };
    if let Some((window, calls, _)) = limited {
        reply.headers.push(("x-ratelimit-limit", calls.to_string()));
        reply.headers.push((
            "x-ratelimit-remaining",
            calls.saturating_sub(window.count).to_string(),
        ));
        reply
            .headers
            .push(("x-ratelimit-reset", window.reset_ms.to_string()));
    }
    reply
}

fn login(state: &mut State, call: &Call<'_>) -> Reply {
    let body = call.json_body();
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(resume) = text("resume") {
        let Some((user_id, _)) = state.tokens.get(&resume).cloned() else {
            return Reply::login_failure("Unauthorized", "Unauthorized", None);
        };
        return login_success(state, &user_id, resume);
    }
    let user = text("user");
    let (by_email, login) = match (text("username"), text("email"), user) {
        (Some(name), _, _) => (false, name),
        (None, Some(email), _) => (true, email),
        (None, None, Some(user)) => (user.contains('@'), user),
        _ => return Reply::login_failure("Unauthorized", "Unauthorized", None),
    };
    let password = text("password").unwrap_or_default();
    let code = text("code").or_else(|| call.header("x-2fa-code").map(str::to_owned));
    let Some(index) = state.users.iter().position(|u| {
        if by_email {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&login))
        } else {
            u.username == login
        }
    }) else {
        return Reply::login_failure("Unauthorized", "Unauthorized", None);
    };
    let user = &mut state.users[index];
    if user.password.is_empty() || user.password != password {
        return Reply::login_failure("Unauthorized", "Unauthorized", None);
    }
    if let Some(expected) = user.totp_code.clone() {
        match code {
            None => {
                return Reply::login_failure(
                    "totp-required",
                    "TOTP Required",
                    Some(json!({"method": "totp", "availableMethods": ["totp"]})),
                );
            }
            Some(_) if user.failed_codes >= 5 => {
                return Reply::login_failure(
                    "totp-max-attempts",
                    "TOTP Maximum Attempts Reached",
                    None,
                );
            }
            Some(code) if code != expected => {
                user.failed_codes += 1;
                return Reply::login_failure("totp-invalid", "TOTP Invalid", None);
            }
            Some(_) => user.failed_codes = 0,
        }
    }
    let user_id = user.id.clone();
    let token = state.issue_token(&user_id, TokenKind::Login);
    login_success(state, &user_id, token)
}

fn login_success(state: &State, user_id: &str, token: String) -> Reply {
    let me = state
        .user(user_id)
        .map(UserRecord::me)
        .unwrap_or(Value::Null);
    Reply::json(
        200,
        &json!({
            "status": "success",
            "data": {"userId": user_id, "authToken": token, "me": me},
            "success": true,
        }),
    )
}

fn logout(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    if let Some(token) = call.header("x-auth-token") {
        state.tokens.remove(token);
    }
    Reply::json(
        200,
        &json!({"status": "success", "data": {"message": "You've been logged out!"}}),
    )
}

fn me(_state: &mut State, _call: &Call<'_>, user: &UserRecord) -> Reply {
    match user.me() {
        Value::Object(me) => Reply::ok(me),
        _ => Reply::error(400, "error"),
    }
}

/// `true` for contacts the API treats as existing (deleted ones have `enabled:false`).
fn enabled(contact: &Map<String, Value>) -> bool {
    contact.get("enabled").and_then(Value::as_bool) != Some(false)
}

fn is_agent(state: &State, user_id: &str) -> bool {
    state
        .user(user_id)
        .is_some_and(|u| u.has_role("livechat-agent"))
}

fn resolve_conflicts(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let input = match validate::conflicts(&call.json_body()) {
        Ok(input) => input,
        Err(message) => return Reply::invalid_params(&message),
    };
    if !user.has_permission("update-livechat-contact") {
        return Reply::forbidden();
    }
    // Looked up before the contact is borrowed; reported after the contact checks, in the
    // server's order.
    let manager_is_agent = input
        .contact_manager
        .as_deref()
        .is_none_or(|m| m.is_empty() || is_agent(state, m));
    let Some(contact) = state
        .contacts
        .get_mut(&input.contact_id)
        .filter(|c| enabled(c))
    else {
        return Reply::error(400, "error-contact-not-found");
    };
    let mut entries = match contact.get("conflictingFields") {
        Some(Value::Array(entries)) if !entries.is_empty() => entries.clone(),
        _ => return Reply::error(400, "error-contact-has-no-conflicts"),
    };
    if !manager_is_agent {
        return Reply::error(400, "error-contact-manager-not-found");
    }
    let mut cleared: Vec<String> = Vec::new();
    if let Some(name) = input.name.filter(|n| !n.is_empty()) {
        contact.insert("name".into(), json!(name));
        cleared.push("name".into());
    }
    if let Some(manager) = input.contact_manager {
        if manager.is_empty() {
            contact.remove("contactManager");
        } else {
            contact.insert("contactManager".into(), json!(manager));
        }
        cleared.push("manager".into());
    }
    if let Some(fields) = input.custom_fields {
        let current = contact.entry("customFields").or_insert_with(|| json!({}));
        if !current.is_object() {
            *current = json!({});
        }
        if let Value::Object(current) = current {
            for (key, value) in fields {
                cleared.push(format!("customFields.{key}"));
                current.insert(key, value);
            }
        }
    }
    let before = entries.len();
    if input.wipe_conflicts {
        entries.clear();
    } else {
        entries.retain(|entry| {
            let field = entry
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or_default();
            !cleared.iter().any(|c| c == field)
        });
    }
    let removed = before - entries.len();
    contact.insert("conflictingFields".into(), Value::Array(entries));
    contact.insert("unknown".into(), Value::Bool(false));
    contact.insert("_updatedAt".into(), json!(now_iso()));
    let result = Value::Object(contact.clone());
    if input.wipe_conflicts {
        state.resolved_conflicts_count += removed as u64;
    }
    Reply::ok_with("result", result)
}

/// Reads a required string query parameter, with the validator's message when missing.
fn required_param(params: &Map<String, Value>, key: &str) -> Result<String, Reply> {
    match params.get(key) {
        Some(value) => coerce_string(value).map_err(|m| Reply::invalid_params(&m)),
        None => Err(Reply::invalid_params(&format!(
            "must have required property '{key}'"
        ))),
    }
}

fn number_param(params: &Map<String, Value>, key: &str, default: usize) -> Result<usize, Reply> {
    match params.get(key).and_then(Value::as_str) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| Reply::invalid_params(&format!("The '{key}' parameter must be a number"))),
    }
}

fn get_contact(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let contact_id = match required_param(&call.query_params(), "contactId") {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    if !user.has_permission("view-livechat-contact") {
        return Reply::forbidden();
    }
    match state.contacts.get(&contact_id).filter(|c| enabled(c)) {
        Some(contact) => Reply::ok_with("contact", Value::Object(contact.clone())),
        None => Reply::error(404, "Resource not found"),
    }
}

/// Up to this many items per page, like the server's `API_Upper_Count_Limit` default.
const MAX_PAGE: usize = 100;

fn page(params: &Map<String, Value>) -> Result<(usize, usize), Reply> {
    let count = number_param(params, "count", 25)?.min(MAX_PAGE);
    let offset = number_param(params, "offset", 0)?;
    Ok((count, offset))
}

fn search_contacts(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let params = call.query_params();
    let (count, offset) = match page(&params) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let unknown = match params.get("unknown").map(coerce_bool) {
        None => false,
        Some(Ok(value)) => value.unwrap_or(false),
        Some(Err(message)) => return Reply::invalid_params(&message),
    };
    let sort: Map<String, Value> = match params.get("sort").and_then(Value::as_str) {
        None => [("name".to_owned(), json!(1))].into_iter().collect(),
        Some(text) => match serde_json::from_str(text) {
            Ok(sort) => sort,
            Err(_) => return Reply::invalid_params("The 'sort' parameter must be a JSON object"),
        },
    };
    if !user.has_permission("view-livechat-contact") {
        return Reply::forbidden();
    }
    let needle = params
        .get("searchText")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .unwrap_or_default();
    let mut matches: Vec<&Map<String, Value>> = state
        .contacts
        .values()
        .filter(|c| enabled(c))
        .filter(|c| c.get("unknown").and_then(Value::as_bool).unwrap_or(false) == unknown)
        .filter(|c| needle.is_empty() || contact_matches(c, &needle))
        .collect();
    for (key, direction) in sort.iter().rev() {
        let descending = direction.as_i64() == Some(-1);
        matches.sort_by(|a, b| {
            let order = sort_key(a, key).cmp(&sort_key(b, key));
            if descending { order.reverse() } else { order }
        });
    }
    let total = matches.len();
    let contacts: Vec<Value> = matches
        .into_iter()
        .skip(offset)
        .take(count)
        .map(|c| Value::Object(c.clone()))
        .collect();
    let mut body = Map::new();
    body.insert("count".into(), json!(contacts.len()));
    body.insert("contacts".into(), Value::Array(contacts));
    body.insert("offset".into(), json!(offset));
    body.insert("total".into(), json!(total));
    Reply::ok(body)
}

fn sort_key(contact: &Map<String, Value>, key: &str) -> String {
    match contact.get(key) {
        Some(Value::String(s)) => s.to_lowercase(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn contact_matches(contact: &Map<String, Value>, needle: &str) -> bool {
    let contains = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .is_some_and(|s| s.to_lowercase().contains(needle))
    };
    let any_in = |list: &str, key: &str| {
        contact
            .get(list)
            .and_then(Value::as_array)
            .is_some_and(|items| items.iter().any(|item| contains(item.get(key))))
    };
    contains(contact.get("name")) || any_in("emails", "address") || any_in("phones", "phoneNumber")
}

/// Validates a list of strings (`emails`, `phones`), allowing `null` when `nullable`.
fn string_list(body: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, Reply> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| coerce_string(item).map_err(|m| Reply::invalid_params(&m)))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(Reply::invalid_params("must be array")),
    }
}

fn object_body(
    call: &Call<'_>,
    allowed: &[&str],
    required: &[&str],
) -> Result<Map<String, Value>, Reply> {
    let Value::Object(body) = call.json_body() else {
        return Err(Reply::invalid_params("must be object"));
    };
    if let Some(missing) = required.iter().find(|key| !body.contains_key(**key)) {
        return Err(Reply::invalid_params(&format!(
            "must have required property '{missing}'"
        )));
    }
    if body.keys().any(|key| !allowed.contains(&key.as_str())) {
        return Err(Reply::invalid_params("must NOT have additional properties"));
    }
    Ok(body)
}

/// An optional string property: absent or `null` is `None`, scalars are coerced.
fn optional_string(body: &Map<String, Value>, key: &str) -> Result<Option<String>, Reply> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => coerce_string(value)
            .map(Some)
            .map_err(|m| Reply::invalid_params(&m)),
    }
}

/// A non-empty manager must be the `_id` of a livechat agent.
fn check_manager(state: &State, manager: Option<&str>) -> Result<(), Reply> {
    match manager.filter(|m| !m.is_empty()) {
        Some(manager) if !is_agent(state, manager) => {
            Err(Reply::error(400, "error-contact-manager-not-found"))
        }
        _ => Ok(()),
    }
}

fn email_list(emails: &[String]) -> Value {
    emails.iter().map(|a| json!({"address": a})).collect()
}

fn phone_list(phones: &[String]) -> Value {
    phones.iter().map(|p| json!({"phoneNumber": p})).collect()
}

fn custom_fields_param(body: &Map<String, Value>) -> Result<Option<Map<String, Value>>, Reply> {
    match body.get("customFields") {
        None => Ok(None),
        Some(Value::Object(fields)) => Ok(Some(fields.clone())),
        Some(_) => Err(Reply::invalid_params("must be object")),
    }
}

fn create_contact(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let parsed = object_body(
        call,
        &["name", "emails", "phones", "customFields", "contactManager"],
        &["name", "emails", "phones"],
    )
    .and_then(|body| {
        let name = coerce_string(&body["name"]).map_err(|m| Reply::invalid_params(&m))?;
        let emails = string_list(&body, "emails")?.unwrap_or_default();
        let phones = string_list(&body, "phones")?.unwrap_or_default();
        let fields = custom_fields_param(&body)?;
        let manager = optional_string(&body, "contactManager")?;
        Ok((name, emails, phones, fields, manager))
    });
    let (name, emails, phones, fields, manager) = match parsed {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    if !user.has_permission("create-livechat-contact") {
        return Reply::forbidden();
    }
    if let Err(reply) = check_manager(state, manager.as_deref()) {
        return reply;
    }
    let mut doc = Map::new();
    doc.insert("name".into(), json!(name));
    doc.insert("emails".into(), email_list(&emails));
    doc.insert("phones".into(), phone_list(&phones));
    if let Some(fields) = fields {
        doc.insert("customFields".into(), Value::Object(fields));
    }
    if let Some(manager) = manager.filter(|m| !m.is_empty()) {
        doc.insert("contactManager".into(), json!(manager));
    }
    doc.insert("unknown".into(), json!(false));
    doc.insert("preRegistration".into(), json!(true));
    doc.insert("conflictingFields".into(), json!([]));
    let id = state.add_contact_document(doc, true);
    Reply::ok_with("contactId", json!(id))
}

fn update_contact(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let body = match object_body(
        call,
        &[
            "contactId",
            "name",
            "emails",
            "phones",
            "customFields",
            "contactManager",
            "wipeConflicts",
        ],
        &["contactId"],
    ) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let parsed = (|| {
        let id = coerce_string(&body["contactId"]).map_err(|m| Reply::invalid_params(&m))?;
        let name = optional_string(&body, "name")?;
        let emails = string_list(&body, "emails")?;
        let phones = string_list(&body, "phones")?;
        let fields = custom_fields_param(&body)?;
        let manager = optional_string(&body, "contactManager")?;
        let wipe = match body.get("wipeConflicts") {
            None => false,
            Some(v) => coerce_bool(v)
                .map_err(|m| Reply::invalid_params(&m))?
                .unwrap_or(false),
        };
        Ok::<_, Reply>((id, name, emails, phones, fields, manager, wipe))
    })();
    let (id, name, emails, phones, fields, manager, wipe) = match parsed {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    if !user.has_permission("update-livechat-contact") {
        return Reply::forbidden();
    }
    if let Err(reply) = check_manager(state, manager.as_deref()) {
        return reply;
    }
    let Some(contact) = state.contacts.get_mut(&id).filter(|c| enabled(c)) else {
        return Reply::error(400, "error-contact-not-found");
    };
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        contact.insert("name".into(), json!(name));
    }
    if let Some(emails) = emails {
        contact.insert("emails".into(), email_list(&emails));
    }
    if let Some(phones) = phones {
        contact.insert("phones".into(), phone_list(&phones));
    }
    if let Some(fields) = fields {
        contact.insert("customFields".into(), Value::Object(fields));
    }
    match manager.as_deref() {
        Some("") => {
            contact.remove("contactManager");
        }
        Some(manager) => {
            contact.insert("contactManager".into(), json!(manager));
        }
        None => {}
    }
    if wipe {
        contact.insert("conflictingFields".into(), json!([]));
    }
    contact.insert("_updatedAt".into(), json!(now_iso()));
    Reply::ok_with("contact", Value::Object(contact.clone()))
}

fn check_existence(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let params = call.query_params();
    let given: Vec<&str> = ["contactId", "email", "phone"]
        .into_iter()
        .filter(|key| params.contains_key(*key))
        .collect();
    if given.len() != 1 {
        return Reply::invalid_params("must match exactly one schema in oneOf");
    }
    if !user.has_permission("view-livechat-contact") {
        return Reply::forbidden();
    }
    let wanted = params[given[0]].as_str().unwrap_or_default();
    let exists = state
        .contacts
        .values()
        .filter(|c| enabled(c))
        .any(|c| match given[0] {
            "contactId" => c.get("_id").and_then(Value::as_str) == Some(wanted),
            // Emails are matched case-insensitively, phones exactly.
            "email" => list_has(c, "emails", "address", |v| v.eq_ignore_ascii_case(wanted)),
            _ => list_has(c, "phones", "phoneNumber", |v| v == wanted),
        });
    Reply::ok_with("exists", json!(exists))
}

fn list_has(
    contact: &Map<String, Value>,
    list: &str,
    key: &str,
    matches: impl Fn(&str) -> bool,
) -> bool {
    contact
        .get(list)
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items
                .iter()
                .any(|item| item.get(key).and_then(Value::as_str).is_some_and(&matches))
        })
}

fn contact_channels(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let contact_id = match required_param(&call.query_params(), "contactId") {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    if !user.has_permission("view-livechat-contact") {
        return Reply::forbidden();
    }
    // The latest channel per name.
    let mut latest: Vec<Value> = Vec::new();
    if let Some(channels) = state
        .contacts
        .get(&contact_id)
        .and_then(|c| c.get("channels"))
        .and_then(Value::as_array)
    {
        for channel in channels {
            let name = channel.get("name");
            match latest.iter_mut().find(|c| c.get("name") == name) {
                Some(slot) => *slot = channel.clone(),
                None => latest.push(channel.clone()),
            }
        }
    }
    Reply::ok_with("channels", Value::Array(latest))
}

fn contact_history(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let params = call.query_params();
    let contact_id = match required_param(&params, "contactId") {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let (count, offset) = match page(&params) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    if !user.has_permission("view-livechat-contact-history") {
        return Reply::forbidden();
    }
    if !state.contacts.get(&contact_id).is_some_and(enabled) {
        return Reply::error(400, "error-contact-not-found");
    }
    let source = params.get("source").and_then(Value::as_str);
    let chats: Vec<&Value> = state
        .history
        .get(&contact_id)
        .map(|chats| {
            chats
                .iter()
                .filter(|chat| {
                    source.is_none_or(|s| {
                        chat.pointer("/source/type").and_then(Value::as_str) == Some(s)
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let total = chats.len();
    let page: Vec<Value> = chats
        .into_iter()
        .skip(offset)
        .take(count)
        .cloned()
        .collect();
    let mut body = Map::new();
    body.insert("count".into(), json!(page.len()));
    body.insert("history".into(), Value::Array(page));
    body.insert("offset".into(), json!(offset));
    body.insert("total".into(), json!(total));
    Reply::ok(body)
}
