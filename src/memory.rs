//! An in-memory [`Storage`] that behaves like WeChat's.
//!
//! It enforces the per-key limit (key + value) and the total quota with the
//! delta accounting Android's client uses (overwriting a key needs only the
//! growth; shrinking always succeeds), fails with WeChat's own error texts,
//! and can count sizes in UTF-16 units (Android) or UTF-8 bytes. For tests it
//! also logs every mutation, tracks the peak size of a watched prefix, injects
//! failures, and simulates a crash: after `crash_after(k)` mutations every
//! further call fails and nothing more is written, as if the process died.
//!
//! It checks the index-splicing protocol on every index write (the entries
//! of the last value, with the runs the store sends applied, must give the
//! whole value: what the JS store builds), and with [`MemoryStorage::native_reads`]
//! it hands over a chunk written as we write chunks as positions, as the JS
//! store does, so that the crash-point, property and conformance tests drive
//! those paths too.

use std::collections::{BTreeMap, VecDeque};

use crate::index::{IndexValue, Splice};
use crate::storage::{appended, PositionsValue, Storage, StorageError, StorageErrorKind, Usage};

/// WeChat's per-key limit: 1 MB, key + value.
pub const WX_KEY_LIMIT: u64 = 1024 * 1024;
/// WeChat's total quota per mini-program and user: 10 MB.
pub const WX_TOTAL_LIMIT: u64 = 10 * 1024 * 1024;

/// How sizes are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeMode {
    /// Java `String.length()`: UTF-16 code units (Android's client).
    Utf16,
    /// UTF-8 bytes (the unknown iOS count, taken at its largest).
    Utf8,
}

/// One mutation, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Set { key: String, bytes: u64 },
    Remove { key: String },
}

#[derive(Debug, Clone)]
pub struct MemoryStorage {
    map: BTreeMap<String, String>,
    pub key_limit: u64,
    pub total_limit: u64,
    pub mode: SizeMode,
    total: u64,
    mutations: u64,
    usage_reads: u64,
    crash_after: Option<u64>,
    crashed: bool,
    failures: VecDeque<(u64, StorageErrorKind)>,
    get_failures: u64,
    /// Every successful mutation, in order.
    pub log: Vec<Op>,
    watch: Option<String>,
    peak: u64,
    /// Hand over chunks as positions where the JS store would (off: as text).
    pub native_reads: bool,
    /// The entries of the index value last written through `set_index`.
    index_entries: BTreeMap<String, Vec<String>>,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStorage {
    pub fn new() -> Self {
        MemoryStorage {
            map: BTreeMap::new(),
            key_limit: WX_KEY_LIMIT,
            total_limit: WX_TOTAL_LIMIT,
            mode: SizeMode::Utf16,
            total: 0,
            mutations: 0,
            usage_reads: 0,
            crash_after: None,
            crashed: false,
            failures: VecDeque::new(),
            get_failures: 0,
            log: Vec::new(),
            watch: None,
            peak: 0,
            native_reads: false,
            index_entries: BTreeMap::new(),
        }
    }

    fn size(&self, s: &str) -> u64 {
        match self.mode {
            SizeMode::Utf16 => s.encode_utf16().count() as u64,
            SizeMode::Utf8 => s.len() as u64,
        }
    }

    /// The total as WeChat counts it (key + value of every entry).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// UTF-8 bytes of keys + values under `prefix`.
    pub fn bytes_under(&self, prefix: &str) -> u64 {
        self.map
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum()
    }

    /// Track the largest UTF-8 size ever reached under `prefix`.
    pub fn watch_prefix(&mut self, prefix: &str) {
        self.watch = Some(prefix.to_string());
        self.peak = self.bytes_under(prefix);
    }

    /// The peak recorded since [`Self::watch_prefix`].
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// After `k` more successful mutations, die: every later call fails.
    pub fn crash_after(&mut self, k: u64) {
        self.crash_after = Some(self.mutations + k);
    }

    /// Undo a crash: the "process" restarts over the same persisted data.
    pub fn restart(&mut self) {
        self.crash_after = None;
        self.crashed = false;
        self.failures.clear();
        self.get_failures = 0;
    }

    pub fn crashed(&self) -> bool {
        self.crashed
    }

    /// How many times `usage()` was asked (a bridge call on a device).
    pub fn usage_reads(&self) -> u64 {
        self.usage_reads
    }

    /// Number of successful mutations so far.
    pub fn mutations(&self) -> u64 {
        self.mutations
    }

    /// Make the `n`-th next `set` (0 = the very next) fail with `kind`.
    pub fn fail_set(&mut self, n: u64, kind: StorageErrorKind) {
        self.failures.push_back((n, kind));
    }

    /// Whether a failure made by [`MemoryStorage::fail_set`] is still to come.
    pub fn failures_armed(&self) -> bool {
        !self.failures.is_empty()
    }

    /// Make the next `n` `get`/`keys` calls fail with an I/O error.
    pub fn fail_gets(&mut self, n: u64) {
        self.get_failures = n;
    }

    /// Raw access for tests (no limits, no log).
    pub fn raw_set(&mut self, key: &str, value: &str) {
        let new = self.size(key) + self.size(value);
        let old = self.map.get(key).map(|v| self.size(key) + self.size(v)).unwrap_or(0);
        self.total = self.total + new - old;
        self.map.insert(key.to_string(), value.to_string());
    }

    pub fn raw_get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(|s| s.as_str())
    }

