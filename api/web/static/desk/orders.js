/* /app/supervisor/orders and /app/department/orders: 督办单 (supervision orders), newest first,
 * and the selected one beside the list (#DB-… in the address). Department staff answer an order
 * still owed; supervisors close one. Every text from the API goes in as text (Desk.el). */
(function () {
  "use strict";
  const { t, el, clear, api, fmtTime, flash } = Desk;
  const PAGE = 50;
  const OWED = ["open", "breached"];
  let user = null;
  let offset = 0;

  const statusOf = (s) => el("span", { class: "gf-status gf-order-" + s, dataset: { status: s } }, t("order_status." + s));
  const ticketLink = (id) => el("a", {
    href: user.role === "supervisor" ? "/app/supervisor/tickets/" + encodeURIComponent(id) : "/app/department#" + id,
  }, id);

  async function loadList() {
    const box = document.getElementById("orders");
    const status = document.getElementById("orders-status").value;
    let page;
    try {
      page = await api("GET", "/orders" + Desk.query({ status, limit: PAGE, offset }));
    } catch (e) {
      flash(clear(box).appendChild(el("div", {})), e.message);
      return;
    }
    const selected = decodeURIComponent(location.hash.slice(1));
    clear(box).appendChild(Desk.table([
      { label: t("col_order"), cell: (o) => el("a", { href: "#" + o.order_id }, o.order_id) },
      { label: t("col_state"), cell: (o) => statusOf(o.status) },
      { label: t("department"), cell: (o) => o.department },
      { label: t("col_tickets"), cell: (o) => o.tickets.join(", ") },
      { label: t("col_reply_due"), cell: (o) => fmtTime(o.reply_due_at) },
      { label: t("escalation"), cell: (o) => t("level_" + o.escalation_level) },
    ], page.items, {
      class: "gf-orders",
      rowAttrs: (o) => ({ "data-order-id": o.order_id, "data-status": o.status, class: o.order_id === selected ? "gf-selected" : null }),
      onRowClick: (o) => { location.hash = o.order_id; },
    }), Desk.pager(page, (o) => { offset = o; loadList(); }));
    document.getElementById("orders-count").textContent = String(page.total);
  }

  function form(id, title, fields, run) {
    const message = el("div", { class: "gf-flash", id: id + "-message" });
    const node = el("form", { class: "gf-action", id }, el("h4", {}, title), fields,
      el("button", { type: "submit", id: id + "-submit", class: "gf-primary" }, t("submit")), message);
    node.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await run(new FormData(node));
        await Promise.all([loadList(), showSelected()]);
      } catch (e) { flash(message, e.message || String(e)); }
    });
    return node;
  }
  const label = (text, input) => el("label", {}, el("span", {}, text), input);

  function actions(order) {
    const id = encodeURIComponent(order.order_id);
    const out = [];
    if (user.role === "department_staff" && OWED.includes(order.status)) {
      out.push(form("act-answer", t("order_answer"), [
        label(t("order_done"), el("textarea", { name: "done", id: "answer-done", rows: 3, required: true, maxlength: 2000 })),
        label(t("order_finish_by"), el("input", { name: "finish_by", id: "answer-finish-by", type: "date", min: Desk.today(), required: true })),
      ], (v) => api("POST", `/orders/${id}/answer`, { done: (v.get("done") || "").trim(), finish_by: v.get("finish_by") })));
    }
    if (user.role === "supervisor" && order.status !== "closed") {
      out.push(form("act-close", t("order_close"), [
        label(t("note"), el("input", { name: "note", id: "close-note", maxlength: 2000 })),
      ], (v) => api("POST", `/orders/${id}/close`, { note: (v.get("note") || "").trim() || undefined })));
    }
    return out;
  }

  async function showSelected() {
    const pane = document.getElementById("order-pane");
    const id = decodeURIComponent(location.hash.slice(1));
    for (const tr of document.querySelectorAll("#orders tr[data-order-id]")) {
      tr.classList.toggle("gf-selected", tr.dataset.orderId === id);
    }
    if (!id) {
      clear(pane).appendChild(el("p", { class: "gf-muted" }, t("select_order")));
      return;
    }
    let order;
    try {
      order = await api("GET", "/orders/" + encodeURIComponent(id));
    } catch (e) {
      flash(clear(pane).appendChild(el("div", {})), e.message);
      return;
    }
    const field = (name, value, fid) => el("div", { class: "gf-field" }, el("dt", {}, name), el("dd", fid ? { id: fid } : {}, value));
    const acts = actions(order);
    clear(pane).appendChild(el("article", { id: "order-view", dataset: { orderId: order.order_id, status: order.status } },
      el("header", { class: "gf-ticket-head" }, el("h2", {}, order.order_id), statusOf(order.status)),
      el("dl", { class: "gf-facts" },
        field(t("order_instruction"), order.instruction, "order-instruction-text"),
        field(t("col_tickets"), order.tickets.flatMap((tid) => [ticketLink(tid), " "]), "order-tickets"),
        field(t("department"), order.department),
        field(t("col_reply_due"), order.calendar_error ? order.calendar_error : fmtTime(order.reply_due_at)),
        field(t("escalation"), t("level_" + order.escalation_level)
          + (order.escalates_at ? " · " + t("order_next_climb") + " " + fmtTime(order.escalates_at) : "")),
        order.answer ? field(t("order_done"), order.answer, "order-answer") : null,
        order.promised_finish ? field(t("order_finish_by"), order.promised_finish) : null,
        order.close_note ? field(t("note"), order.close_note) : null),
      acts.length ? el("section", { class: "gf-actions" }, el("h3", {}, t("actions")), acts) : null,
      el("section", {}, el("h3", {}, t("timeline")),
        el("ol", { class: "gf-timeline", id: "order-timeline" }, order.timeline.map((e) =>
          el("li", { dataset: { kind: e.kind } },
            el("span", { class: "gf-when" }, fmtTime(e.at)),
            el("span", { class: "gf-what" }, t("order_event." + e.kind)),
            el("span", { class: "gf-who" }, e.actor_id),
            e.note ? el("div", { class: "gf-details" }, el("div", { class: "gf-reason" }, e.note)) : null))))));
  }

  document.addEventListener("DOMContentLoaded", async () => {
    user = await Desk.boot(document.getElementById("orders-page").dataset.role);
    if (!user) return;
    document.getElementById("orders-refresh").addEventListener("click", loadList);
    document.getElementById("orders-status").addEventListener("change", () => { offset = 0; loadList(); });
    window.addEventListener("hashchange", showSelected);
    await loadList();
    await showSelected();
    document.body.dataset.ready = "1";
  });
})();
