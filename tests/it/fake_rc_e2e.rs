//! Rocket.Chat's own REST end-to-end tests for contacts
//! (`apps/meteor/tests/end-to-end/api/livechat/contacts.ts`), run against the fake. Each test
//! names the `describe` / `it` it ports. Adaptations:
//!
//! - users, agents and custom fields the original creates through admin routes are seeded;
//! - "remove the permission from all roles" becomes a user whose roles lack it (the fake
//!   has Rocket.Chat's default role → permission map and no permission editor);
//! - rooms and visitors (which the fake has no routes for) become
//!   [`FakeRocketChat::merge_visitor`], which links a visitor and records a closed chat;
//! - the cases for routes the fake does not serve (`contacts.block`, `contacts.unblock`,
//!   room and inquiry renames) are left out.

use rocketchat_omnichannel::testing::{CustomField, FakeRocketChat, FakeUser, Visitor};
use serde_json::{Value, json};

const FORBIDDEN: &str =
    "User does not have the permissions required for this action [error-unauthorized]";

struct Rc {
    fake: FakeRocketChat,
    http: reqwest::Client,
    admin: (String, String),
    plain: (String, String),
    agent_id: String,
}

impl Rc {
    async fn new() -> Self {
        let fake = FakeRocketChat::builder()
            // describe('Custom Fields'): cf1 required, cf2 and cfOptional optional, all
            // `^[0-9]+$`, visibility "public".
            .custom_field(
                CustomField::new("cf1")
                    .label("Custom Field 1")
                    .visibility("public")
                    .regexp("^[0-9]+$")
                    .required(true),
            )
            .custom_field(
                CustomField::new("cf2")
                    .label("Custom Field 2")
                    .visibility("public")
                    .regexp("^[0-9]+$"),
            )
            .custom_field(
                CustomField::new("cfOptional")
                    .label("Optional Custom Field")
                    .visibility("public")
                    .regexp("^[0-9]+$"),
            )
            .start()
            .await
            .unwrap();
        let user = |u: FakeUser| {
            let id = fake.add_user(u);
            let token = fake.personal_access_token(&id);
            (id.to_string(), token.auth_token().expose().to_owned())
        };
        let admin = user(FakeUser::new("rc.admin").role("admin"));
        let plain = user(FakeUser::new("no.permissions"));
        let agent_id = fake.add_agent("livechat.agent", "pw").to_string();
        Self {
            fake,
            http: reqwest::Client::new(),
            admin,
            plain,
            agent_id,
        }
    }