    pub fn raw_remove(&mut self, key: &str) {
        if let Some(v) = self.map.remove(key) {
            self.total -= self.size(key) + self.size(&v);
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&String, &String)> {
        self.map.iter()
    }

    fn check_alive(&mut self) -> Result<(), StorageError> {
        if let Some(limit) = self.crash_after {
            if self.mutations >= limit {
                self.crashed = true;
            }
        }
        if self.crashed {
            return Err(StorageError::new(StorageErrorKind::Io, "process killed (simulated crash)"));
        }
        Ok(())
    }

    fn mutated(&mut self, op: Op) {
        self.mutations += 1;
        self.log.push(op);
        if let Some(p) = self.watch.clone() {
            let now = self.bytes_under(&p);
            self.peak = self.peak.max(now);
        }
    }
}

impl Storage for MemoryStorage {
    fn get(&mut self, key: &str) -> Result<Option<String>, StorageError> {
        if self.crashed {
            return Err(StorageError::new(StorageErrorKind::Io, "process killed (simulated crash)"));
        }
        if self.get_failures > 0 {
            self.get_failures -= 1;
            return Err(StorageError::new(StorageErrorKind::Io, "getStorageSync:fail internal error"));
        }
        // WeChat returns '' for a missing key; the trait says None.
        Ok(self.map.get(key).filter(|v| !v.is_empty()).cloned())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), StorageError> {
        self.check_alive()?;
        let mut injected = None;
        for f in self.failures.iter_mut() {
            if f.0 == 0 && injected.is_none() {
                injected = Some(f.1);
            }
        }
        self.failures.retain(|f| f.0 != 0);
        for f in self.failures.iter_mut() {
            f.0 -= 1;
        }
        if let Some(kind) = injected {
            let text = match kind {
                StorageErrorKind::KeyTooLarge => "setStorageSync:fail:entry size limit reached",
                StorageErrorKind::Quota => "setStorageSync:fail:quota reached",
                StorageErrorKind::Io => "setStorageSync:fail:internal error set DB data fail",
            };
            return Err(StorageError::classify(text));
        }
        let new = self.size(key) + self.size(value);
        if new > self.key_limit {
            return Err(StorageError::classify("setStorageSync:fail:entry size limit reached"));
        }
        let old = self.map.get(key).map(|v| self.size(key) + self.size(v)).unwrap_or(0);
        if new > old && self.total + new - old >= self.total_limit {
            return Err(StorageError::classify("setStorageSync:fail:quota reached"));
        }
        self.total = self.total + new - old;
        self.map.insert(key.to_string(), value.to_string());
        self.mutated(Op::Set { key: key.to_string(), bytes: (key.len() + value.len()) as u64 });
        Ok(())
    }

    /// One mutation, like `set`; the base is read from the map directly, so
    /// that read faults injected for `get` do not apply.
    fn set_appended(&mut self, key: &str, base: &str, insert: &str) -> Result<(), StorageError> {
        self.check_alive()?;
        let value = appended(base, self.map.get(base).map(String::as_str).unwrap_or(""), insert)?;
        self.set(key, &value)
    }

    fn remove(&mut self, key: &str) -> Result<(), StorageError> {
        self.check_alive()?;
        self.raw_remove(key);
        self.mutated(Op::Remove { key: key.to_string() });
        Ok(())
    }

    fn keys(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        if self.crashed {
            return Err(StorageError::new(StorageErrorKind::Io, "process killed (simulated crash)"));
        }
        if self.get_failures > 0 {
            self.get_failures -= 1;
            return Err(StorageError::new(StorageErrorKind::Io, "getStorageInfoSync:fail internal error"));
        }
        Ok(self.map.keys().filter(|k| k.starts_with(prefix)).cloned().collect())
    }

    /// As the JS store: positions only for a value written as we write
    /// chunks (its records as the core reads them, serialised again to the
    /// same text, every position a safe integer), text otherwise.
    fn get_positions(&mut self, key: &str) -> Result<Option<PositionsValue>, StorageError> {
        let Some(text) = self.get(key)? else { return Ok(None) };
        if !self.native_reads {
            return Ok(Some(PositionsValue::Text(text)));
        }
        let safe = |n: u64| n <= crate::payload::MAX_SAFE;
        Ok(Some(match crate::index::parse_any_chunk(&text) {
            Some((conv, records)) if records.iter().all(|r| safe(r.id) && safe(r.time)) && crate::index::chunk_json(&conv, &records) == text => {
                let numbers = records.iter().flat_map(|r| [r.id as f64, r.time as f64]).collect();
                PositionsValue::Numbers { conv: conv.as_str().to_string(), numbers }
            }
            _ => PositionsValue::Text(text),
        }))
    }

    /// Writes the whole value, after checking that the entries it kept from
    /// the last one, with `since` applied, give it (what the JS store writes).
    fn set_index(&mut self, key: &str, value: &IndexValue, since: Option<&[Splice]>) -> Result<(), StorageError> {
        let whole = value.whole();
        let kept = self.index_entries.remove(key);
        let entries: Vec<String> = match since {
            None => value.entries.iter().map(|e| e.to_string()).collect(),
            Some(runs) => {
                let mut e = kept.ok_or_else(|| StorageError::new(StorageErrorKind::Io, "setIndex:fail no index entries to build on"))?;
                for r in runs {
                    e.splice(r.at..r.at + r.remove, value.entries[r.insert.clone()].iter().map(|x| x.to_string()));
                }
                let built = format!("{}{}{}", value.head, e.join(","), value.tail);
                assert_eq!(built, whole, "the index built from the changed entries is not the whole value");
                e
            }
        };
        self.set(key, &whole)?;
        self.index_entries.insert(key.to_string(), entries);
        Ok(())
    }

    fn usage(&mut self) -> Option<Usage> {
        self.usage_reads += 1;
        Some(Usage { used_bytes: self.total, limit_bytes: self.total_limit })
    }
}
