/* /app/admin/rules: routing rules (GET/POST/DELETE /api/v1/admin/routing-rules) with the preview
 * "where would this report go and by which rule" (GET /routing/preview), and deadline rules
 * (GET/POST/DELETE /api/v1/admin/deadline-rules) with the preview "a report filed now is due
 * when, per stage" (GET /admin/deadline-rules/preview). */
(function () {
  "use strict";
  const { h, t } = GF;
  const $ = (id) => document.getElementById(id);

  function limit(r) { return r.amount + " " + t("unit." + r.unit); }
  function values(form) {
    const out = {};
    for (const [k, v] of new FormData(form).entries()) if (String(v).trim() !== "") out[k] = String(v).trim();
    return out;
  }

  async function loadRouting() {
    const rules = await GF.api("/admin/routing-rules");
    $("routing-rules").querySelector("tbody").replaceChildren(...rules.map((r) => {
      const end = h("button", { type: "button", class: "end", onclick: async () => {
        try { await GF.api(`/admin/routing-rules/${encodeURIComponent(r.rule_id)}`, { method: "DELETE" }); await loadRouting(); }
        catch (err) { end.replaceWith(h("span", { class: "error" }, GF.errorText(err))); }
      } }, t("admin.routing.end"));
      return h("tr", { dataset: { rule: r.rule_id, status: r.status } },
        h("td", null, h("code", null, r.rule_id)), h("td", null, r.category), h("td", null, r.area || t("admin.any")),
        h("td", null, r.department), h("td", null, String(r.priority)), h("td", null, t("admin.routing.status." + r.status)),
        h("td", null, r.status === "ended" ? "" : end));
    }));
  }

  async function addRouting(event) {
    event.preventDefault();
    const body = values($("routing-form"));
    if (body.priority !== undefined) body.priority = Number(body.priority);
    $("routing-errors").hidden = true;
    try {
      await GF.api("/admin/routing-rules", { method: "POST", json: body });
      $("routing-form").reset();
      await loadRouting();
    } catch (err) { AdminForm.showErrors($("routing-errors"), "routing", err); }
  }

  async function previewRouting(event) {
    event.preventDefault();
    const q = new URLSearchParams(values($("routing-preview-form")));
    try {
      const p = await GF.api("/routing/preview?" + q);
      const d = p.decision;
      $("routing-answer").textContent = d.department
        ? t("admin.routing.goes", { department: d.department, rule: d.rule_id || "—" })
        : t("admin.routing.manual");
      $("routing-answer").dataset.department = d.department || "";
    } catch (err) {
      $("routing-answer").textContent = GF.errorText(err);
      $("routing-answer").dataset.department = "";
    }
  }

  async function loadDeadlines() {
    const policy = await GF.api("/admin/deadline-rules");
    $("deadline-rules").querySelector("tbody").replaceChildren(...policy.rules.map((r) => {
      const remove = h("button", { type: "button", class: "remove", onclick: async () => {
        try { await GF.api(`/admin/deadline-rules/${r.id}`, { method: "DELETE" }); await loadDeadlines(); }
        catch (err) { remove.replaceWith(h("span", { class: "error" }, GF.errorText(err))); }
      } }, t("admin.deadlines.remove"));
      return h("tr", { dataset: { id: String(r.id), stage: r.stage, category: r.category || "" } },
        h("td", null, GF.stageLabel(r.stage)), h("td", null, r.category || t("admin.any")),
        h("td", null, r.urgency ? t("urgency." + r.urgency) : t("admin.any")), h("td", null, limit(r)), h("td", null, remove));
    }));
  }

  async function addDeadline(event) {
    event.preventDefault();
    const body = values($("deadline-form"));
    if (body.amount !== undefined) body.amount = Number(body.amount);
    $("deadline-errors").hidden = true;
    try {
      await GF.api("/admin/deadline-rules", { method: "POST", json: body });
      $("deadline-form").reset();
      await loadDeadlines();
    } catch (err) { AdminForm.showErrors($("deadline-errors"), "deadlines", err); }
  }

  async function previewDeadlines(event) {
    event.preventDefault();
    $("deadline-preview-errors").hidden = true;
    try {
      const p = await GF.api("/admin/deadline-rules/preview?" + new URLSearchParams(values($("deadline-preview-form"))));
      $("deadline-answer").querySelector("tbody").replaceChildren(...p.stages.map((s) =>
        h("tr", { dataset: { stage: s.stage } },
          h("td", null, GF.stageLabel(s.stage)),
          h("td", null, limit(s) + (s.from_table ? " · " + t("admin.deadlines.table_rule") : "")),
          h("td", null, s.due_at ? GF.when(s.due_at) + (s.provisional ? " · " + t("admin.calendar.provisional") : "") : t("admin.deadlines.undated")))));
      $("deadline-answer").hidden = false;
    } catch (err) { AdminForm.showErrors($("deadline-preview-errors"), "deadlines", err); }
  }

  $("routing-form").addEventListener("submit", addRouting);
  $("routing-preview-form").addEventListener("submit", previewRouting);
  $("deadline-form").addEventListener("submit", addDeadline);
  $("deadline-preview-form").addEventListener("submit", previewDeadlines);
  GF.requireUser(["admin"]).then(() => Promise.all([loadRouting(), loadDeadlines()]));
})();
