//! JavaScript bindings (wasm32 only): a thin layer over [`Cache`].
//!
//! Data crosses the boundary as JSON text: the JS glue `JSON.stringify`s the
//! SDK payload once and `JSON.parse`s the answer once. That is one string
//! copy each way, keeps every value JSON-compatible (the storage bridge drops
//! `Map`s and typed arrays), and lets record bodies pass through Rust without
//! being parsed. Errors become real JS `Error`s named `JimCacheError` with a
//! stable `code` (see [`Error::code`]).
//!
//! Storage is a JS object with `get`, `set`, `remove`, `keys` and `usage`
//! methods; the glue builds it over `wx` (see `js/wx-storage.js`).

use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::cache::{Cache, Config};
use crate::conversation::ConvId;
use crate::error::Error;
use crate::payload::Mode;
use crate::record::Pos;
use crate::report::OpenReport;
use crate::index::{IndexValue, Splice};
use crate::storage::{DirectoryValue, PositionsValue, Storage, StorageError, Usage};

#[wasm_bindgen]
extern "C" {
    /// The storage object passed to the constructor.
    pub type JsStorage;

    /// The value, or `null`/`undefined` when missing. Throws on failure.
    #[wasm_bindgen(method, catch)]
    fn get(this: &JsStorage, key: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn set(this: &JsStorage, key: &str, value: &str) -> Result<(), JsValue>;
    /// `key` = the value of `base` with `insert` spliced in before its
    /// closing `]}` (see `Storage::set_appended`).
    #[wasm_bindgen(method, catch, js_name = setAppended)]
    fn set_appended(this: &JsStorage, key: &str, base: &str, insert: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn remove(this: &JsStorage, key: &str) -> Result<(), JsValue>;
    /// JSON array of the keys starting with `prefix`.
    #[wasm_bindgen(method, catch)]
    fn keys(this: &JsStorage, prefix: &str) -> Result<String, JsValue>;
    /// The keys starting with `prefix`, without it, each after a "\n"; `null`
    /// when one holds a line break.
    #[wasm_bindgen(method, catch, js_name = keySuffixes)]
    fn key_suffixes(this: &JsStorage, prefix: &str) -> Result<Option<String>, JsValue>;
    /// The directory value at `key` as `{ids, numbers}` (or `{unreadable}`),
    /// `null` when missing: see `DirectoryValue`.
    #[wasm_bindgen(method, catch, js_name = getDirectory)]
    fn get_directory(this: &JsStorage, key: &str) -> Result<JsValue, JsValue>;
    /// The chunk value at `key` as `{conv, numbers}` (positions only), or
    /// its text, `null` when missing: see `PositionsValue`.
    #[wasm_bindgen(method, catch, js_name = getPositions)]
    fn get_positions(this: &JsStorage, key: &str) -> Result<JsValue, JsValue>;
    /// The index value `head` + entries.join(",") + `tail`, where entries
    /// are `inserted` (split at "\n") when `reset`, else those of the last
    /// value written through this method with the runs of `ops`
    /// (`[at, remove, insert count]` each) applied.
    #[wasm_bindgen(method, catch, js_name = setIndex)]
    fn set_index(this: &JsStorage, key: &str, head: &str, tail: &str, reset: bool, ops: &[f64], inserted: &str) -> Result<(), JsValue>;
    /// JSON `[usedBytes, limitBytes]` for the whole app, or `null`.
    #[wasm_bindgen(method, catch)]
    fn usage(this: &JsStorage) -> Result<Option<String>, JsValue>;
}

/// The text of whatever a storage method threw (`Error`, `{errMsg}`, string).
fn thrown_text(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    for field in ["errMsg", "message"] {
        if let Ok(v) = js_sys::Reflect::get(e, &JsValue::from_str(field)) {
            if let Some(s) = v.as_string() {
                return s;
            }
        }
    }
    "storage call failed".into()
}

fn storage_error(e: JsValue) -> StorageError {
    StorageError::classify(&thrown_text(&e))
}

struct JsStore {
    js: JsStorage,
    readers: Readers,
}

/// Which optional readers the storage object has, each looked up once, at
/// its first use (a property lookup is a bridge call; `setIndex` is used by
/// every commit, `getPositions` by every chunk look-up).
#[derive(Default)]
struct Readers {
    suffixes: Option<bool>,
    directory: Option<bool>,
    positions: Option<bool>,
    index: Option<bool>,
}

/// Whether `js` has method `name`, asked once into `known`.
fn has_method(js: &JsStorage, known: &mut Option<bool>, name: &str) -> bool {
    *known.get_or_insert_with(|| js_sys::Reflect::get(js, &JsValue::from_str(name)).is_ok_and(|f| f.is_function()))
}

impl Storage for JsStore {
    fn get(&mut self, key: &str) -> Result<Option<String>, StorageError> {
        self.js.get(key).map(|v| v.filter(|s| !s.is_empty())).map_err(storage_error)
    }
    fn set(&mut self, key: &str, value: &str) -> Result<(), StorageError> {
        self.js.set(key, value).map_err(storage_error)
    }
    fn set_appended(&mut self, key: &str, base: &str, insert: &str) -> Result<(), StorageError> {
        self.js.set_appended(key, base, insert).map_err(storage_error)
    }
    fn remove(&mut self, key: &str) -> Result<(), StorageError> {
        self.js.remove(key).map_err(storage_error)
    }
    fn keys(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        // Without the prefix they share (~500 keys of ~40 bytes at a full
        // cache, which as JSON would cross through the UTF-8 loop and be
        // parsed here).
        if has_method(&self.js, &mut self.readers.suffixes, "keySuffixes") {
            if let Some(lines) = self.js.key_suffixes(prefix).map_err(storage_error)? {
                let key = |s: &str| {
                    let mut k = String::with_capacity(prefix.len() + s.len());
                    k.push_str(prefix);
                    k.push_str(s);
                    k
                };
                return Ok(lines.split('\n').skip(1).map(key).collect());
            }
        }
        let json = self.js.keys(prefix).map_err(storage_error)?;
        let keys: Vec<String> = serde_json::from_str(&json)
            .map_err(|e| StorageError::classify(&format!("storage keys() returned no JSON array: {e}")))?;
        Ok(keys.into_iter().filter(|k| k.starts_with(prefix)).collect())
    }
    fn get_directory(&mut self, key: &str) -> Result<Option<DirectoryValue>, StorageError> {
        // A storage object without the reader (one written for 0.1.0's
        // interface) hands over the text.
        if !has_method(&self.js, &mut self.readers.directory, "getDirectory") {
            return Ok(self.get(key)?.map(DirectoryValue::Text));
        }
        let v = self.js.get_directory(key).map_err(storage_error)?;
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        let field = |name: &str| js_sys::Reflect::get(&v, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        if let Some(why) = field("unreadable").as_string() {
            return Ok(Some(DirectoryValue::Unreadable(why)));
        }
        match (field("ids").as_string(), field("numbers").dyn_into::<js_sys::Float64Array>()) {
            (Some(ids), Ok(numbers)) => Ok(Some(DirectoryValue::Numbers { ids, numbers: numbers.to_vec() })),
            _ => Ok(Some(DirectoryValue::Unreadable("the store's directory reader gave no {ids, numbers}".into()))),
        }
    }
    fn get_positions(&mut self, key: &str) -> Result<Option<PositionsValue>, StorageError> {
        if !has_method(&self.js, &mut self.readers.positions, "getPositions") {
            return Ok(self.get(key)?.map(PositionsValue::Text));
        }
        let v = self.js.get_positions(key).map_err(storage_error)?;
        if let Some(text) = v.as_string() {
            return Ok((!text.is_empty()).then_some(PositionsValue::Text(text)));
        }
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        let field = |name: &str| js_sys::Reflect::get(&v, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        match (field("conv").as_string(), field("numbers").dyn_into::<js_sys::Float64Array>()) {
            (Some(conv), Ok(numbers)) => Ok(Some(PositionsValue::Numbers { conv, numbers: numbers.to_vec() })),
            // Not what the reader promises: read the text instead.
            _ => Ok(self.get(key)?.map(PositionsValue::Text)),
        }
    }
    fn set_index(&mut self, key: &str, value: &IndexValue, since: Option<&[Splice]>) -> Result<(), StorageError> {
        if !has_method(&self.js, &mut self.readers.index, "setIndex") {
            return self.set(key, &value.whole());
        }
        let all = [Splice { at: 0, remove: 0, insert: 0..value.entries.len() }];
        let runs = since.unwrap_or(&all);
        let mut ops = Vec::with_capacity(runs.len() * 3);
        let mut inserted = String::new();
        for run in runs {
            ops.extend([run.at as f64, run.remove as f64, run.insert.len() as f64]);
            for e in &value.entries[run.insert.clone()] {
                if !inserted.is_empty() {
                    inserted.push('\n');
                }
                inserted.push_str(e);
            }
        }
        self.js.set_index(key, &value.head, value.tail, since.is_none(), &ops, &inserted).map_err(storage_error)
    }
    fn usage(&mut self) -> Option<Usage> {
        let json = self.js.usage().ok()??;
        let (used, limit): (f64, f64) = serde_json::from_str(&json).ok()?;
        (used.is_finite() && limit.is_finite() && used >= 0.0 && limit > 0.0)
            .then(|| Usage { used_bytes: used as u64, limit_bytes: limit as u64 })
    }
}

/// A JS `Error` named `JimCacheError` carrying `code`.
fn js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("JimCacheError");
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code()));
    err.into()
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("views always serialize")
}

fn cursor(c: Option<String>, from: &str) -> Result<Option<Pos>, JsValue> {
    match c {
        None => Ok(None),
        Some(c) => Pos::parse_cursor(&c)
            .map(Some)
            .ok_or_else(|| js_error(Error::BadArgument(format!("not a cursor from {from}: {c:?}")))),
    }
}

fn conv_id(id: &str) -> Result<ConvId, JsValue> {
    ConvId::parse(id).ok_or_else(|| {
        js_error(Error::BadArgument(format!(
            "not a conversation id: {id:?} (expected single:<appkey>:<username> or group:<gid>)"
        )))
    })
}

/// Options of `openCache`, as the glue passes them (camelCase JSON).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Options {
    appkey: String,
    username: String,
    prefix: Option<String>,
    budget_bytes: Option<u64>,
    key_limit_bytes: Option<u64>,
    max_messages_per_conversation: Option<u32>,
    chunk_bytes: Option<u32>,
    /// The glue's per-process token (see `crate::echo`).
    session: Option<String>,
}

