/* "My reports" (/app/worker/tickets, GET /api/v1/my/tickets; reports still in the outbox on top)
 * and the write-off checks (/app/worker/checks, GET /api/v1/my/write-off-checks: resolved tickets
 * in the worker's grids, whoever reported them). Both kept for reading offline. */
(function () {
  "use strict";
  const { h, t } = GF;
  const $ = (id) => document.getElementById(id);
  const CHECKS = location.pathname.endsWith("/checks");
  const PAGE = 50;
  let user = null, cats = {}, offset = 0, shown = [];

  function deadline(row) {
    if (!row.current_due_at) return null;
    return h("span", { class: "deadline" + (row.overdue ? " overdue" : "") },
      t("ticket.due", { stage: GF.stageLabel(row.current_stage || ""), when: GF.when(row.current_due_at) }),
      row.overdue ? " · " + t("ticket.overdue") : "");
  }

  function rowOf(row) {
    const cat = cats[row.category];
    return h("li", { class: "ticket-row st-" + row.status, dataset: { ticket: row.ticket_id, status: row.status } },
      h("a", { href: "/app/worker/ticket?id=" + encodeURIComponent(row.ticket_id) },
        h("div", { class: "line" }, h("strong", null, cat ? GF.categoryName(cat) : row.category), " ",
          GF.statusBadge(row.status)),
        h("div", { class: "meta" }, h("code", null, row.ticket_id), " · ", GF.when(row.submitted_at)),
        deadline(row)));
  }

  async function fetchPage(at) {
    return GF.cachedGet(CHECKS ? "/my/write-off-checks?limit=200" : `/my/tickets?limit=${PAGE}&offset=${at}`);
  }

  async function load(more) {
    const status = $("list-status");
    let page;
    try {
      page = await fetchPage(more ? offset : 0);
    } catch (err) {
      status.textContent = GF.errorText(err);
      return;
    }
    const items = page.items || [];
    shown = more ? shown.concat(items) : items;
    offset = (more ? offset : 0) + (page.items || []).length;
    $("tickets").replaceChildren(...shown.map(rowOf));
    status.textContent = shown.length ? (navigator.onLine ? "" : t("common.offline_copy"))
      : t(CHECKS ? "checks.none" : "tickets.none");
    status.hidden = !status.textContent;
    const moreButton = $("more");
    if (moreButton) moreButton.hidden = CHECKS || offset >= (page.total || 0);
    const badge = $("badge-checks");
    if (badge && CHECKS) { badge.textContent = String(shown.length); badge.hidden = !shown.length; }
  }

  async function renderWaiting() {
    const panel = $("waiting-panel");
    if (!panel) return;
    const items = (await GFOutbox.list()).filter((i) => i.user_id === user.user_id);
    panel.hidden = items.length === 0;
    $("waiting-count").textContent = String(items.length);
    $("waiting").replaceChildren(...items.map((i) => h("li", { class: "outbox-item state-" + i.state, dataset: { key: i.key } },
      h("strong", null, i.label), " ", h("span", { class: "muted" }, GF.when(i.created_at)), " · ",
      i.state === "failed" ? t("outbox.failed", { error: i.last_error || "" }) : t("outbox.waiting"))));
  }

  async function start() {
    user = await GF.requireUser(["grid_worker"]);
    try {
      for (const c of await GF.cachedGet("/categories")) cats[c.code] = c;
    } catch (err) { /* names fall back to codes */ }
    GFOutbox.subscribe(renderWaiting);
    let timer = null;
    GFOutbox.subscribe(() => { clearTimeout(timer); timer = setTimeout(() => load(false), 300); }); // a report just sent shows up
    renderWaiting();
    const more = $("more");
    if (more) more.addEventListener("click", () => load(true));
    await load(false);
    GFOutbox.flush();
  }

  document.addEventListener("DOMContentLoaded", () => start().catch((err) => {
    $("list-status").textContent = GF.errorText(err);
  }));
})();
