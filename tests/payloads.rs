//! Every payload shape of the notes and fixtures, normalised.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use jim_cache::payload::{parse_events, parse_messages, parse_sent, Account, Mode};
use jim_cache::{ConvId, Kind, MemoryStorage};
use serde_json::{json, Value};

const ACCT: Account = Account { appkey: APPKEY, username: ME };

fn one(v: &Value) -> jim_cache::payload::Incoming {
    let b = parse_messages(v, Mode::Realtime, ACCT).unwrap();
    assert!(b.rejected.is_empty(), "{:?}", b.rejected);
    assert_eq!(b.messages.len(), 1);
    b.messages.into_iter().next().unwrap()
}

fn body(m: &jim_cache::payload::Incoming) -> Value {
    serde_json::from_str(m.record.body.get()).unwrap()
}

#[test]
fn sync_single_entry_keys_by_peer_and_keeps_order_fields() {
    let b = parse_messages(&fixture("sync_offline_single_text"), Mode::History, ACCT).unwrap();
    assert_eq!(b.messages.len(), 2);
    let m = &b.messages[0];
    assert_eq!(m.conv, ConvId::single(APPKEY, "bob_01"));
    assert_eq!((m.record.id, m.record.time), (50281930011, 1717401200123));
    assert_eq!(m.record.from, "bob_01");
    assert!(!m.record.out);
    assert_eq!(body(&b.messages[1]), json!({"text": "我带水和零食", "extras": {"client_tag": "m-889"}}));
}

#[test]
fn sync_group_entry_with_every_media_kind() {
    let b = parse_messages(&fixture("sync_offline_group_mixed_media"), Mode::History, ACCT).unwrap();
    let kinds: Vec<Kind> = b.messages.iter().map(|m| m.record.kind).collect();
    assert_eq!(kinds, vec![Kind::Image, Kind::Voice, Kind::Location]);
    assert!(b.messages.iter().all(|m| m.conv == ConvId::group(22334455)));
    let image = body(&b.messages[0]);
    assert_eq!(image["media_crc32"], json!(2778919613u64), "crc32 above i32 survives");
    assert_eq!(image["width"], json!(1080));
    assert_eq!(body(&b.messages[1])["duration"], json!(6));
    assert_eq!(body(&b.messages[2])["label"], json!("深圳市福田区市民中心"));
    // Android sender: create_time in seconds is never used for order.
    assert_eq!(b.messages[1].record.time, 1717402031250);
}

#[test]
fn mixed_sync_and_legacy_shape() {
    let b = parse_messages(&fixture("sync_mixed_single_and_group"), Mode::History, ACCT).unwrap();
    assert_eq!(b.messages[0].conv, ConvId::single(APPKEY, "erin_x"));
    assert_eq!(b.messages[0].record.kind, Kind::Custom);
    assert_eq!(body(&b.messages[0]), json!({"card_type": "order", "order_id": "SO-20240603-0042", "amount": 129.5}));
    assert_eq!(b.messages[1].conv, ConvId::group(22334455));
    assert_eq!(body(&b.messages[1])["at_list"][0]["username"], json!("wx_alice"));
    let legacy = parse_messages(&fixture("sync_legacy_wxapplet_1_0_shape"), Mode::History, ACCT).unwrap();
    assert_eq!(legacy.messages[0].conv, ConvId::single(APPKEY, "bob_01"));
}

#[test]
fn roaming_sync_files_own_messages_under_the_peer() {
    let b = parse_messages(&fixture("sync_roaming_with_self_sent_and_receipts"), Mode::History, ACCT).unwrap();
    assert!(b.messages.iter().all(|m| m.conv == ConvId::single(APPKEY, "bob_01")));
    assert!(b.messages.iter().any(|m| m.record.out), "roaming includes my own messages");
    assert!(b.messages.iter().any(|m| !m.record.out));
}

#[test]
fn realtime_every_content_type() {
    let cases = [
        ("realtime_single_text", Kind::Text),
        ("realtime_single_image", Kind::Image),
        ("realtime_single_voice_android", Kind::Voice),
        ("realtime_single_file_web", Kind::File),
        ("realtime_group_location", Kind::Location),
        ("realtime_single_custom", Kind::Custom),
        ("realtime_single_video_native", Kind::Video),
        ("realtime_single_video_as_file_miniprogram", Kind::Video),
    ];
    for (name, kind) in cases {
        let m = one(&fixture(name));
        assert_eq!(m.record.kind, kind, "{name}");
    }
    let native = body(&one(&fixture("realtime_single_video_native")));
    assert!(native["media_id"].is_string() && native["thumb"]["media_id"].is_string(), "{native}");
    let as_file = body(&one(&fixture("realtime_single_video_as_file_miniprogram")));
    assert_eq!(as_file["format"], json!("mp4"));
    assert_eq!(as_file["media_id"], json!("qiniu/file/j/88AA77BB66CC55DD.mp4"));
}