    async fn call(
        &self,
        who: &(String, String),
        method: &str,
        route: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/api/v1/{route}", self.fake.uri());
        let request = if method == "GET" {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            self.http.get(format!("{url}?{query}"))
        } else {
            self.http
                .post(url)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body.unwrap_or(json!({}))).unwrap())
        };
        let answer = request
            .header("X-User-Id", &who.0)
            .header("X-Auth-Token", &who.1)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (
            status,
            serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap(),
        )
    }

    async fn post(&self, route: &str, body: Value) -> (u16, Value) {
        self.call(&self.admin, "POST", route, &[], Some(body)).await
    }

    async fn get(&self, route: &str, query: &[(&str, &str)]) -> (u16, Value) {
        self.call(&self.admin, "GET", route, query, None).await
    }

    /// `POST omnichannel/contacts` with the required custom field filled.
    async fn create(&self, name: &str, email: &str, phone: &str) -> String {
        let (status, body) = self
            .post(
                "omnichannel/contacts",
                json!({"name": name, "emails": [email], "phones": [phone], "customFields": {"cf1": "1"}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["contactId"].as_str().unwrap().to_owned()
    }
}

fn invalid(message: &str) -> Value {
    json!({"success": false, "error": format!("{message} [invalid-params]"), "errorType": "invalid-params"})
}

fn error(message: &str) -> Value {
    json!({"success": false, "error": message})
}

fn contact(fields: Value) -> Value {
    let mut body = json!({"name": "Jane Doe", "emails": ["jane@example.com"], "phones": ["+5511999990000"], "customFields": {"cf1": "1"}});
    for (key, value) in fields.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

// describe('[POST] omnichannel/contacts')

#[tokio::test]
async fn post_contacts() {
    let rc = Rc::new().await;
    // it('should be able to create a new contact')
    let (status, body) = rc.post("omnichannel/contacts", contact(json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert!(body["contactId"].is_string());
    // it("should return an error if user doesn't have 'create-livechat-contact' permission")
    let (status, body) = rc
        .call(
            &rc.plain,
            "POST",
            "omnichannel/contacts",
            &[],
            Some(contact(json!({}))),
        )
        .await;
    assert_eq!((status, body), (403, error(FORBIDDEN)));
    // it('should return an error if contact manager not exists')
    let (_, body) = rc
        .post(
            "omnichannel/contacts",
            contact(json!({"contactManager": "invalid"})),
        )
        .await;
    assert_eq!(body, error("error-contact-manager-not-found"));
    // it('should return an error if contact manager is not a livechat-agent')
    let (_, body) = rc
        .post(
            "omnichannel/contacts",
            contact(json!({"contactManager": rc.plain.0})),
        )
        .await;
    assert_eq!(body, error("error-contact-manager-not-found"));
    // it('should be able to create a new contact with a contact manager')
    let (_, body) = rc
        .post(
            "omnichannel/contacts",
            contact(json!({"contactManager": rc.agent_id})),
        )
        .await;
    assert_eq!(body["success"], true);
    assert!(body["contactId"].is_string());
}

#[tokio::test]
async fn post_contacts_custom_fields() {
    let rc = Rc::new().await;
    // it('should validate custom fields correctly')
    let (_, body) = rc
        .post(
            "omnichannel/contacts",
            contact(json!({"customFields": {"cf1": "123"}})),
        )
        .await;
    assert_eq!(body["success"], true);
    // it('should return an error for missing required custom field')
    let (_, body) = rc
        .post("omnichannel/contacts", contact(json!({"customFields": {}})))
        .await;
    assert_eq!(body, error("Invalid value for Custom Field 1 field"));
    // it('should return an error for invalid custom field value')
    let (_, body) = rc
        .post(
            "omnichannel/contacts",
            contact(json!({"customFields": {"cf1": "invalid"}})),
        )
        .await;
    assert_eq!(body, error("Invalid value for Custom Field 1 field"));
}

#[tokio::test]
async fn legacy_custom_fields_on_update() {
    // The original deletes cf2's definition between create and update; here the contact is
    // created against a workspace that has cf2, then a second fake without it reads the
    // same stored document.
    let rc = Rc::new().await;
    let (_, created) = rc
        .post(
            "omnichannel/contacts",
            contact(json!({"customFields": {"cf1": "123", "cf2": "456"}})),
        )
        .await;
    let id = created["contactId"].as_str().unwrap().to_owned();
    let stored = rc.fake.contact_json(&id.as_str().into()).unwrap();
    let without_cf2 = FakeRocketChat::builder()
        .custom_field(
            CustomField::new("cf1")
                .label("Custom Field 1")
                .regexp("^[0-9]+$")
                .required(true),
        )
        .custom_field(
            CustomField::new("cfOptional")
                .label("Optional Custom Field")
                .regexp("^[0-9]+$"),
        )
        .start()
        .await
        .unwrap();
    let rc = Rc {
        admin: {
            let admin = without_cf2.add_user(FakeUser::new("rc.admin").role("admin"));
            let token = without_cf2.personal_access_token(&admin);
            (admin.to_string(), token.auth_token().expose().to_owned())
        },
        fake: without_cf2,
        ..rc
    };
    rc.fake.add_contact_json(stored);
    // it('should keep a legacy custom field, but not update it, nor throw an error if it is
    // specified on update')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "customFields": {"cf1": "456", "cf2": "789"}}),
        )
        .await;
    assert_eq!(body["success"], true);
    assert_eq!(body["contact"]["_id"], id.as_str());
    assert_eq!(body["contact"]["customFields"]["cf1"], "456");
    assert_eq!(body["contact"]["customFields"]["cf2"], "456");
    // it('should keep a legacy custom field and not throw an error if it is not specified on
    // update')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "customFields": {"cf1": "789", "cfOptional": "567"}}),
        )
        .await;
    assert_eq!(
        body["contact"]["customFields"],
        json!({"cf1": "789", "cfOptional": "567", "cf2": "456"})
    );
    // it('should keep a legacy custom field, but remove an optional registered custom field
    // if it is not specified on update')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "customFields": {"cf1": "789"}}),
        )
        .await;
    assert_eq!(
        body["contact"]["customFields"],
        json!({"cf1": "789", "cf2": "456"})
    );
    // it('should throw an error if trying to update a custom field that is not registered in
    // the workspace and does not exist in the contact')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "customFields": {"cf1": "123", "cf3": "invalid"}}),
        )
        .await;
    assert_eq!(body, error("Custom field cf3 is not allowed"));
}

#[tokio::test]
async fn post_contacts_fields_validation() {
    let rc = Rc::new().await;
    for (title, body, message) in [
        (
            "should return an error if name is missing",
            json!({"name": null}),
            "must have required property 'name'",
        ),
        (
            "should return an error if emails is missing",
            json!({"emails": null}),
            "must have required property 'emails'",
        ),
        (
            "should return an error if phones is missing",
            json!({"phones": null}),
            "must have required property 'phones'",
        ),
        (
            "should return an error if emails is not an array",
            json!({"emails": "invalid"}),
            "must be array",
        ),
        (
            "should return an error if emails is not an array of strings",
            json!({"emails": [{"invalid": true}]}),
            "must be string",
        ),
        (
            "should return an error if phones is not an array of strings",
            json!({"phones": [{"invalid": true}]}),
            "must be string",
        ),
        (
            "should return an error if additional fields are provided",
            json!({"additional": "invalid"}),
            "must NOT have additional properties",
        ),
    ] {
        let (status, answer) = rc.post("omnichannel/contacts", contact(body)).await;
        assert_eq!((status, answer), (400, invalid(message)), "it('{title}')");
    }
}

// describe('[POST] omnichannel/contacts.update')

#[tokio::test]
async fn post_contacts_update() {
    let rc = Rc::new().await;
    let id = rc.create("Before", "before@example.com", "+1").await;
    // it('should be able to update a contact')
    let (status, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "name": "After", "emails": ["after@example.com"], "phones": ["+2"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["contact"]["_id"], id.as_str());
    assert_eq!(body["contact"]["name"], "After");
    assert_eq!(
        body["contact"]["emails"],
        json!([{"address": "after@example.com"}])
    );
    assert_eq!(body["contact"]["phones"], json!([{"phoneNumber": "+2"}]));
    // it('should set the unknown field to false when updating a contact')
    let mut unknown = rc.fake.contact_json(&id.as_str().into()).unwrap();
    unknown.insert("unknown".into(), json!(true));
    rc.fake.add_contact_json(unknown);
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "name": "Again"}),
        )
        .await;
    assert_eq!(body["contact"]["unknown"], false);
    // it('should be able to update the contact manager')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "contactManager": rc.agent_id}),
        )
        .await;
    assert_eq!(body["contact"]["contactManager"], rc.agent_id.as_str());
    // it('should return an error if contact does not exist')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": "invalid", "name": "X", "emails": ["x@example.com"], "phones": ["+3"]}),
        )
        .await;
    assert_eq!(body, error("error-contact-not-found"));
    // it('should return an error if contact manager not exists')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "contactManager": "invalid"}),
        )
        .await;
    assert_eq!(body, error("error-contact-manager-not-found"));
    // describe('Permissions') it("should return an error if user doesn't have
    // 'update-livechat-contact' permission")
    let (status, body) = rc
        .call(
            &rc.plain,
            "POST",
            "omnichannel/contacts.update",
            &[],
            Some(json!({"contactId": id})),
        )
        .await;
    assert_eq!((status, body), (403, error(FORBIDDEN)));
    // describe('Custom Fields')
    // it('should validate custom fields correctly')
    let (status, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "customFields": {"cf1": "123"}}),
        )
        .await;
    assert_eq!((status, &body["contact"]["_id"]), (200, &json!(id)));
    // it('should return an error for invalid custom field value')
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "customFields": {"cf1": "invalid"}}),
        )
        .await;
    assert_eq!(body, error("Invalid value for Custom Field 1 field"));
    // it('should return an error if additional custom fields are provided') — cf2 is
    // defined in this workspace, so an undefined key stands in for it.
    let (_, body) = rc
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": id, "customFields": {"cf1": "123", "cf9": "invalid"}}),
        )
        .await;
    assert_eq!(body, error("Custom field cf9 is not allowed"));
    // describe('Fields Validation')
    for (title, body, message) in [
        (
            "should return an error if contactId is missing",
            json!({"emails": ["a@b.c"], "phones": ["+1"]}),
            "must have required property 'contactId'",
        ),
        (
            "should return an error if emails is not an array",
            json!({"contactId": id, "emails": "invalid"}),
            "must be array",
        ),
        (
            "should return an error if emails is not an array of strings",
            json!({"contactId": id, "emails": [{"invalid": true}]}),
            "must be string",
        ),
        (
            "should return an error if phones is not an array",
            json!({"contactId": id, "phones": "invalid"}),
            "must be array",
        ),
        (
            "should return an error if phones is not an array of strings",
            json!({"contactId": id, "phones": [{"invalid": true}]}),
            "must be string",
        ),
        (
            "should return an error if additional fields are provided",
            json!({"contactId": id, "unknown": true}),
            "must NOT have additional properties",
        ),
    ] {
        let (status, answer) = rc.post("omnichannel/contacts.update", body).await;
        assert_eq!((status, answer), (400, invalid(message)), "it('{title}')");
    }
}

