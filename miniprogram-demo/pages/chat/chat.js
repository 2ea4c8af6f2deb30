// One conversation: bubbles left/right by `out`, newest at the bottom, a
// send box whose messages show at once (grey while sending, a red "!" to
// retry when failed; kept across restarts), opening at a search hit,
// "load older" by cursor, retracted placeholders, media shown by metadata
// (and by URL when the SDK can resolve it), the sender's nickname, 已读 /
// N人未读 under your own messages. Text is always rendered as text.
const { displayName, sender, readState, LABELS } = require('../../utils/format.js');

function size(n) {
  if (!n) return '';
  return n < 1024 * 1024 ? Math.round(n / 1024) + ' KB' : (n / 1024 / 1024).toFixed(1) + ' MB';
}

// What a record shows; `text` is plain text, never markup.
function view(r, isGroup) {
  const b = r.body;
  const who = sender(r);
  const base = { id: r.id === null ? r.localId : r.id, out: r.out, sender: who, kind: r.type, retracted: !!r.retracted, text: '', meta: '', mediaId: '',
    read: readState(r, isGroup), status: r.status || '', localId: r.localId || '' };
  if (r.retracted) return Object.assign(base, { text: who + '撤回了一条消息' });
  switch (r.type) {
    case 'text': return Object.assign(base, { text: b.text });
    case 'image': return Object.assign(base, { text: LABELS.image, meta: [b.width && b.height ? b.width + '×' + b.height : '', b.format, size(b.fsize)].filter(Boolean).join(' · '), mediaId: b.media_id });
    case 'voice': return Object.assign(base, { text: LABELS.voice + ' ' + (b.duration || 0) + '″', meta: [b.format, size(b.fsize)].filter(Boolean).join(' · '), mediaId: b.media_id });
    case 'file': return Object.assign(base, { text: LABELS.file + ' ' + (b.fname || ''), meta: size(b.fsize), mediaId: b.media_id });
    case 'video': return Object.assign(base, { text: LABELS.video + ' ' + (b.fname || ''), meta: [b.format, size(b.fsize), b.duration ? b.duration + '″' : ''].filter(Boolean).join(' · '), mediaId: b.media_id });
    case 'location': return Object.assign(base, { text: LABELS.location + ' ' + (b.label || ''), meta: b.latitude + ', ' + b.longitude });
    case 'custom': return Object.assign(base, { text: LABELS.custom, meta: JSON.stringify(b) });
    default: return Object.assign(base, { text: LABELS.unknown, meta: JSON.stringify(b) });
  }
}

Component({
  data: { title: '', items: [], hasOlder: false, draft: '', highlight: '' },
  methods: {
    onLoad(query) {
      this.convId = decodeURIComponent(query.id);
      const app = getApp();
      return app.ready.then(() => {
        const row = app.cache.conversations().find((c) => c.id === this.convId);
        const title = row ? displayName(row) : this.convId;
        this.isGroup = this.convId.indexOf('group:') === 0;
        this.setData({ title });
        if (typeof wx.setNavigationBarTitle === 'function') wx.setNavigationBarTitle({ title });
        this.loadNewest();
        if (query.at) this.showHit(Number(query.at));
        this.unsubscribe = app.subscribe((kind, report) => {
          if (report && report.conversations && report.conversations.indexOf(this.convId) >= 0) this.loadNewest();
        });
      });
    },
    onUnload() {
      if (this.unsubscribe) this.unsubscribe();
    },
    // Newest page; opening (or watching) the chat marks it read.
    loadNewest() {
      const app = getApp();
      const page = app.cache.messages(this.convId, { limit: 20 });
      app.cache.markRead(this.convId);
      this.before = page.before;
      this.setData({ items: page.messages.map((r) => view(r, this.isGroup)), hasOlder: !!page.before });
      this.resolveMedia();
    },
    // Opened from search: page back until the hit is loaded, mark it, go there.
    showHit(id) {
      while (!this.data.items.some((i) => i.id === id) && this.before) this.loadOlder();
      this.setData({ highlight: 'm' + id });
      if (typeof wx.pageScrollTo === 'function') wx.pageScrollTo({ selector: '#m' + id, duration: 0 });
    },
    onInput(e) {
      this.setData({ draft: e.detail.value });
    },
    send() {
      const text = this.data.draft.trim();
      if (!text) return;
      this.setData({ draft: '' });
      getApp().sendText(this.convId, text);
      this.loadNewest();
    },
    // Tap on the red "!": send the failed message again, same localId.
    retry(e) {
      const item = this.data.items.find((i) => i.localId === e.currentTarget.dataset.local);
      if (!item) return;
      getApp().sendText(this.convId, item.text, item.localId);
      this.loadNewest();
    },
    loadOlder() {
      if (!this.before) return;
      const app = getApp();
      const page = app.cache.messages(this.convId, { limit: 20, before: this.before });
      this.before = page.before;
      this.setData({ items: page.messages.map((r) => view(r, this.isGroup)).concat(this.data.items), hasOlder: !!page.before });
    },
    // Media URLs expire, so they are resolved when shown, never stored.
    resolveMedia() {
      const jim = getApp().jim;
      if (!jim || !jim.getResource) return;
      this.data.items.forEach((item, i) => {
        if (!item.mediaId || item.kind !== 'image') return;
        jim.getResource({ media_id: item.mediaId }).onSuccess((res) => {
          if (res && res.url) this.setData({ ['items[' + i + '].url']: res.url });
        });
      });
    }
  }
});