#[test]
fn groups_have_no_top_level_sender_and_at_all_is_kept() {
    let m = one(&fixture("realtime_group_text_at_all"));
    assert_eq!(m.conv, ConvId::group(22334455));
    assert_eq!(m.record.from, "dave_7");
    assert_eq!(body(&m)["at_list"], json!([]));
}

#[test]
fn own_messages_from_another_device() {
    let m = one(&fixture("realtime_self_sent_other_device_single"));
    assert!(m.record.out);
    // target_appkey is "" (Android): falls back to from_appkey.
    assert_eq!(m.conv, ConvId::single(APPKEY, "bob_01"));
    let g = one(&fixture("realtime_self_sent_other_device_group"));
    assert!(g.record.out);
    assert_eq!(g.conv, ConvId::group(22334455));
}

#[test]
fn a_batch_can_mix_conversations_and_apps() {
    let b = parse_messages(&fixture("realtime_batch_two_conversations"), Mode::Realtime, ACCT).unwrap();
    assert_eq!(b.messages[0].conv, ConvId::single("9f8e7d6c5b4a39281706f5e4", "frank_cross"));
    assert_eq!(b.messages[1].conv, ConvId::group(22334455));
}

#[test]
fn retraction_events_all_three_shapes() {
    let e = parse_events(&fixture("event_retract_single_realtime"), ACCT).unwrap();
    assert_eq!(e.retractions[0].conv, Some(ConvId::single(APPKEY, "bob_01")));
    assert_eq!(e.retractions[0].ids, vec![50283503003]);
    let e = parse_events(&fixture("event_retract_group_offline_sync"), ACCT).unwrap();
    assert_eq!(e.retractions.len(), 1);
    assert_eq!(e.retractions[0].conv, Some(ConvId::group(22334455)));
    assert_eq!(e.retractions[0].ids, vec![50283504004]);
    assert_eq!(e.ignored, 1, "event 12 (group change) is not a message event");
    let e = parse_events(&fixture("event_retract_by_self_other_device"), ACCT).unwrap();
    assert_eq!(e.retractions[0].conv, Some(ConvId::single(APPKEY, "bob_01")));
}

#[test]
fn send_on_success_pair() {
    let (data, msg) = fixtures().remove("send_single_text_onSuccess").unwrap();
    let b = parse_sent(&data, &msg.unwrap(), ACCT).unwrap();
    let m = &b.messages[0];
    assert_eq!((m.record.id, m.record.time, m.record.out), (50283600001, 1717407500999, true));
    assert_eq!(m.conv, ConvId::single(APPKEY, "bob_01"));
    let failed = parse_sent(&json!({"code": 880001, "msg_id": 1}), &json!({}), ACCT).unwrap();
    assert_eq!(failed.rejected.len(), 1);
    assert!(parse_sent(&json!(null), &json!({}), ACCT).is_err());
}

#[test]
fn not_messages_are_not_stored() {
    // Receipts, unread updates, typing, getConversation: none is a message batch.
    let mut cache = open(MemoryStorage::new(), config());
    for name in ["receipt_change_realtime", "muti_unread_msg_update", "trans_msg_typing", "get_conversation_result"] {
        let r = cache.cache_messages(&fixture(name), Mode::Realtime);
        match r {
            Err(e) => assert_eq!(e.code(), "BAD_PAYLOAD", "{name}"),
            Ok(rep) => assert_eq!(rep.added, 0, "{name}: {rep:?}"),
        }
    }
    assert_eq!(cache.stats().messages, 0);
    let room = json!({"messages": [{"msg_id": 5, "ctime_ms": 1717400000000u64, "content": {"target_type": "chatroom", "from_id": "x", "msg_type": "text", "msg_body": {"text": "hi"}}}]});
    let rep = cache.cache_messages(&room, Mode::Realtime).unwrap();
    assert_eq!((rep.added, rep.ignored), (0, 1));
}