// describe('[POST] omnichannel/contacts.conflicts')

#[tokio::test]
async fn post_contacts_conflicts() {
    let rc = Rc::new().await;
    let id = rc.create("Visitor", "visitor@example.com", "+55").await;
    // The visitor sends cf1 = 123 (overwrite) and then 456 (no overwrite): a conflict.
    rc.fake.merge_visitor(
        &id.as_str().into(),
        Visitor::new().custom_field("cf1", "123"),
    );
    rc.fake.merge_visitor(
        &id.as_str().into(),
        Visitor::new().custom_field("cf1", "456"),
    );
    // it('should resolve the contact custom field conflict')
    let (status, body) = rc
        .post(
            "omnichannel/contacts.conflicts",
            json!({"contactId": id, "customFields": {"cf1": "123"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["result"]["customFields"]["cf1"], "123");
}

// describe('[GET] omnichannel/contacts.get')

#[tokio::test]
async fn get_contacts_get() {
    let rc = Rc::new().await;
    let (_, created) = rc
        .post(
            "omnichannel/contacts",
            contact(json!({"name": "Got", "emails": ["got@example.com"], "phones": ["+7"], "contactManager": rc.agent_id})),
        )
        .await;
    let id = created["contactId"].as_str().unwrap();
    // it('should be able get a contact by id')
    let (status, body) = rc
        .get("omnichannel/contacts.get", &[("contactId", id)])
        .await;
    assert_eq!(status, 200);
    assert!(body["contact"]["createdAt"].is_string());
    assert_eq!(body["contact"]["_id"], id);
    assert_eq!(body["contact"]["name"], "Got");
    assert_eq!(
        body["contact"]["emails"],
        json!([{"address": "got@example.com"}])
    );
    assert_eq!(body["contact"]["phones"], json!([{"phoneNumber": "+7"}]));
    assert_eq!(body["contact"]["contactManager"], rc.agent_id.as_str());
    // it('should return 404 if contact does not exist using contactId')
    let (status, body) = rc
        .get("omnichannel/contacts.get", &[("contactId", "invalid")])
        .await;
    assert_eq!((status, body), (404, error("Resource not found")));
    // it("should return an error if user doesn't have 'view-livechat-contact' permission")
    let (status, body) = rc
        .call(
            &rc.plain,
            "GET",
            "omnichannel/contacts.get",
            &[("contactId", id)],
            None,
        )
        .await;
    assert_eq!((status, body), (403, error(FORBIDDEN)));
    // it('should return an error if contactId and visitor association is missing')
    let (status, body) = rc.get("omnichannel/contacts.get", &[]).await;
    assert_eq!(
        (status, body),
        (400, invalid("must have required property 'contactId'"))
    );
    // describe('Last Chat') it('should not return the last chat if contact never chatted')
    let (_, body) = rc
        .get("omnichannel/contacts.get", &[("contactId", id)])
        .await;
    assert!(body["contact"].get("lastChat").is_none());
    // it('should return the last chat') — after a visitor chatted.
    rc.fake.merge_visitor(&id.into(), Visitor::new());
    let (_, body) = rc
        .get("omnichannel/contacts.get", &[("contactId", id)])
        .await;
    assert!(body["contact"]["lastChat"]["ts"].is_string());
    assert_eq!(
        body["contact"]["lastChat"]["_id"],
        body["contact"]["channels"][0]["lastChat"]["_id"]
    );
}

// describe('[POST] omnichannel/contacts.delete')

#[tokio::test]
async fn post_contacts_delete() {
    let rc = Rc::new().await;
    let id = rc.create("Erase Me", "erase@example.com", "+9").await;
    // it("should return an error if user doesn't have 'delete-livechat-contact' permission")
    let (status, body) = rc
        .call(
            &rc.plain,
            "POST",
            "omnichannel/contacts.delete",
            &[],
            Some(json!({"contactId": id})),
        )
        .await;
    assert_eq!((status, body), (403, error(FORBIDDEN)));
    // it('should be able to disable a contact by its id')
    let (status, body) = rc
        .post("omnichannel/contacts.delete", json!({"contactId": id}))
        .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    // it('should return 404 if contact is not found'): the older spec; the newest route
    // (apps/meteor/server/api/v1/omnichannel/contact.ts at 4dda5476) answers 400 with the
    // error, which the fake plays from 8.8.0.
    let (status, body) = rc
        .post(
            "omnichannel/contacts.delete",
            json!({"contactId": "invalid"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"success": false, "error": "error-contact-not-found"})
    );
}

// describe('[GET] omnichannel/contacts.checkExistence')

#[tokio::test]
async fn get_contacts_check_existence() {
    let rc = Rc::new().await;
    let id = rc.create("Exists", "exists@example.com", "+4455").await;
    for (title, key, value, exists) in [
        (
            "should confirm a contact exists when checking by contact id",
            "contactId",
            id.as_str(),
            true,
        ),
        (
            "should confirm a contact does not exist when checking by contact id",
            "contactId",
            "invalid-contact-id",
            false,
        ),
        (
            "should confirm a contact exists when checking by email",
            "email",
            "exists@example.com",
            true,
        ),
        (
            "should confirm a contact does not exist when checking by email",
            "email",
            "invalid-email@example.com",
            false,
        ),
        (
            "should confirm a contact exists when checking by phone",
            "phone",
            "+4455",
            true,
        ),
        (
            "should confirm a contact does not exist when checking by phone",
            "phone",
            "invalid-phone",
            false,
        ),
    ] {
        let (status, body) = rc
            .get("omnichannel/contacts.checkExistence", &[(key, value)])
            .await;
        assert_eq!(
            (status, body),
            (200, json!({"exists": exists, "success": true})),
            "it('{title}')"
        );
    }
    // it("should return an error if user doesn't have 'view-livechat-contact' permission")
    let (status, body) = rc
        .call(
            &rc.plain,
            "GET",
            "omnichannel/contacts.checkExistence",
            &[("contactId", &id)],
            None,
        )
        .await;
    assert_eq!((status, body), (403, error(FORBIDDEN)));
    // it('should return an error if all query params are missing')
    let (status, body) = rc.get("omnichannel/contacts.checkExistence", &[]).await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "must have required property 'contactId'\n must have required property 'email'\n \
                 must have required property 'phone'\n must match exactly one schema in oneOf"
            )
        )
    );
    // it('should return an error if more than one field is provided')
    let (status, body) = rc
        .get(
            "omnichannel/contacts.checkExistence",
            &[
                ("contactId", &id),
                ("email", "exists@example.com"),
                ("phone", "+4455"),
            ],
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "must NOT have additional properties\n must NOT have additional properties\n \
                 must NOT have additional properties\n must match exactly one schema in oneOf"
            )
        )
    );
}

