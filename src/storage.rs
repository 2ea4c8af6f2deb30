//! The storage trait the core runs on, and the failure kinds it understands.
//!
//! The core is sans-I/O: everything it persists goes through [`Storage`], a
//! string key/value store with the shape of `wx.getStorageSync` and friends.
//! The wasm bindings implement it over `wx`; tests and benchmarks use
//! [`crate::memory::MemoryStorage`], which enforces WeChat's limits and error
//! texts. Failures are classified the way WeChat's texts are (see
//! [`StorageError::classify`]) so the core can react: evict and retry on a
//! quota error, give up cleanly on anything else.

use crate::index::{IndexValue, Splice};

/// Why a storage call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// One key+value is over the per-key limit (`entry size limit reached`,
    /// `exceed storage item max length`).
    KeyTooLarge,
    /// The mini-program's total quota is used up, possibly by other code
    /// (`quota reached`, `exceed storage max size`).
    Quota,
    /// Anything else: an I/O failure of the host store.
    Io,
}

/// A failed storage call: its kind and the host's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    pub kind: StorageErrorKind,
    pub message: String,
}

impl StorageError {
    pub fn new(kind: StorageErrorKind, message: impl Into<String>) -> Self {
        StorageError { kind, message: message.into() }
    }

    /// Classifies a WeChat error text. The wording differs by platform and
    /// base-library version, so this matches the known fragments only.
    pub fn classify(message: &str) -> Self {
        let kind = if message.contains("entry size limit reached")
            || message.contains("exceed storage item max length")
        {
            StorageErrorKind::KeyTooLarge
        } else if message.contains("quota reached") || message.contains("exceed storage max size") {
            StorageErrorKind::Quota
        } else {
            StorageErrorKind::Io
        };
        StorageError::new(kind, message)
    }
}

/// App-wide storage use as the host reports it (`wx.getStorageInfoSync`):
/// everything the mini-program stored, ours included. Approximate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub used_bytes: u64,
    pub limit_bytes: u64,
}

/// The closing of every value [`Storage::set_appended`] extends: the end of
/// a chunk's record array and of the chunk object.
pub const APPEND_CLOSE: &str = "]}";

/// The value [`Storage::set_appended`] writes: `value` (of key `base`)
/// without its closing [`APPEND_CLOSE`], then `insert`, then the closing. A
/// value without the closing (missing, not a chunk) is an I/O error.
pub fn appended(base: &str, value: &str, insert: &str) -> Result<String, StorageError> {
    let head = value
        .strip_suffix(APPEND_CLOSE)
        .ok_or_else(|| StorageError::new(StorageErrorKind::Io, format!("append base {base} is missing or not a chunk")))?;
    Ok(format!("{head}{insert}{APPEND_CLOSE}"))
}

/// The directory value (the older chunks' metadata, see [`crate::index`])
/// as a storage read it: its text, or, from a host that parses JSON
/// natively (the JS store: on iOS a long text crosses into the module
/// through an interpreted loop), already as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryValue {
    Text(String),
    /// `ids`: a JSON array of conversation ids. `numbers`: for each of them
    /// in turn, its chunk count, then each chunk's
    /// `[key, first time, first id, last time, last id, count, bytes]`.
    Numbers { ids: String, numbers: Vec<f64> },
    /// A value that is not a directory (the host says why).
    Unreadable(String),
}

/// A chunk value as a storage read it for the positions of its records
/// only (is a message stored?): its text, or, from a host that parses JSON
/// natively (the JS store), the conversation it names and, per record,
/// `[id, time]`. A host hands over numbers only for a value it has checked
/// the core would read in full with the same result (see
/// `js/wx-storage.js`), and its text otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum PositionsValue {
    Text(String),
    Numbers { conv: String, numbers: Vec<f64> },
}

/// A synchronous string key/value store.
///
/// `get` returns `Ok(None)` for a missing key (WeChat returns `''`). `keys`
/// returns the keys that start with `prefix`; the core lists only its own
/// namespace and never reads, writes or removes a key outside it.
pub trait Storage {
    fn get(&mut self, key: &str) -> Result<Option<String>, StorageError>;
    fn set(&mut self, key: &str, value: &str) -> Result<(), StorageError>;
    fn remove(&mut self, key: &str) -> Result<(), StorageError>;
    fn keys(&mut self, prefix: &str) -> Result<Vec<String>, StorageError>;
    /// Writes `key` with the value of `base` extended before its closing
    /// [`APPEND_CLOSE`]: `base` minus that suffix, then `insert`, then the
    /// suffix again. `base` is a key this cache wrote or read and has not
    /// removed (chunk keys are never overwritten, so its value is known).
    ///
    /// This is how a chunk grows by a few records without its whole value
    /// crossing from wasm to JS: the JS store keeps the values it handled and
    /// builds the new one with native string operations. The default reads
    /// `base` back; a missing base or one without the suffix is an I/O error.
    fn set_appended(&mut self, key: &str, base: &str, insert: &str) -> Result<(), StorageError> {
        let value = self.get(base)?.unwrap_or_default();
        self.set(key, &appended(base, &value, insert)?)
    }
    /// App-wide usage, when the host can tell. The core shrinks its budget so
    /// that the rest of the app keeps room (the 10 MB quota is shared).
    fn usage(&mut self) -> Option<Usage> {
        None
    }
    /// The directory value at `key` (see [`DirectoryValue`]); the default
    /// hands over its text.
    fn get_directory(&mut self, key: &str) -> Result<Option<DirectoryValue>, StorageError> {
        Ok(self.get(key)?.map(DirectoryValue::Text))
    }
    /// The chunk value at `key` for its records' positions (see
    /// [`PositionsValue`]); the default hands over its text.
    fn get_positions(&mut self, key: &str) -> Result<Option<PositionsValue>, StorageError> {
        Ok(self.get(key)?.map(PositionsValue::Text))
    }
    /// Writes the index value `value` under `key`. `since`: how `value`'s
    /// entries follow from those of the last value written under `key`
    /// through this method, if it succeeded and nothing was reloaded since
    /// (`None`: build it from all of them). A host that keeps those entries
    /// (the JS store) needs only the replaced ones from the module and joins
    /// the text natively; the default writes the whole text.
    fn set_index(&mut self, key: &str, value: &IndexValue, since: Option<&[Splice]>) -> Result<(), StorageError> {
        let _ = since;
        self.set(key, &value.whole())
    }
}

impl<S: Storage + ?Sized> Storage for &mut S {
    fn get(&mut self, key: &str) -> Result<Option<String>, StorageError> {
        (**self).get(key)
    }
    fn set(&mut self, key: &str, value: &str) -> Result<(), StorageError> {
        (**self).set(key, value)
    }
    fn remove(&mut self, key: &str) -> Result<(), StorageError> {
        (**self).remove(key)
    }
    fn keys(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        (**self).keys(prefix)
    }
    fn set_appended(&mut self, key: &str, base: &str, insert: &str) -> Result<(), StorageError> {
        (**self).set_appended(key, base, insert)
    }
    fn usage(&mut self) -> Option<Usage> {
        (**self).usage()
    }
    fn get_directory(&mut self, key: &str) -> Result<Option<DirectoryValue>, StorageError> {
        (**self).get_directory(key)
    }
    fn get_positions(&mut self, key: &str) -> Result<Option<PositionsValue>, StorageError> {
        (**self).get_positions(key)
    }
    fn set_index(&mut self, key: &str, value: &IndexValue, since: Option<&[Splice]>) -> Result<(), StorageError> {
        (**self).set_index(key, value, since)
    }
}
