// Adapts `wx` storage (or any object with the same four methods) to the
// storage interface of the Rust core: string values, `null` for missing,
// failures thrown as WeChat's own error text (the core classifies it:
// per-key overflow, quota, anything else = I/O).
//
// It also remembers the values it last read or wrote (chunk keys are never
// overwritten, so a remembered value stays right until its key is removed):
// `setAppended` builds a grown chunk from the remembered one with native
// string operations, so only the new records cross from wasm to JS. On iOS
// both sides run interpreted, and every byte that crosses costs a loop step.

// Values remembered, at most (oldest forgotten first): enough for the
// chunks a burst of calls touches, bounded in memory (≤ 16 KiB each).
var REMEMBERED = 64;
var CLOSE = ']}';

// Several handles on one account (two pages that each call openCache, a
// re-login without close) must not overwrite each other's commits. Every
// write of an index key (the commit point, `…:i`) bumps a generation kept
// per storage object for this whole JS context; each store remembers the
// generation it last read or wrote. A cache whose store is behind reloads
// before its next call (`stale()`), and an index write from behind is
// refused, so a commit can never replace one it has not seen.
var generations = new WeakMap();

function isIndexKey(key) {
  var n = key.length; // ends with ":i" (our own keys escape ':' in names)
  return n > 1 && key.charCodeAt(n - 1) === 105 && key.charCodeAt(n - 2) === 58;
}

function errorText(e) {
  if (e && typeof e === 'object') return String(e.errMsg || e.message || e);
  return String(e);
}

// Calls `fn`, rethrowing any failure as its plain error text.
function guard(fn) {
  try {
    return fn();
  } catch (e) {
    throw errorText(e);
  }
}

function directoryNumbers(text) {
  var dir;
  try { dir = JSON.parse(text); } catch (e) { return { unreadable: 'not JSON' }; }
  if (!dir || !Array.isArray(dir.c)) return { unreadable: 'no conversation list' };
  var ids = [], numbers = [];
  for (var i = 0; i < dir.c.length; i++) {
    var entry = dir.c[i];
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) {
      return { unreadable: 'an entry is not [id, chunks]' };
    }
    ids.push(entry[0]);
    numbers.push(entry[1].length);
    for (var j = 0; j < entry[1].length; j++) {
      var m = entry[1][j];
      if (!Array.isArray(m) || m.length !== 7) return { unreadable: 'a chunk is not 7 numbers' };
      for (var k = 0; k < 7; k++) {
        if (typeof m[k] !== 'number') return { unreadable: 'a chunk field is not a number' };
        numbers.push(m[k]);
      }
    }
  }
  return { ids: JSON.stringify(ids), numbers: new Float64Array(numbers) };
}

// Record types the core reads (src/record.rs, Kind).
var KINDS = { text: 1, image: 1, voice: 1, file: 1, location: 1, video: 1, custom: 1, unknown: 1 };

function whole(x) {
  return typeof x === 'number' && x >= 0 && Number.isSafeInteger(x);
}

// Checks one stored record ([id, time, type, from, out, retracted, body,
// fromName?, unreadCount?], src/record.rs) the way the core reads it.
function readableRecord(x) {
  if (!Array.isArray(x) || x.length < 7 || x.length > 9) return false;
  if (!whole(x[0]) || !whole(x[1]) || KINDS[x[2]] !== 1 || typeof x[3] !== 'string') return false;
  if ((x[4] !== 0 && x[4] !== 1) || (x[5] !== 0 && x[5] !== 1)) return false;
  if (x.length > 7 && x[7] !== null && typeof x[7] !== 'string') return false;
  return x.length < 9 || x[8] === null || (whole(x[8]) && x[8] <= 4294967295);
}

// Where a chunk value's records sit, read with the engine's JSON.parse: on
// iOS a chunk (up to 16 KiB) would cross into wasm through an interpreted
// loop and be parsed there, when all the core wants is whether a message is
// stored (most of a re-sync). Only for a value the core would read in full
// the same way: written as we write (serialising it again gives the same
// text, so no number is spelt 1.0 or 1e3 and no key comes twice) and every
// record as the core reads one; the core checks the rest (its conversation,
// the order). Anything else is handed over as text, for the core to judge.
function chunkPositions(text) {
  var chunk;
  try { chunk = JSON.parse(text); } catch (e) { return text; }
  if (!chunk || typeof chunk !== 'object' || typeof chunk.c !== 'string' || !Array.isArray(chunk.r)) return text;
  if (JSON.stringify(chunk) !== text) return text;
  var r = chunk.r, numbers = new Float64Array(2 * r.length);
  for (var i = 0; i < r.length; i++) {
    if (!readableRecord(r[i])) return text;
    numbers[2 * i] = r[i][0];
    numbers[2 * i + 1] = r[i][1];
  }
  return { conv: chunk.c, numbers: numbers };
}