// describe('[GET] omnichannel/contacts.search')

#[tokio::test]
async fn get_contacts_search() {
    let rc = Rc::new().await;
    let id = rc
        .create(
            "Searchable Person",
            "search.me@example.com",
            "+551133334444",
        )
        .await;
    let mut unknown = serde_json::Map::new();
    unknown.insert("name".into(), json!("Auto Visitor"));
    unknown.insert("unknown".into(), json!(true));
    rc.fake.add_contact_json(unknown);
    // it('should be able to list all contacts')
    let (status, body) = rc.get("omnichannel/contacts.search", &[]).await;
    assert_eq!(status, 200);
    assert!(!body["contacts"].as_array().unwrap().is_empty());
    assert!(body["count"].is_number() && body["total"].is_number() && body["offset"].is_number());
    // it('should return only known contacts by default')
    assert_eq!(body["contacts"][0]["unknown"], false);
    // it('should be able to filter contacts by unknown field')
    let (_, body) = rc
        .get("omnichannel/contacts.search", &[("unknown", "true")])
        .await;
    assert_eq!(body["contacts"][0]["unknown"], true);
    for (title, text) in [
        (
            "should return only contacts that match the searchText using email",
            "search.me@example.com",
        ),
        (
            "should return only contacts that match the searchText using phone number",
            "+551133334444",
        ),
        (
            "should return only contacts that match the searchText using name",
            "Searchable Person",
        ),
    ] {
        let (status, body) = rc
            .get("omnichannel/contacts.search", &[("searchText", text)])
            .await;
        assert_eq!(status, 200, "it('{title}')");
        assert_eq!(
            body["contacts"].as_array().unwrap().len(),
            1,
            "it('{title}')"
        );
        assert_eq!(body["total"], 1, "it('{title}')");
        assert_eq!(body["contacts"][0]["_id"], id.as_str(), "it('{title}')");
        assert_eq!(body["contacts"][0]["name"], "Searchable Person");
    }
    // it('should return an empty list if no contacts exist')
    let (_, body) = rc
        .get("omnichannel/contacts.search", &[("searchText", "invalid")])
        .await;
    assert_eq!(
        (body["contacts"].clone(), body["total"].clone()),
        (json!([]), json!(0))
    );
    // describe('Permissions') it("should return an error if user doesn't have
    // 'view-livechat-contact' permission")
    let (status, body) = rc
        .call(&rc.plain, "GET", "omnichannel/contacts.search", &[], None)
        .await;
    assert_eq!((status, body), (403, error(FORBIDDEN)));
}