#[test]
fn ids_and_times_in_every_accepted_form() {
    let mut m = single(1, 1717400000000, "bob_01", "x");
    m["msg_id"] = json!("43143728109");
    m["ctime_ms"] = json!("1717400000001");
    let r = one(&m);
    assert_eq!((r.record.id, r.record.time), (43143728109, 1717400000001));
    // ctime_ms absent: create_time (seconds) scaled to ms.
    let mut m = single(2, 1, "bob_01", "x");
    m.as_object_mut().unwrap().remove("ctime_ms");
    m["content"]["create_time"] = json!(1717400000);
    assert_eq!(one(&m).record.time, 1717400000000);
    // ctime_ms given in seconds.
    let mut m = single(3, 1, "bob_01", "x");
    m["ctime_ms"] = json!(1717400000);
    assert_eq!(one(&m).record.time, 1717400000000);
}

#[test]
fn malformed_messages_are_rejected_with_reasons_and_the_rest_kept() {
    let good = single(10, 1717400000000, "bob_01", "ok");
    let mut cases: Vec<(Value, &str)> = vec![
        (json!(null), "neither"),
        (json!(42), "neither"),
        (json!({"msg_id": 11}), "content"),
        (json!({"msg_id": 1.5, "content": {}}), "msg_id"),
        (json!({"msg_id": -3, "content": {}}), "msg_id"),
        (json!({"msg_id": 9007199254740993u64, "content": {}}), "out of range"),
        (json!({"msg_id": "12x", "content": {}}), "msg_id"),
    ];
    let mut no_from = single(12, 1717400000000, "bob_01", "x");
    no_from["content"].as_object_mut().unwrap().remove("from_id");
    no_from.as_object_mut().unwrap().remove("from_username");
    cases.push((no_from, "from_id"));
    let mut no_time = single(13, 1, "bob_01", "x");
    no_time.as_object_mut().unwrap().remove("ctime_ms");
    no_time["content"].as_object_mut().unwrap().remove("create_time");
    cases.push((no_time, "time"));
    let mut no_text = single(14, 1717400000000, "bob_01", "x");
    no_text["content"]["msg_body"] = json!({});
    cases.push((no_text, "msg_body.text"));
    let mut huge = single(15, 1717400000000, "bob_01", "x");
    huge["content"]["msg_body"]["text"] = json!("字".repeat(700_000));
    cases.push((huge, "too large"));
    for (bad, why) in cases {
        let b = parse_messages(&json!({"messages": [good.clone(), bad.clone()]}), Mode::Realtime, ACCT).unwrap();
        assert_eq!(b.messages.len(), 1, "{bad}");
        assert_eq!(b.rejected.len(), 1, "{bad}");
        assert!(b.rejected[0].reason.contains(why), "{why}: {:?}", b.rejected[0]);
    }
}

#[test]
fn unknown_types_are_kept_not_dropped() {
    let mut m = single(20, 1717400000000, "bob_01", "x");
    m["content"]["msg_type"] = json!("sticker");
    m["content"]["msg_body"] = json!({"pack": 3, "id": "wave"});
    let r = one(&m);
    assert_eq!(r.record.kind, Kind::Unknown);
    assert_eq!(body(&r), json!({"msg_type": "sticker", "msg_body": {"pack": 3, "id": "wave"}}));
}

#[test]
fn payloads_that_are_not_batches_are_errors() {
    for bad in [json!(null), json!(3), json!("x"), json!(true), json!({"foo": 1})] {
        let e = parse_messages(&bad, Mode::Realtime, ACCT).unwrap_err();
        assert_eq!(e.code(), "BAD_PAYLOAD", "{bad}");
    }
    assert_eq!(parse_events(&json!("x"), ACCT).unwrap_err().code(), "BAD_PAYLOAD");
    assert_eq!(Mode::parse("offline").unwrap_err().code(), "BAD_ARGUMENT");
}

#[test]
fn one_id_in_two_conversations_in_a_batch_keeps_the_first() {
    // Found by fuzzing: the same msg_id filed once as single, once as group.
    let b = parse_messages(
        &json!({"messages": [single(7, 1717400000000, "bob_01", "a"), group(7, 1717400000000, 9, "bob_01", "b")]}),
        Mode::Realtime,
        ACCT,
    )
    .unwrap();
    assert_eq!(b.messages.len(), 1);
    assert_eq!(b.messages[0].conv, ConvId::single(APPKEY, "bob_01"));
    assert!(b.rejected[0].reason.contains("already used"), "{:?}", b.rejected);
}