/// The cache, as JS sees it. The glue wraps it in a friendlier class.
#[wasm_bindgen]
pub struct JimCache {
    inner: Cache<JsStore>,
    opened: OpenReport,
}

#[wasm_bindgen]
impl JimCache {
    /// Opens the cache of `options.appkey`/`options.username` on `storage`.
    #[wasm_bindgen(constructor)]
    pub fn new(storage: JsStorage, options: &str) -> Result<JimCache, JsValue> {
        let o: Options = serde_json::from_str(options)
            .map_err(|e| js_error(Error::BadArgument(format!("bad options: {e}"))))?;
        let mut cfg = Config::new(&o.appkey, &o.username);
        if let Some(p) = o.prefix {
            cfg.prefix = p;
        }
        if let Some(b) = o.budget_bytes {
            cfg.budget_bytes = b;
        }
        if let Some(k) = o.key_limit_bytes {
            cfg.key_limit_bytes = k;
        }
        if let Some(m) = o.max_messages_per_conversation {
            cfg.max_messages_per_conversation = m;
        }
        if let Some(c) = o.chunk_bytes {
            cfg.chunk_bytes = c;
        }
        if let Some(t) = o.session {
            cfg.session = t;
        }
        let (inner, opened) = Cache::open(JsStore { js: storage, readers: Readers::default() }, cfg).map_err(js_error)?;
        Ok(JimCache { inner, opened })
    }