// describe('[GET] omnichannel/contacts.history')

#[tokio::test]
async fn get_contacts_history() {
    let rc = Rc::new().await;
    let id = rc.create("Chatty", "chatty@example.com", "+12").await;
    rc.fake.merge_visitor(&id.as_str().into(), Visitor::new());
    // it('should be able to list a contact history') — the fake's chats come from the
    // widget; `closer`/`closedBy` are not recorded by the fake.
    let (status, body) = rc
        .get("omnichannel/contacts.history", &[("contactId", &id)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["history"].as_array().unwrap().len(), 1);
    assert_eq!(body["total"], 1);
    assert!(body["count"].is_number() && body["offset"].is_number());
    assert!(body["history"][0]["closedAt"].is_string());
    // it('should be able to filter a room by the source')
    let (_, body) = rc
        .get(
            "omnichannel/contacts.history",
            &[("contactId", &id), ("source", "widget")],
        )
        .await;
    assert_eq!(body["total"], 1);
    assert_eq!(body["history"][0]["source"]["type"], "widget");
    let (_, body) = rc
        .get(
            "omnichannel/contacts.history",
            &[("contactId", &id), ("source", "api")],
        )
        .await;
    assert_eq!(body["total"], 0);
    // it('should return an empty list if contact does not have history')
    let quiet = rc.create("Quiet", "quiet@example.com", "+13").await;
    let (_, body) = rc
        .get("omnichannel/contacts.history", &[("contactId", &quiet)])
        .await;
    assert_eq!(
        (body["history"].clone(), body["total"].clone()),
        (json!([]), json!(0))
    );
    // it('should return an error if contacts not exists')
    let (status, body) = rc
        .get("omnichannel/contacts.history", &[("contactId", "invalid")])
        .await;
    assert_eq!((status, body), (400, error("error-contact-not-found")));
}

// describe('[GET] omnichannel/contacts.channels')

#[tokio::test]
async fn get_contacts_channels() {
    let rc = Rc::new().await;
    let id = rc.create("Channel", "channel@example.com", "+14").await;
    // it('should return an empty array if contact does not have channels')
    let (status, body) = rc
        .get("omnichannel/contacts.channels", &[("contactId", &id)])
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"channels": [], "success": true}))
    );
    // it('should be able get the channels of a contact by his id')
    rc.fake.merge_visitor(&id.as_str().into(), Visitor::new());
    let (_, body) = rc
        .get("omnichannel/contacts.channels", &[("contactId", &id)])
        .await;
    let channels = body["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0]["verified"], false);
    assert_eq!(channels[0]["blocked"], false);
    assert!(channels[0]["lastChat"].is_object());
    assert!(channels[0]["visitor"]["visitorId"].is_string());
    // it('should return an empty array if contact does not exist')
    let (status, body) = rc
        .get("omnichannel/contacts.channels", &[("contactId", "invalid")])
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"channels": [], "success": true}))
    );
    // it("should return an error if user doesn't have 'view-livechat-contact' permission")
    let (status, body) = rc
        .call(
            &rc.plain,
            "GET",
            "omnichannel/contacts.channels",
            &[("contactId", &id)],
            None,
        )
        .await;
    assert_eq!((status, body), (403, error(FORBIDDEN)));
    // it('should return an error if contactId is missing')
    let (status, body) = rc.get("omnichannel/contacts.channels", &[]).await;
    assert_eq!(
        (status, body),
        (400, invalid("must have required property 'contactId'"))
    );
}
