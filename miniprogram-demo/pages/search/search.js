// 查找聊天记录: search the cached history (every conversation), newest
// first, "more" by cursor; a tap opens the chat at the message.
const { displayName, clock, LABELS } = require('../../utils/format.js');

// What a hit shows: the matched text, file name or place.
function snippet(r) {
  if (r.type === 'text') return r.body.text;
  if (r.type === 'location') return LABELS.location + ' ' + (r.body.label || '');
  return (r.type === 'video' ? LABELS.video : LABELS.file) + ' ' + (r.body.fname || '');
}

Component({
  data: { query: '', hits: [], more: false, searched: false },
  methods: {
    onLoad() {
      return getApp().ready;
    },
    onInput(e) {
      this.setData({ query: e.detail.value });
    },
    search() {
      const text = this.data.query.trim();
      if (!text) return;
      this.text = text;
      this.before = null;
      this.setData({ hits: [], searched: true });
      this.more();
    },
    more() {
      const app = getApp();
      const res = app.cache.search(this.text, { limit: 20, before: this.before });
      const names = {};
      for (const c of app.cache.conversations()) names[c.id] = displayName(c);
      this.before = res.before;
      const rows = res.hits.map((h) => ({
        key: h.conversation + '/' + h.record.id,
        conversation: h.conversation,
        id: h.record.id,
        name: names[h.conversation] || h.conversation,
        who: h.record.out ? '你' : (h.record.fromName || h.record.from),
        text: snippet(h.record),
        time: clock(h.record.time)
      }));
      this.setData({ hits: this.data.hits.concat(rows), more: !!res.before });
    },
    open(e) {
      const { conversation, id } = e.currentTarget.dataset;
      wx.navigateTo({ url: '/pages/chat/chat?id=' + encodeURIComponent(conversation) + '&at=' + id });
    }
  }
});
