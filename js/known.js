// Messages the core said it holds, so that an identical copy need not be
// sent to it again. A roaming re-sync delivers mostly messages already
// stored; on iOS every one of them would cost ~16 interpreted property reads
// and pushes here plus ~40 µs of interpreted wasm to be found a duplicate,
// where a Map lookup and a few comparisons cost ~1.5 µs.
//
// The decision stays the core's: after each compact call it names the
// messages it found stored or stored itself (`knownItems`), and its `epoch`
// changes whenever it might decide one of them differently (a chunk or
// record forgotten, a floor raised, a reload, a pending retraction or
// receipt: src/cache/mod.rs, `Cache::epoch`). While the epoch holds, a copy
// equal in every field the compact batch carries (the message's, and the
// sync entry fields that can name its conversation) would be counted a
// duplicate and change nothing else; the glue counts it so. Only primitive
// field values are remembered (an object could change in place).

// Messages remembered, at most (oldest forgotten first): a login sync of
// 20 conversations × 100 roaming messages, twice over. About 200 bytes each.
var KNOWN = 4096;

export function Known() {
  this.ids = new Map(); // msg_id -> the fields it came with, then its entry's (shared)
  this.entries = new Map(); // an entry's fields as JSON -> one array of them
  this.epoch = -1;
}

// Forgets everything unless the core's epoch is still the one learnt under.
Known.prototype.sync = function (epoch) {
  if (epoch !== this.epoch) {
    this.ids.clear();
    this.entries.clear();
    this.epoch = epoch;
  }
};

function primitive(v) {
  return v === null || typeof v !== 'object';
}

// The fields of sync entry `e` (or null: no entry) that can name a message's
// conversation, as one shared array, so that a message compares them with one
// `===`; undefined when not known yet (`add`: then made) or not primitive.
Known.prototype.entryFields = function (e, add) {
  if (e === null) return NO_ENTRY;
  var f = [e.msg_type, e.from_gid, e.key, e.from_username, e.from_appkey];
  if (!f.every(primitive)) return undefined;
  var key = JSON.stringify(f), got = this.entries.get(key);
  if (got === undefined && add) this.entries.set(key, got = f);
  return got;
};
var NO_ENTRY = [];

// Whether `m` is a copy of a known message, `ef` its entry's fields.
Known.prototype.has = function (m, ef) {
  var s = this.ids.get(m.msg_id);
  if (s === undefined) return false;
  var c = m.content;
  return s[0] === m.ctime_ms && s[1] === m.msg_type && s[2] === m.from_gid && s[3] === m.key &&
    s[4] === m.from_username && s[5] === m.from_appkey && s[6] === c.target_type && s[7] === c.target_id &&
    s[8] === c.target_appkey && s[9] === c.from_id && s[10] === c.from_appkey && s[11] === c.create_time &&
    s[12] === c.msg_type && s[13] === c.from_name && s[14] === c.target_name && s[15] === ef;
};

// Remembers the messages the core named after a call that left its epoch as
// it was (otherwise forgets everything: what the call decided may not hold).
Known.prototype.learn = function (items, epoch, messages, entries) {
  if (epoch !== this.epoch) {
    this.sync(epoch);
    return;
  }
  for (var i = 0; i < items.length; i++) {
    var m = messages[items[i]], ef = m && this.entryFields(entries[items[i]], true);
    if (ef === undefined || !primitive(m.msg_id)) continue;
    var c = m.content;
    var s = [m.ctime_ms, m.msg_type, m.from_gid, m.key, m.from_username, m.from_appkey,
      c.target_type, c.target_id, c.target_appkey, c.from_id, c.from_appkey, c.create_time, c.msg_type, c.from_name, c.target_name];
    if (!s.every(primitive)) continue;
    s.push(ef);
    this.ids.delete(m.msg_id);
    this.ids.set(m.msg_id, s);
  }
  while (this.ids.size > KNOWN) this.ids.delete(this.ids.keys().next().value);
  if (this.entries.size > KNOWN) this.sync(-1);
};

// Which messages of `list` (the payload's items, in reading order) are known
// copies the core need not see: `skip[i]` for the i-th message read, or null
// when none is. The first known copy of a sync entry with an unread count or
// receipts is still sent, because an entry's first accepted message names the
// conversation they belong to; every copy of an id the batch holds twice is
// sent, so the core decides between them; nothing is skipped in a batch with
// items the glue does not read itself.
Known.prototype.copies = function (list) {
  if (this.ids.size === 0) return null;
  var skip = [], ids = [], any = false;
  for (var n = 0; n < list.length; n++) {
    var it = list[n];
    if (isObject(it) && Array.isArray(it.msgs)) {
      var named = !hasState(it), ef = this.entryFields(it, false);
      for (var j = 0; j < it.msgs.length; j++) {
        var m = it.msgs[j];
        if (!plainMessage(m)) return null;
        var hit = ef !== undefined && this.has(m, ef);
        if (hit && !named) { named = true; hit = false; }
        skip.push(hit);
        ids.push(m.msg_id);
        any = any || hit;
      }
    } else if (plainMessage(it)) {
      var one = this.has(it, NO_ENTRY);
      skip.push(one);
      ids.push(it.msg_id);
      any = any || one;
    } else {
      return null;
    }
  }
  if (!any) return null;
  var repeated = repeatedIds(ids);
  if (repeated) for (var k = 0; k < skip.length; k++) if (skip[k] && repeated.has(Number(ids[k]))) skip[k] = false;
  return skip;
};

// The ids `ids` holds more than once, as numbers (the core reads "7" as 7;
// anything Number() cannot read the core rejects), or null when none is:
// sorted by the engine's native typed-array sort, not counted in a Map.
function repeatedIds(ids) {
  var sorted = new Float64Array(ids.length), out = null;
  for (var i = 0; i < ids.length; i++) sorted[i] = Number(ids[i]);
  sorted.sort();
  for (i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) (out || (out = new Set())).add(sorted[i]);
  }
  return out;
}

// Whether a sync entry carries state of its own (see Known.copies).
export function hasState(entry) {
  return entry.unread_msg_count != null || entry.receipt_msgs != null;
}

export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// A message the core's one-pass reader would take: an object with a
// `content` object, and no `msgs`/`messages` of its own.
export function plainMessage(m) {
  return isObject(m) && m.msgs == null && m.messages == null && isObject(m.content);
}
