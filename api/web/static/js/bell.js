/* The notification centre (every signed-in page): the bell in the top bar with the number of
 * unread notices (GET /api/v1/my/notices/unread-count, every 30 s and when the page is shown
 * again), and its panel: the latest notices, each linking to its page, "mark read" per notice
 * and "mark all read". Notice texts are put in as text (GF.h), never as HTML.
 */
(function () {
  "use strict";
  const POLL_MS = 30000;
  const LATEST = 20;
  let timer = null;
  let stopped = false;

  const $ = (id) => document.getElementById(id);

  // The bell's own token: a lapsed session stops the bell; the page's own calls take the user
  // to the login page (GF.api redirects only when it was not handed a token).
  const call = (path, opts) => GF.api(path, Object.assign({ token: GF.token() }, opts || {}));

  function showCount(n) {
    const badge = $("bell-count");
    badge.hidden = !n;
    badge.textContent = n > 99 ? "99+" : String(n);
    $("bell-button").dataset.unread = String(n);
    $("bell-button").setAttribute("aria-label", GF.t("bell.title") + " · " +
      GF.t("bell.unread", { n }));
  }

  function stop() {
    stopped = true;
    if (timer) clearInterval(timer);
    $("gf-bell").hidden = true;
  }

  async function refreshCount() {
    if (stopped) return;
    try {
      showCount((await call("/my/notices/unread-count")).unread);
    } catch (err) {
      if (err instanceof GF.ApiError && (err.status === 401 || err.status === 403)) stop();
      // offline: the last count stays
    }
  }

  function meta(n) {
    const parts = [];
    if (n.ticket_id) parts.push(n.ticket_id);
    if (n.stage) parts.push(GF.stageLabel(n.stage));
    parts.push(GF.when(n.created_at));
    return parts.join(" · ");
  }

  async function markRead(ids) {
    const answer = await call("/my/notices/read", { method: "POST", json: { ids } });
    showCount(answer.unread);
    for (const id of ids) {
      const li = document.querySelector(`#bell-list li[data-id="${id}"]`);
      if (li) {
        li.classList.remove("unread");
        li.dataset.read = "true";
        const button = li.querySelector(".bell-mark-read");
        if (button) button.remove();
      }
    }
  }

  function item(n) {
    const read = Boolean(n.read_at);
    const title = n.link
      ? GF.h("a", { href: n.link, class: "bell-link", onclick: (event) => follow(event, n) }, n.title)
      : GF.h("strong", null, n.title);
    return GF.h("li", { class: read ? "bell-item" : "bell-item unread",
                        dataset: { id: String(n.id), kind: n.kind, read: String(read) } },
      GF.h("div", { class: "bell-title" }, n.urgent ? GF.h("span", { class: "bell-urgent" }, "!") : null, title),
      GF.h("div", { class: "hint" }, meta(n)),
      n.message ? GF.h("div", { class: "bell-message" }, n.message) : null,
      read ? null : GF.h("button", { type: "button", class: "bell-mark-read",
                                     onclick: () => markRead([n.id]).catch(failed) },
                         GF.t("bell.mark_read")));
  }

  // Opening a notice reads it: marked first (briefly), then its page.
  async function follow(event, n) {
    if (n.read_at || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    try { await markRead([n.id]); } catch (err) { /* the page still opens */ }
    location.assign(n.link);
  }

  function failed(err) {
    const status = $("bell-status");
    status.textContent = GF.errorText(err);
    status.hidden = false;
  }

  async function loadList() {
    const list = $("bell-list");
    const status = $("bell-status");
    status.hidden = false;
    status.textContent = GF.t("common.loading");
    try {
      const page = await call("/my/notices?limit=" + LATEST);
      list.replaceChildren(...page.items.map(item));
      status.textContent = page.items.length ? "" : GF.t("bell.none");
      status.hidden = page.items.length > 0;
      $("bell-read-all").disabled = !page.items.some((n) => !n.read_at);
    } catch (err) {
      failed(err);
    }
  }

  function setOpen(open) {
    $("bell-panel").hidden = !open;
    $("bell-button").setAttribute("aria-expanded", String(open));
    if (open) { loadList(); refreshCount(); }
  }

  async function readAll() {
    try {
      const answer = await call("/my/notices/read-all", { method: "POST" });
      showCount(answer.unread);
      await loadList();
    } catch (err) {
      failed(err);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const bell = $("gf-bell");
    if (!bell || !GF.token()) return;
    bell.hidden = false;
    $("bell-button").addEventListener("click", () => setOpen($("bell-panel").hidden));
    $("bell-read-all").addEventListener("click", readAll);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !$("bell-panel").hidden) setOpen(false);
    });
    document.addEventListener("click", (event) => {
      if (!$("bell-panel").hidden && !bell.contains(event.target)) setOpen(false);
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") refreshCount();
    });
    refreshCount();
    timer = setInterval(refreshCount, POLL_MS);
  });
})();
