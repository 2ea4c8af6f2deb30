// Conversation list: name, last-message preview, time, unread badge, and
// how much of its storage budget the cache uses.
const { preview, displayName, clock } = require('../../utils/format.js');

function kb(n) { return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB'; }

Component({
  data: { rows: [], bar: { used: '', budget: '', percent: 0 }, empty: false },
  methods: {
    onLoad() {
      const app = getApp();
      this.unsubscribe = app.subscribe(() => this.refresh());
      return app.ready.then(() => this.refresh());
    },
    onShow() {
      if (getApp().cache) this.refresh();
    },
    onUnload() {
      if (this.unsubscribe) this.unsubscribe();
    },
    refresh() {
      const app = getApp();
      const list = app.cache.conversations();
      const s = app.cache.stats();
      this.setData({
        rows: list.map((c) => ({
          id: c.id,
          name: displayName(c, app.names),
          group: c.type === 'group',
          preview: preview(c.last, app.names),
          time: clock(c.last.time),
          unread: c.unread,
          badge: c.unread > 99 ? '99+' : String(c.unread)
        })),
        empty: list.length === 0,
        bar: { used: kb(s.bytes), budget: kb(s.budgetBytes), percent: Math.min(100, Math.round((s.bytes / s.budgetBytes) * 1000) / 10), messages: s.messages }
      });
    },
    open(e) {
      wx.navigateTo({ url: '/pages/chat/chat?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
    }
  }
});