    /// What opening found and repaired (JSON).
    #[wasm_bindgen(js_name = openReport)]
    pub fn open_report(&self) -> String {
        to_json(&self.opened)
    }

    /// `data` (JSON) as an SDK callback received it; `mode` is `history` or
    /// `realtime`. Returns the report (JSON).
    #[wasm_bindgen(js_name = cacheMsg)]
    pub fn cache_msg(&mut self, data: &str, mode: &str) -> Result<String, JsValue> {
        let mode = Mode::parse(mode).map_err(js_error)?;
        self.inner.cache_messages_json(data, mode).map(|r| to_json(&r)).map_err(js_error)
    }

    /// The same for a compact batch the glue read from the payload (see
    /// `compact`).
    /// `bodies(numbers)` returns the JSON text of those messages'
    /// `[msg_body, at_list]` pairs; the core calls it at most once, for the
    /// messages it stores.
    #[wasm_bindgen(js_name = cacheCompact)]
    pub fn cache_compact(&mut self, slots: &[f64], table: &str, mode: &str, bodies: &js_sys::Function) -> Result<String, JsValue> {
        Mode::parse(mode).map_err(js_error)?;
        let mut fetch = |wanted: &[u32]| -> crate::error::Result<String> {
            let numbers = js_sys::Uint32Array::from(wanted);
            bodies
                .call1(&JsValue::NULL, &numbers)
                .map_err(|e| Error::BadPayload(format!("a message body cannot be read: {}", thrown_text(&e))))?
                .as_string()
                .ok_or_else(|| Error::BadPayload("the glue returned no bodies".into()))
        };
        self.inner.cache_compact(slots, table, &mut fetch).map(|r| to_json(&r)).map_err(js_error)
    }

