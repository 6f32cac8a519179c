use serde_json::{Map, Value, json};

use super::search::Found;
use super::store::ContactStore;
use super::view::View;

fn doc(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// The view by change pages exactly as the general sort does (MongoDB's order: missing
/// and `null` lowest, then numbers, then strings), through rewrites and removals.
#[test]
fn the_view_by_change_agrees_with_the_general_sort() {
    let mut store = ContactStore::default();
    let stamps = [
        json!("2026-12-03T10:00:00.000Z"),
        json!("2026-12-03T10:00:00.000Z"),
        json!("2026-12-03T09:59:59.999Z"),
        Value::Null,
        json!(17),
    ];
    for i in 0..40 {
        let id = format!("id{:02}", (i * 13) % 40);
        let mut d = doc(json!({"_id": id, "name": format!("n{i}"), "unknown": false}));
        if i % 7 != 0 {
            d.insert("_updatedAt".into(), stamps[i % stamps.len()].clone());
        }
        store.put(&id, &d);
    }
    store.put(
        "id05",
        &doc(json!({
            "_id": "id05", "name": "x", "unknown": false,
            "_updatedAt": "2027-01-01T00:00:00.000Z",
        })),
    );
    store.remove("id07");
    store.check_views();
    for descending in [true, false] {
        let sort = [
            ("_updatedAt".to_owned(), descending),
            ("_id".to_owned(), descending),
        ];
        for (offset, count) in [(0, 100), (3, 7), (30, 20)] {
            let general = store.sorted_page(false, "", &sort, offset, count);
            let view = store.search(false, "", View::Updated, descending, offset, count);
            assert_eq!(view.total, general.total);
            assert_eq!(view.contacts, general.contacts, "{descending} {offset}");
        }
    }
    let newest = store.search(false, "", View::Updated, true, 0, 1);
    assert_eq!(newest.contacts[0]["_id"], "id05");
}

#[test]
fn views_follow_puts_and_removes() {
    let mut store = ContactStore::default();
    store.put("b", &doc(json!({"name": "bob", "unknown": false})));
    store.put("a", &doc(json!({"name": "Zed", "unknown": false})));
    store.put("c", &doc(json!({"name": "amy"})));
    store.put(
        "d",
        &doc(json!({"name": "al", "unknown": false, "enabled": false})),
    );
    store.check_views();
    let found = store.search(false, "", View::Name, false, 0, 10);
    let names: Vec<_> = found.contacts.iter().map(|c| c["name"].clone()).collect();
    // Binary order: upper case before lower case; no `unknown` key → not listed.
    assert_eq!(names, [json!("Zed"), json!("bob")]);
    assert_eq!(found.total, 2);
    store.put("a", &doc(json!({"name": "carl", "unknown": false})));
    store.check_views();
    let found = store.search(false, "", View::Name, true, 0, 1);
    assert_eq!(found.contacts[0]["name"], "carl");
    assert!(store.remove("b"));
    store.check_views();
    assert_eq!(store.search(false, "", View::Id, false, 0, 10).total, 1);
    assert!(store.get_enabled("d").is_none());
    assert!(store.get("d").is_some());
}

#[test]
fn a_bulk_load_sorts_once_and_then_takes_single_puts() {
    let mut store = ContactStore::default();
    for (id, name) in [("3", "c"), ("1", "a"), ("2", "b"), ("1", "z")] {
        store.put_unindexed(id, &doc(json!({"name": name, "unknown": false})));
    }
    store.rebuild_views();
    store.check_views();
    let found = store.search(false, "", View::Name, false, 0, 10);
    let names: Vec<_> = found.contacts.iter().map(|c| c["name"].clone()).collect();
    assert_eq!(names, [json!("b"), json!("c"), json!("z")]);
    store.put("4", &doc(json!({"name": "a", "unknown": false})));
    store.check_views();
    assert_eq!(
        store.search(false, "", View::Name, false, 0, 1).contacts[0]["name"],
        "a"
    );
}

#[test]
fn replaced_text_never_matches_and_the_arena_compacts() {
    let mut store = ContactStore::default();
    let long = "x".repeat(10_000);
    store.put("keep", &doc(json!({"name": "keeper", "unknown": false})));
    for i in 0..300 {
        let name = format!("{long}needle{i}");
        store.put("a", &doc(json!({"name": name, "unknown": false})));
    }
    assert!(store.garbage < store.text.len(), "compacted along the way");
    let found = store.search(false, "needle2", View::Name, false, 0, 10);
    assert_eq!(found.total, 1, "only the current text of `a` counts");
    assert_eq!(
        store
            .search(false, "needle1", View::Name, false, 0, 10)
            .total,
        0
    );
    assert_eq!(
        store.search(false, "keeper", View::Id, false, 0, 10).total,
        1
    );
    store.remove("a");
    assert_eq!(
        store
            .search(false, "needle", View::Name, false, 0, 10)
            .total,
        0
    );
}

#[test]
fn other_orders_read_only_their_fields() {
    let mut store = ContactStore::default();
    store.put(
        "1",
        &doc(json!({"name": "a", "unknown": false, "createdAt": "2025-01-02", "x": {"y": 2}})),
    );
    store.put(
        "2",
        &doc(json!({"name": "b", "unknown": false, "createdAt": "2025-01-03", "x": {"y": 1}})),
    );
    store.put("3", &doc(json!({"name": "c", "unknown": false})));
    let ids = |found: Found| -> Vec<String> {
        found
            .contacts
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let newest = store.sorted_page(false, "", &[("createdAt".into(), true)], 0, 10);
    assert_eq!(ids(newest), ["b", "a", "c"], "missing sorts lowest");
    let nested = store.sorted_page(false, "", &[("x.y".into(), false)], 1, 10);
    assert_eq!(nested.total, 3);
    assert_eq!(ids(nested), ["b", "a"]);
}

#[test]
fn search_text_counts_every_match_and_pages() {
    let mut store = ContactStore::default();
    for i in 0..10 {
        let name = format!("n{i}");
        store.put(
            &format!("id{i}"),
            &doc(json!({"name": name, "unknown": false, "emails": [{"address": format!("U{i}@X.org")}]})),
        );
    }
    let found = store.search(false, "@x.org", View::Name, false, 8, 5);
    assert_eq!(found.total, 10);
    assert_eq!(found.contacts.len(), 2);
    let page = store.sorted_page(false, "u3@", &[("name".into(), true)], 0, 10);
    assert_eq!(page.total, 1);
}
