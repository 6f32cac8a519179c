//! The fake's indexes at scale: a large seed pages completely and consistently in every
//! order the views hold, while writes move contacts between views. (Speed is measured
//! outside the tests; see the report's figures.)

use std::collections::BTreeSet;

use rocketchat_omnichannel::testing::FakeRocketChat;
use serde_json::{Value, json};

const CONTACTS: usize = 20_000;

fn seed() -> String {
    let contacts: Vec<Value> = (0..CONTACTS)
        .map(|i| {
            json!({
                "_id": format!("c{i:06}"),
                // Names repeat and mix cases so ties and byte order matter.
                "name": format!("{} {:04}", ["ana", "Bruno", "carla", "Diego"][i % 4], (i * 7919) % 5000),
                "emails": [{"address": format!("p{i}@example.com")}],
                "phones": [{"phoneNumber": format!("+5511{i:08}")}],
                "unknown": i % 10 == 0,
            })
        })
        .collect();
    json!({
        "users": [{"_id": "a1", "username": "agent", "roles": ["user", "livechat-agent"]}],
        "personalAccessTokens": [{"userId": "a1", "token": "t1"}],
        "contacts": contacts,
    })
    .to_string()
}

async fn page(http: &reqwest::Client, uri: &str, query: &str) -> Value {
    let answer = http
        .get(format!("{uri}/api/v1/omnichannel/contacts.search?{query}"))
        .header("X-User-Id", "a1")
        .header("X-Auth-Token", "t1")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap()
}

async fn walk(http: &reqwest::Client, uri: &str, sort: &str, extra: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let query = format!("count=100&offset={}&sort={sort}{extra}", all.len());
        let body = page(http, uri, &query).await;
        let items = body["contacts"].as_array().unwrap().clone();
        assert_eq!(body["count"], 100);
        if items.is_empty() {
            return all;
        }
        all.extend(items);
        assert!(all.len() <= CONTACTS, "no page repeats forever");
    }
}

fn ordered_by(items: &[Value], key: &str, descending: bool) -> bool {
    items.windows(2).all(|w| {
        let (a, b) = (w[0][key].as_str().unwrap(), w[1][key].as_str().unwrap());
        let (a, b) = if descending { (b, a) } else { (a, b) };
        a.as_bytes() <= b.as_bytes()
    })
}

#[tokio::test]
async fn every_view_lists_every_contact_once_in_order() {
    let fake = FakeRocketChat::builder()
        .seed_json(&seed())
        .unwrap()
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let uri = fake.uri();
    let known = CONTACTS - CONTACTS / 10;
    for (sort, key, descending) in [
        ("%7B%22name%22%3A1%7D", "name", false),
        ("%7B%22name%22%3A-1%7D", "name", true),
        ("%7B%22_id%22%3A1%7D", "_id", false),
        ("%7B%22_id%22%3A-1%7D", "_id", true),
    ] {
        let all = walk(&http, &uri, sort, "").await;
        assert_eq!(all.len(), known, "{sort}");
        let ids: BTreeSet<&str> = all.iter().map(|c| c["_id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), known, "{sort}: no contact twice");
        assert!(ordered_by(&all, key, descending), "{sort}");
        assert!(all.iter().all(|c| c["unknown"] == false));
    }
    let unknown = walk(&http, &uri, "%7B%22_id%22%3A1%7D", "&unknown=true").await;
    assert_eq!(unknown.len(), CONTACTS / 10);

    // searchText counts every match, not just the page.
    let body = page(&http, &uri, "count=10&searchText=BRUNO").await;
    assert_eq!(
        body["total"],
        CONTACTS / 4,
        "every Bruno (odd ids, all known)"
    );
    let body = page(&http, &uri, "searchText=p12345%40").await;
    assert_eq!(body["total"], 1);
    assert_eq!(body["contacts"][0]["_id"], "c012345");

    // A rename moves the contact in the name view; a delete takes it out of every view.
    let rename = json!({"contactId": "c000001", "name": "AAAA first"});
    let delete = json!({"contactId": "c000002"});
    let admin = fake.add_user(rocketchat_omnichannel::testing::FakeUser::new("root").role("admin"));
    let token = fake.personal_access_token(&admin);
    for (route, body) in [("contacts.update", rename), ("contacts.delete", delete)] {
        let answer = http
            .post(format!("{uri}/api/v1/omnichannel/{route}"))
            .header("X-User-Id", admin.as_str())
            .header("X-Auth-Token", token.auth_token().expose())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{route}");
    }
    let first = page(&http, &uri, "count=1").await;
    assert_eq!(first["contacts"][0]["_id"], "c000001");
    assert_eq!(first["total"], known - 1);
    let all = walk(&http, &uri, "%7B%22name%22%3A1%7D", "").await;
    assert_eq!(all.len(), known - 1);
    assert!(ordered_by(&all, "name", false));
    let body = page(&http, &uri, "searchText=p2%40example").await;
    assert_eq!(
        body["total"], 0,
        "the deleted contact's text no longer matches"
    );
}
