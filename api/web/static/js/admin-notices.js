/* /app/admin/notifications: failed deliveries with a retry each (GET /api/v1/admin/deliveries
 * ?status=failed, POST …/{id}/retry), the channels (never a secret: has_secret) and who hears
 * what (the subscriptions). Every text from the API goes in as text (GF.h). */
(function () {
  "use strict";
  const { h, t } = GF;
  const $ = (id) => document.getElementById(id);

  function rows(table, items) {
    $(table).querySelector("tbody").replaceChildren(...items);
  }

  async function retry(d, button, row) {
    button.disabled = true;
    try {
      const answer = await GF.api(`/admin/deliveries/${d.id}/retry`, { method: "POST" });
      row.dataset.status = answer.status;
      button.replaceWith(h("span", { class: "ok" }, t("admin.retried")));
    } catch (err) {
      button.disabled = false;
      button.replaceWith(h("span", { class: "error" }, GF.errorText(err)));
    }
  }

  function failedRow(d) {
    const row = h("tr", { dataset: { id: String(d.id), status: d.status } });
    const button = h("button", { type: "button", class: "retry", onclick: () => retry(d, button, row) },
      t("admin.retry"));
    row.append(
      h("td", null, d.kind || "", d.ticket_id ? h("div", { class: "hint" }, d.ticket_id) : null),
      h("td", null, d.channel_id),
      h("td", null, d.recipient_id || "—"),
      h("td", null, String(d.attempts)),
      h("td", { class: "error-text" }, d.last_error || ""),
      h("td", null, GF.when(d.created_at)),
      h("td", null, button));
    return row;
  }

  async function loadFailed() {
    const status = $("failed-status");
    try {
      const page = await GF.api("/admin/deliveries?status=failed&limit=200");
      rows("failed", page.items.map(failedRow));
      $("failed").hidden = !page.items.length;
      $("failed-count").hidden = !page.total;
      $("failed-count").textContent = String(page.total);
      status.textContent = page.items.length ? "" : t("admin.failed.none");
      status.hidden = Boolean(page.items.length);
    } catch (err) {
      status.textContent = GF.errorText(err);
    }
  }

  async function loadChannels() {
    const page = await GF.api("/admin/channels?limit=200");
    rows("channels", page.items.map((c) => h("tr", { class: c.active ? "" : "inactive", dataset: { channel: c.channel_id } },
      h("td", null, h("code", null, c.channel_id)),
      h("td", null, c.kind),
      h("td", null, c.name),
      h("td", { class: "url" }, c.url || "—"),
      h("td", null, c.has_secret ? (c.secret_env ? t("admin.secret.env", { name: c.secret_env }) : t("admin.secret.kept")) : "—"),
      h("td", null, c.active ? t("admin.yes") : t("admin.no")))));
  }

  async function loadSubscriptions() {
    const page = await GF.api("/admin/subscriptions?limit=200");
    rows("subscriptions", page.items.map((s) => h("tr", { dataset: { id: String(s.id) } },
      h("td", null, s.kind), h("td", null, s.audience), h("td", null, s.channel_id),
      h("td", null, s.scope || t("admin.scope.all")))));
  }

  GF.requireUser(["admin"]).then(() => Promise.all([loadFailed(), loadChannels(), loadSubscriptions()]))
    .catch((err) => { $("failed-status").textContent = GF.errorText(err); });
})();
