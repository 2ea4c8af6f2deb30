// Conversation list: name and avatar initial, last-message preview, time,
// the SDK's unread count as a badge, and how much of its storage budget the
// cache uses. Every field comes from the cache.
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
          name: displayName(c),
          initial: displayName(c).slice(0, 1).toUpperCase(),
          group: c.type === 'group',
          avatar: c.avatar,
          preview: (c.last && c.last.status === 'failed' ? '[发送失败] ' : '') + preview(c.last),
          time: clock(c.last.time),
          unread: c.unread,
          badge: c.unread > 99 ? '99+' : String(c.unread)
        })),
        empty: list.length === 0,
        bar: { used: kb(s.bytes), budget: kb(s.budgetBytes), percent: Math.min(100, Math.round((s.bytes / s.budgetBytes) * 1000) / 10), messages: s.messages }
      });
      this.resolveAvatars();
    },
    // Avatars are media_ids; their URLs expire, so they are resolved when
    // shown. Without one (or without the SDK) the name's initial shows.
    resolveAvatars() {
      const jim = getApp().jim;
      if (!jim || !jim.getResource) return;
      this.data.rows.forEach((row, i) => {
        if (!row.avatar) return;
        jim.getResource({ media_id: row.avatar }).onSuccess((res) => {
          if (res && res.url) this.setData({ ['rows[' + i + '].url']: res.url });
        });
      });
    },
    openSearch() {
      wx.navigateTo({ url: '/pages/search/search' });
    },
    open(e) {
      wx.navigateTo({ url: '/pages/chat/chat?id=' + encodeURIComponent(e.currentTarget.dataset.id) });
    }
  }
});