export function wxStorage(wx) {
  for (var name of ['getStorageSync', 'setStorageSync', 'removeStorageSync', 'getStorageInfoSync']) {
    if (!wx || typeof wx[name] !== 'function') {
      throw new TypeError('storage must have ' + name + '() (pass wx, or an object with the same methods)');
    }
  }
  var values = new Map();
  var indexEntries = new Map(); // index key -> entries of the value last written by setIndex
  if (!generations.has(wx)) generations.set(wx, new Map());
  var current = generations.get(wx); // index key -> generation, shared by every store on `wx`
  var seen = new Map(); // index key -> the generation this store knows
  function generation(key) {
    return current.get(key) || 0;
  }
  function committed(key) {
    current.set(key, generation(key) + 1);
    seen.set(key, generation(key));
  }
  function remember(key, value) {
    values.delete(key);
    values.set(key, value);
    if (values.size > REMEMBERED) values.delete(values.keys().next().value);
  }
  // The app's keys that start with `prefix` (one bridge call).
  function keysUnder(prefix) {
    var all = wx.getStorageInfoSync().keys || [];
    return all.filter(function (k) { return typeof k === 'string' && k.indexOf(prefix) === 0; });
  }
  function read(key) {
    var v = wx.getStorageSync(key);
    // WeChat returns '' for a missing key. A value that is not a string
    // was not written by us: hand it over as JSON and let the core reject it.
    if (v === '' || v === undefined || v === null) return null;
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return {
    get: function (key) {
      return guard(function () {
        var v = read(key);
        if (v !== null) remember(key, v);
        if (isIndexKey(key)) seen.set(key, generation(key));
        return v;
      });
    },
    set: function (key, value) {
      var index = isIndexKey(key);
      if (index && seen.has(key) && seen.get(key) !== generation(key)) {
        throw 'setStorageSync:fail another handle of this account committed first; nothing was written';
      }
      guard(function () { wx.setStorageSync(key, value); });
      remember(key, value);
      if (index) committed(key);
    },
    // The index (the commit point): see the core's Storage::set_index. Its
    // entries (one per conversation, ~250 bytes each) are kept, so that a
    // call changing one conversation sends only that entry, and the value is
    // joined here natively instead of in the module.
    setIndex: function (key, head, tail, reset, ops, inserted) {
      var texts = inserted === '' ? [] : inserted.split('\n'), entries;
      if (reset) {
        entries = texts;
      } else {
        if (!indexEntries.has(key)) throw 'setStorageSync:fail internal: no index entries to build on';
        entries = indexEntries.get(key).slice();
        for (var i = 0, t = 0; i < ops.length; i += 3) {
          entries.splice.apply(entries, [ops[i], ops[i + 1]].concat(texts.slice(t, t + ops[i + 2])));
          t += ops[i + 2];
        }
      }
      indexEntries.delete(key); // until this write succeeds
      this.set(key, head + entries.join(',') + tail);
      indexEntries.set(key, entries);
    },
    setAppended: function (key, base, insert) {
      var value = guard(function () {
        var b = values.has(base) ? values.get(base) : read(base);
        if (typeof b !== 'string' || b.slice(-CLOSE.length) !== CLOSE) {
          throw 'setAppended:fail append base ' + base + ' is missing or not a chunk';
        }
        var v = b.slice(0, b.length - CLOSE.length) + insert + CLOSE;
        wx.setStorageSync(key, v);
        return v;
      });
      remember(key, value);
    },
    // The directory value (older chunks' metadata) as numbers, parsed with
    // the engine's JSON.parse: on iOS a 30 KB text would cross into wasm
    // through an interpreted loop and be parsed there. Shape (checked by the
    // core): {ids: JSON of the conversation ids, numbers: per conversation
    // its chunk count, then 7 numbers per chunk}; {unreadable: why} for a
    // value that is not a directory; null when missing.
    getDirectory: function (key) {
      var text = this.get(key);
      return text === null ? null : directoryNumbers(text);
    },
    // A chunk value for where its records sit: {conv, numbers: [id, time]
    // per record} or its text (see chunkPositions); null when missing.
    getPositions: function (key) {
      var text = this.get(key);
      return text === null ? null : chunkPositions(text);
    },
    // A value for the glue's own reading (search): from what we hold, else
    // storage, without displacing what we hold. Throws WeChat's error text.
    peek: function (key) {
      return values.has(key) ? values.get(key) : guard(function () { return read(key); });
    },
    remove: function (key) {
      values.delete(key);
      guard(function () { wx.removeStorageSync(key); });
      if (isIndexKey(key)) committed(key);
    },
    // Whether another store on `wx` wrote an index this one has read since.
    stale: function () {
      var behind = false;
      seen.forEach(function (g, key) { if (g !== generation(key)) behind = true; });
      return behind;
    },
    keys: function (prefix) {
      return guard(function () { return JSON.stringify(keysUnder(prefix)); });
    },
    // The same keys without `prefix`, each after a "\n" (on iOS ~500 keys
    // as JSON would cross into the module through an interpreted loop and
    // be parsed there); null when a key holds a line break.
    keySuffixes: function (prefix) {
      return guard(function () {
        var ours = keysUnder(prefix), out = '';
        for (var i = 0; i < ours.length; i++) {
          if (ours[i].indexOf('\n') >= 0) return null;
          out += '\n' + ours[i].slice(prefix.length);
        }
        return out;
      });
    },
    // App-wide use, so the cache leaves room for the rest of the app. WeChat
    // reports "KB" of 1000 units; both numbers are approximate.
    usage: function () {
      try {
        var info = wx.getStorageInfoSync();
        if (typeof info.currentSize !== 'number' || typeof info.limitSize !== 'number') return null;
        return JSON.stringify([info.currentSize * 1000, info.limitSize * 1000]);
      } catch (e) {
        return null;
      }
    }
  };
}