    /// `Cache::epoch` (below 2^53 for any realistic lifetime).
    pub fn epoch(&self) -> f64 {
        self.inner.epoch() as f64
    }

    /// `Cache::known_items`: body numbers of the last compact call.
    #[wasm_bindgen(js_name = knownItems)]
    pub fn known_items(&self) -> Vec<u32> {
        self.inner.known_items().to_vec()
    }

    /// A send's `onSuccess(data, msg)`, both as JSON.
    #[wasm_bindgen(js_name = cacheSent)]
    pub fn cache_sent(&mut self, data: &str, msg: &str) -> Result<String, JsValue> {
        self.inner.cache_sent(data, msg).map(|r| to_json(&r)).map_err(js_error)
    }

    /// One event or an array of events (JSON).
    #[wasm_bindgen(js_name = applyEvent)]
    pub fn apply_event(&mut self, events: &str) -> Result<String, JsValue> {
        self.inner.apply_events(events).map(|r| to_json(&r)).map_err(js_error)
    }

    /// A send's `onSuccess(data, msg)` (JSON each) replacing the echo `localId`.
    #[wasm_bindgen(js_name = cacheSentEcho)]
    pub fn cache_sent_echo(&mut self, data: &str, msg: &str, local_id: &str) -> Result<String, JsValue> {
        self.inner.cache_sent_echo(data, msg, Some(local_id)).map(|r| to_json(&r)).map_err(js_error)
    }

    /// Stores a local echo; returns it (JSON).
    #[wasm_bindgen(js_name = addPending)]
    pub fn add_pending(&mut self, id: &str, kind: &str, body: &str, local_id: Option<String>, now: f64) -> Result<String, JsValue> {
        let id = conv_id(id)?;
        let e = self.inner.add_pending(&id, kind, body, local_id.as_deref(), now.max(0.0) as u64).map_err(js_error)?;
        Ok(to_json(&self.inner.echo_view(&e)))
    }

    #[wasm_bindgen(js_name = sendFailed)]
    pub fn send_failed(&mut self, local_id: &str, reason: Option<String>) -> Result<bool, JsValue> {
        self.inner.send_failed(local_id, reason.as_deref()).map_err(js_error)
    }

    #[wasm_bindgen(js_name = discardPending)]
    pub fn discard_pending(&mut self, local_id: &str) -> Result<bool, JsValue> {
        self.inner.discard_pending(local_id).map_err(js_error)
    }

