/* /app/department: the department's inbox (soonest deadline first, coloured by lateness) and the
 * selected ticket beside it (#GF-… in the address, so a ticket can be linked and reloaded). */
(function () {
  "use strict";
  const { t, el, clear, api, fmtTime, flash } = Desk;
  const PAGE = 50;
  let user = null;
  let offset = 0;

  async function loadInbox() {
    const box = document.getElementById("inbox");
    const [cats, page] = await Promise.all([
      Desk.categories(),
      api("GET", "/inbox" + Desk.query({ limit: PAGE, offset })).catch((e) => ({ error: e })),
    ]);
    if (page.error) { flash(clear(box).appendChild(el("div", {})), page.error.message); return; }
    const now = Date.now();
    const selected = location.hash.slice(1);
    clear(box).appendChild(Desk.table([
      { label: t("col_state"), cell: (r) => Desk.colourBadge(Desk.colourOf(r, now)) },
      { label: t("col_ticket"), cell: (r) => el("a", { href: "#" + r.ticket_id, class: "gf-ticket-link" }, r.ticket_id) },
      { label: t("col_category"), cell: (r) => Desk.categoryName(cats, r.category) },
      { label: t("col_status"), cell: (r) => [Desk.statusLabel(r.status),
        r.parked ? el("span", { class: "gf-tag" }, t("parked")) : null,
        r.urgency === "urgent" ? el("span", { class: "gf-tag gf-tag-urgent" }, t("urgent")) : null] },
      { label: t("col_stage"), cell: (r) => Desk.stageLabel(r.current_stage) },
      { label: t("col_due"), cell: (r) => fmtTime(r.current_due_at) },
      { label: t("col_left"), cell: (r) => Desk.timeLeft(r, now) },
      { label: t("col_grid"), cell: (r) => r.grid },
    ], page.items, {
      class: "gf-inbox",
      rowAttrs: (r) => ({
        "data-ticket-id": r.ticket_id, "data-colour": Desk.colourOf(r, now),
        class: "gf-row-" + Desk.colourOf(r, now) + (r.ticket_id === selected ? " gf-selected" : ""),
      }),
      onRowClick: (r) => { location.hash = r.ticket_id; },
    }), Desk.pager(page, (o) => { offset = o; loadInbox(); }));
    document.getElementById("inbox-count").textContent = String(page.total);
  }

  async function showSelected() {
    const pane = document.getElementById("ticket-pane");
    const id = decodeURIComponent(location.hash.slice(1));
    for (const tr of document.querySelectorAll("#inbox tr[data-ticket-id]")) {
      tr.classList.toggle("gf-selected", tr.dataset.ticketId === id);
    }
    if (!id) {
      clear(pane).appendChild(el("p", { class: "gf-muted" }, t("select_ticket")));
      return;
    }
    await Desk.renderTicket(pane, id, { user, onChange: loadInbox });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    user = await Desk.boot("department_staff");
    if (!user) return;
    document.getElementById("inbox-refresh").addEventListener("click", loadInbox);
    window.addEventListener("hashchange", showSelected);
    await loadInbox();
    await showSelected();
    // The inbox follows new dispatches and the deadlines' colours on its own.
    setInterval(() => { if (document.visibilityState === "visible") loadInbox(); }, 60000);
    document.body.dataset.ready = "1";
  });
})();
