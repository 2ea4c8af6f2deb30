//! # jim-cache
//!
//! A persistent message cache for the Jiguang IM SDK (JMessage) in WeChat
//! mini-programs. The SDK delivers messages through an offline/roaming sync
//! and realtime batches and keeps no history; this crate normalises both into
//! compact records and keeps them in the mini-program's key/value storage,
//! per conversation, deduplicated, ordered, within WeChat's limits, and safe
//! against crashes at any write.
//!
//! The core is pure Rust and sans-I/O ([`Storage`] is the only way out); the
//! `bindings` module (wasm32 only) exposes it to JavaScript. A call flows
//! model → updates → store: the [`cache`]'s model changes memory, its
//! commit planner turns the change into an [`updates::Updates`] log, and the
//! [`store`] applies the log as one crash-safe commit.
//!
//! | module | holds |
//! |---|---|
//! | [`payload`] | parsing every JMessage payload shape into records |
//! | [`raw`] | raw JSON values borrowed from the text (or integers as themselves), and a checking scanner |
//! | `fields` | the one set of field helpers every SDK callback's reader uses |
//! | [`record`] | the record, its ordering key and storage form |
//! | [`compact`] | the compact batch the JS glue reads from SDK payloads |
//! | [`echo`] | local echoes: messages being sent, kept until stored or given up |
//! | [`conversation`] | conversation identity |
//! | [`namespace`] | storage keys and account isolation |
//! | [`index`] | the storage layout: index and chunk formats |
//! | [`budget`] | byte budget and eviction policy |
//! | [`chat_state`] | unread counts, read receipts, names and avatars: what the UI shows besides messages |
//! | [`cache`] | the cache: the conversation model (dedup, order, retraction, unread), the commit planner, paging |
//! | [`updates`] | the update log one call's commit is |
//! | [`store`] | the store layer: keys, layout, copy-on-write order, byte accounting; applies an update log |
//! | [`storage`] | the storage trait and failure kinds |
//! | [`memory`] | an in-memory storage with WeChat's limits, for tests |
//! | [`report`] | what calls return |
//! | [`error`] | errors with stable codes |
//! | `text` | string building for hot paths, without `format!` |
//! | `testing` | (feature `testing`) test support: the storage checker, the glue's compact batch in Rust, the fuzz drivers |
//! | `bindings` | (wasm32 only) the wasm-bindgen layer the JS package calls |

pub mod budget;
pub mod cache;
pub mod chat_state;
pub mod compact;
pub mod conversation;
pub mod echo;
pub mod error;
mod fields;
pub mod index;
pub mod memory;
pub mod namespace;
pub mod payload;
pub mod raw;
pub mod record;
pub mod report;
pub mod storage;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod text;
pub mod updates;

#[cfg(target_arch = "wasm32")]
pub mod bindings;

pub use cache::{Cache, Config};
pub use conversation::{ConvId, ConvKind};
pub use error::Error;
pub use memory::MemoryStorage;
pub use payload::Mode;
pub use record::{Kind, Pos, Record};
pub use report::{OpenReport, Report, Stats};
pub use storage::{Storage, StorageError, StorageErrorKind, Usage, APPEND_CLOSE};