    /// Echoes of `id` (or all), oldest first (JSON).
    pub fn pending(&self, id: Option<String>) -> Result<String, JsValue> {
        let id = id.map(|i| conv_id(&i)).transpose()?;
        Ok(to_json(&self.inner.pending(id.as_ref())))
    }

    /// The chunks `search` reads, newest first (JSON `[[key, conv, time, id], ...]`).
    #[wasm_bindgen(js_name = searchPlan)]
    pub fn search_plan(&mut self, text: &str, id: Option<String>, before: Option<String>) -> Result<String, JsValue> {
        let id = id.map(|i| conv_id(&i)).transpose()?;
        let before = cursor(before, "search()")?;
        let plan = self.inner.search_plan(text, id.as_ref(), before).map_err(js_error)?;
        let rows: Vec<(&str, &str, u64, u64)> = plan.iter().map(|c| (c.key.as_str(), c.conv.as_str(), c.last.time, c.last.id)).collect();
        Ok(to_json(&rows))
    }

    /// `onMsgReceiptChange`'s object or `onSyncMsgReceipt`'s array (JSON).
    #[wasm_bindgen(js_name = applyReceipts)]
    pub fn apply_receipts(&mut self, data: &str) -> Result<String, JsValue> {
        self.inner.apply_receipts(data).map(|r| to_json(&r)).map_err(js_error)
    }

    /// `onMutiUnreadMsgUpdate`'s object (JSON).
    #[wasm_bindgen(js_name = applyUnread)]
    pub fn apply_unread(&mut self, data: &str) -> Result<String, JsValue> {
        self.inner.apply_unread(data).map(|r| to_json(&r)).map_err(js_error)
    }

    /// `getConversation()`'s onSuccess data (JSON).
    #[wasm_bindgen(js_name = applyConversations)]
    pub fn apply_conversations(&mut self, data: &str) -> Result<String, JsValue> {
        self.inner.apply_conversations(data).map(|r| to_json(&r)).map_err(js_error)
    }

    /// The conversation list (JSON), most recent first.
    pub fn conversations(&self) -> String {
        to_json(&self.inner.conversations())
    }

    /// A page of `id` (JSON `{messages, before}`).
    pub fn messages(&mut self, id: &str, limit: u32, before: Option<String>) -> Result<String, JsValue> {
        let id = conv_id(id)?;
        let asked = cursor(before, "messages()")?;
        let (records, next) = self.inner.messages(&id, limit as usize, asked).map_err(js_error)?;
        Ok(to_json(&self.inner.page_view_with_echoes(&id, &records, asked, next)))
    }

    /// What the glue reads a page of `id` from itself (JSON `{chunks: [{key,
    /// count}], echoes}`; see `Cache::page_plan`).
    #[wasm_bindgen(js_name = pagePlan)]
    pub fn page_plan(&mut self, id: &str, limit: u32, before: Option<String>) -> Result<String, JsValue> {
        let id = conv_id(id)?;
        let asked = cursor(before, "messages()")?;
        self.inner.page_plan(&id, limit as usize, asked).map(|p| to_json(&p)).map_err(js_error)
    }

    /// Reloads from storage (another handle of this account committed).
    pub fn refresh(&mut self) -> Result<(), JsValue> {
        self.inner.refresh().map_err(js_error)
    }

    #[wasm_bindgen(js_name = markRead)]
    pub fn mark_read(&mut self, id: &str) -> Result<bool, JsValue> {
        let id = conv_id(id)?;
        self.inner.mark_read(&id).map_err(js_error)
    }

    pub fn remove(&mut self, id: &str) -> Result<bool, JsValue> {
        let id = conv_id(id)?;
        self.inner.remove(&id).map_err(js_error)
    }

    pub fn clear(&mut self) -> Result<(), JsValue> {
        self.inner.clear().map_err(js_error)
    }

    /// Storage use (JSON).
    pub fn stats(&mut self) -> String {
        to_json(&self.inner.stats())
    }
}

