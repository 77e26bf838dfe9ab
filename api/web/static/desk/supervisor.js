/* /app/supervisor: the command centre's workbench — overdue and at-risk tickets with the overdue
 * view's filters and paging, the manual dispatch queue, extension and parking approvals, and the
 * probable duplicates to merge or keep. Filters live in the address (?department=…&offset=…). */
(function () {
  "use strict";
  const { t, el, clear, api, fmtTime, flash } = Desk;
  const PAGE = 20;
  const FILTERS = ["department", "street", "community", "grid", "category", "escalation_level", "due_within_hours"];

  const ticketLink = (id) => el("a", { href: "/app/supervisor/tickets/" + encodeURIComponent(id), class: "gf-ticket-link" }, id);
  const opt = (value, text, selected) => el("option", { value, selected: !!selected }, text);

  function params() {
    return Object.fromEntries(new URLSearchParams(location.search));
  }

  async function areas(level) {
    try {
      const fc = await api("GET", "/map?level=" + level);
      return fc.features.map((f) => f.properties).sort((a, b) => a.code.localeCompare(b.code));
    } catch (e) { return []; }
  }

  async function buildFilters() {
    const form = document.getElementById("overdue-filters");
    const p = params();
    const [deps, cats, streets, communities] = await Promise.all([
      Desk.departments(), Desk.categories(), areas("street"), areas("community")]);
    const select = (name, options) => el("label", {}, el("span", {}, t(name)),
      el("select", { name, id: "filter-" + name }, opt("", t("any")),
        options.map(([v, text]) => opt(v, text, p[name] === v))));
    clear(form).append(
      select("department", Object.values(deps).map((d) => [d.code, d.code + " " + d.name])),
      select("street", streets.map((a) => [a.code, a.name])),
      select("community", communities.map((a) => [a.code, a.name])),
      el("label", {}, el("span", {}, t("grid")), el("input", { name: "grid", id: "filter-grid", value: p.grid || "", size: 14, pattern: "[0-9]*" })),
      select("category", Object.values(cats).map((c) => [c.code, Desk.categoryName(cats, c.code)])),
      select("escalation_level", [1, 2, 3, 4].map((n) => [String(n), n + " " + t("level_" + n)])),
      el("label", {}, el("span", {}, t("due_within_hours")), el("input", { name: "due_within_hours", id: "filter-due-within", type: "number", min: 0.1, step: "any", value: p.due_within_hours || "" })),
      el("button", { type: "submit", id: "filter-apply", class: "gf-primary" }, t("apply")),
      el("button", { type: "button", id: "filter-reset", onclick: () => { history.replaceState(null, "", location.pathname); buildFilters(); loadOverdue(); } }, t("reset")));
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const values = Object.fromEntries(Array.from(new FormData(form)).filter(([, v]) => String(v).trim() !== ""));
      history.replaceState(null, "", location.pathname + Desk.query(values));
      loadOverdue();
    };
  }

  async function loadOverdue() {
    const box = document.getElementById("overdue");
    const p = params();
    const filters = Object.fromEntries(FILTERS.map((k) => [k, p[k]]));
    const offset = Number(p.offset || 0);
    const [cats, deps] = await Promise.all([Desk.categories(), Desk.departments()]);
    let page;
    try {
      page = await api("GET", "/tickets/overdue" + Desk.query({ ...filters, limit: PAGE, offset }));
    } catch (e) { flash(clear(box).appendChild(el("div", { id: "overdue-error" })), e.message); return; }
    const now = Date.now();
    clear(box).append(Desk.table([
      { label: t("col_state"), cell: (r) => Desk.colourBadge(Desk.colourOf(r, now)) },
      { label: t("col_ticket"), cell: (r) => ticketLink(r.ticket_id) },
      { label: t("col_category"), cell: (r) => Desk.categoryName(cats, r.category) },
      { label: t("col_department"), cell: (r) => Desk.departmentName(deps, r.department) },
      { label: t("col_status"), cell: (r) => Desk.statusLabel(r.status) },
      { label: t("col_stage"), cell: (r) => Desk.stageLabel(r.current_stage) },
      { label: t("col_due"), cell: (r) => fmtTime(r.current_due_at) },
      { label: t("col_left"), cell: (r) => Desk.timeLeft(r, now) },
      { label: t("col_level"), cell: (r) => r.escalation_level ? t("level_" + r.escalation_level) : "—" },
      { label: t("col_grid"), cell: (r) => r.grid },
    ], page.items, {
      class: "gf-overdue",
      rowAttrs: (r) => ({ "data-ticket-id": r.ticket_id, "data-colour": Desk.colourOf(r, now), class: "gf-row-" + Desk.colourOf(r, now) }),
      onRowClick: (r) => { location.href = "/app/supervisor/tickets/" + encodeURIComponent(r.ticket_id); },
    }), Desk.pager(page, (o) => {
      history.replaceState(null, "", location.pathname + Desk.query({ ...filters, offset: o || "" }));
      loadOverdue();
    }));
    document.getElementById("overdue-count").textContent = String(page.total);
  }

  /* A row action: runs the call, shows the API's message on refusal, reloads the section. */
  function rowAction(id, text, run, reload, cls) {
    const b = el("button", { type: "button", id, class: cls || null }, text);
    b.addEventListener("click", async () => {
      b.disabled = true;
      const cell = b.closest("td");
      const old = cell.querySelector(".gf-flash");
      if (old) old.remove();
      try {
        await run();
        await reload();
      } catch (e) {
        const message = el("div", { class: "gf-flash" });
        flash(message, e.message);
        cell.appendChild(message);
        b.disabled = false;
      }
    });
    return b;
  }

  const post = (ticketId, action, body) => api("POST", `/tickets/${encodeURIComponent(ticketId)}/${action}`, body);

  async function loadQueue() {
    const box = document.getElementById("dispatch-queue");
    const [cats, deps] = await Promise.all([Desk.categories(), Desk.departments()]);
    let page;
    try { page = await api("GET", "/dispatch-queue?limit=100"); } catch (e) { flash(clear(box).appendChild(el("div", {})), e.message); return; }
    clear(box).append(Desk.table([
      { label: t("col_ticket"), cell: (r) => ticketLink(r.ticket_id) },
      { label: t("col_category"), cell: (r) => Desk.categoryName(cats, r.category) },
      { label: t("col_grid"), cell: (r) => r.grid },
      { label: t("col_returns"), cell: (r) => String(r.return_count) },
      { label: t("col_due"), cell: (r) => fmtTime(r.current_due_at) },
      { label: t("dispatch_to"), cell: (r) => {
        const select = el("select", { id: "dispatch-to-" + r.ticket_id, "aria-label": t("dispatch_to") },
          Object.values(deps).map((d) => opt(d.code, d.code + " " + d.name, cats[r.category] && cats[r.category].default_department === d.code)));
        return [select, rowAction("dispatch-" + r.ticket_id, t("dispatch"),
          () => post(r.ticket_id, "dispatch", { department: select.value }), reloadAll, "gf-primary")];
      } },
    ], page.items, { rowAttrs: (r) => ({ "data-ticket-id": r.ticket_id }) }));
    document.getElementById("dispatch-count").textContent = String(page.total);
  }

  async function loadExtensions() {
    const box = document.getElementById("extension-requests");
    const deps = await Desk.departments();
    let page;
    try { page = await api("GET", "/extension-requests?limit=100"); } catch (e) { flash(clear(box).appendChild(el("div", {})), e.message); return; }
    clear(box).append(Desk.table([
      { label: t("col_ticket"), cell: (i) => ticketLink(i.ticket.ticket_id) },
      { label: t("col_department"), cell: (i) => Desk.departmentName(deps, i.ticket.department) },
      { label: t("col_stage"), cell: (i) => Desk.stageLabel(i.extension_request.stage) },
      { label: t("col_due"), cell: (i) => fmtTime(i.ticket.current_due_at) },
      { label: t("col_days"), cell: (i) => "+" + i.extension_request.working_days },
      { label: t("col_reason"), cell: (i) => i.extension_request.reason },
      { label: t("col_by"), cell: (i) => i.extension_request.requested_by + " · " + fmtTime(i.extension_request.requested_at) },
      { label: t("col_actions"), cell: (i) => {
        const id = i.ticket.ticket_id;
        const reason = el("input", { id: "ext-reason-" + id, placeholder: t("decision_reason"), "aria-label": t("decision_reason"), size: 10 });
        const body = () => ({ reason: reason.value.trim() || undefined });
        return [reason,
          rowAction("approve-" + id, t("approve"), () => post(id, "approve-extension", body()), reloadAll, "gf-primary"),
          rowAction("refuse-" + id, t("refuse"), () => post(id, "refuse-extension", body()), reloadAll)];
      } },
    ], page.items, { rowAttrs: (i) => ({ "data-ticket-id": i.ticket.ticket_id }) }));
    document.getElementById("extension-count").textContent = String(page.total);
  }

  async function loadParking() {
    const box = document.getElementById("parking-requests");
    const deps = await Desk.departments();
    let page;
    try { page = await api("GET", "/parking-requests?limit=100"); } catch (e) { flash(clear(box).appendChild(el("div", {})), e.message); return; }
    clear(box).append(Desk.table([
      { label: t("col_ticket"), cell: (i) => ticketLink(i.ticket.ticket_id) },
      { label: t("col_department"), cell: (i) => Desk.departmentName(deps, i.ticket.department) },
      { label: t("col_due"), cell: (i) => fmtTime(i.parking_request.review_at) },
      { label: t("col_reason"), cell: (i) => i.parking_request.reason },
      { label: t("col_by"), cell: (i) => i.parking_request.requested_by + " · " + fmtTime(i.parking_request.requested_at) },
      { label: t("col_actions"), cell: (i) => [
        rowAction("approve-parking-" + i.ticket.ticket_id, t("approve"), () => post(i.ticket.ticket_id, "approve-parking"), reloadAll, "gf-primary"),
        rowAction("refuse-parking-" + i.ticket.ticket_id, t("refuse"), () => post(i.ticket.ticket_id, "refuse-parking"), reloadAll)] },
    ], page.items, { rowAttrs: (i) => ({ "data-ticket-id": i.ticket.ticket_id }) }));
    document.getElementById("parking-count").textContent = String(page.total);
  }

  async function loadDuplicates() {
    const box = document.getElementById("duplicates");
    const cats = await Desk.categories();
    let page;
    try { page = await api("GET", "/duplicates?limit=50"); } catch (e) { flash(clear(box).appendChild(el("div", {})), e.message); return; }
    // The candidates are on each ticket (duplicate_candidates): one read per flagged report.
    const tickets = Object.fromEntries(await Promise.all(page.items.map(async (r) => {
      try { return [r.ticket_id, await api("GET", "/tickets/" + encodeURIComponent(r.ticket_id))]; } catch (e) { return [r.ticket_id, null]; }
    })));
    clear(box).append(Desk.table([
      { label: t("col_ticket"), cell: (r) => ticketLink(r.ticket_id) },
      { label: t("col_category"), cell: (r) => Desk.categoryName(cats, r.category) },
      { label: t("description"), cell: (r) => tickets[r.ticket_id] ? tickets[r.ticket_id].description : "" },
      { label: t("col_submitted"), cell: (r) => fmtTime(r.submitted_at) },
      { label: t("col_candidates"), cell: (r) => ((tickets[r.ticket_id] || {}).duplicate_candidates || []).map((c) =>
        el("div", { class: "gf-candidate" }, ticketLink(c.ticket_id), ` ${c.distance_m} m `,
          rowAction(`merge-${r.ticket_id}-${c.ticket_id}`, t("merge_into"), () => post(r.ticket_id, "merge", { into: c.ticket_id }), reloadAll, "gf-primary"))) },
      { label: t("col_actions"), cell: (r) => rowAction("keep-" + r.ticket_id, t("keep_separate"), () => post(r.ticket_id, "keep-separate"), reloadAll) },
    ], page.items, { rowAttrs: (r) => ({ "data-ticket-id": r.ticket_id }) }));
    document.getElementById("duplicates-count").textContent = String(page.total);
  }

  async function reloadAll() {
    await Promise.all([loadOverdue(), loadQueue(), loadExtensions(), loadParking(), loadDuplicates()]);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const user = await Desk.boot("supervisor");
    if (!user) return;
    await buildFilters();
    document.getElementById("supervisor-refresh").addEventListener("click", reloadAll);
    await reloadAll();
    document.body.dataset.ready = "1";
  });
})();
