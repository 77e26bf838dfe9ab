/* /app/admin/calendar: the years deadlines are dated in (official, provisional), and a year's
 * holiday notice: entered, dry-run (which running tickets it re-dates, by how much, and how it
 * compares with chinesecalendar and the statutory rules), then loaded, with the re-dating's
 * progress (docs/deadlines.md). */
(function () {
  "use strict";
  const { h, t } = GF;
  const $ = (id) => document.getElementById(id);
  const DAY = 86400000;
  let notice = null; // the body of the last dry run, which Apply loads

  async function loadYears() {
    try {
      const status = await GF.api("/admin/calendar");
      $("years").querySelector("tbody").replaceChildren(...status.years.map((y) =>
        h("tr", { dataset: { year: String(y.year), state: y.provisional ? "provisional" : "official" } },
          h("td", null, String(y.year)),
          h("td", null, y.provisional
            ? h("span", { class: "badge provisional" }, t("admin.calendar.provisional"))
            : t("admin.calendar.official")),
          h("td", null, y.source),
          h("td", null, y.loaded_at ? GF.when(y.loaded_at) : "—"))));
      $("years").hidden = false;
      $("years-status").hidden = true;
      if (!$("notice-year").value && status.provisional_years.length) {
        $("notice-year").value = String(status.provisional_years[0]);
      }
    } catch (err) {
      $("years-status").textContent = GF.errorText(err);
    }
  }

  function showError(err) {
    AdminForm.showErrors($("notice-error"), "calendar", err);
  }

  function movedText(change) {
    const days = Math.round((new Date(change.due_at) - new Date(change.old_due_at)) / DAY);
    return days ? t("admin.calendar.moved_days", { n: (days > 0 ? "+" : "") + days }) : t("admin.calendar.mark_only");
  }

  function crossCheckLines(checks) {
    return checks.map((c) => {
      const diffs = [];
      if (c.off_not_listed.length) diffs.push(t("admin.calendar.check.off_not_listed", { days: c.off_not_listed.join(", ") }));
      if (c.listed_not_off.length) diffs.push(t("admin.calendar.check.listed_not_off", { days: c.listed_not_off.join(", ") }));
      if (c.workdays_differ.length) diffs.push(t("admin.calendar.check.workdays_differ", { days: c.workdays_differ.join(", ") }));
      return h("li", { class: diffs.length ? "warn" : "ok", dataset: { reference: c.reference.split(" ")[0] } },
        c.reference + "：" + (diffs.length ? diffs.join("；") : t("admin.calendar.check.agrees")));
    });
  }

  async function dryRun(event) {
    event.preventDefault();
    $("notice-error").hidden = true;
    $("preview").hidden = true;
    const year = $("notice-year").value.trim();
    if (!/^\d{4}$/.test(year)) {
      showError(new GF.ApiError(422, { fields: [{ field: "year", message: t("admin.calendar.year_needed") }] }));
      return;
    }
    const body = { holidays: AdminForm.list($("notice-holidays").value), workdays: AdminForm.list($("notice-workdays").value),
                   source: $("notice-source").value.trim() };
    try {
      const preview = await GF.api(`/admin/calendar/${year}/dry-run`, { method: "POST", json: body });
      notice = { year, body };
      $("preview-summary").textContent = t("admin.calendar.summary",
        { year, total: preview.tickets_total, moved: preview.moved_total });
      $("cross-check").replaceChildren(...crossCheckLines(preview.cross_check));
      const rows = [];
      for (const ticket of preview.tickets) {
        for (const change of ticket.changes) {
          rows.push(h("tr", { dataset: { ticket: ticket.ticket_id, stage: change.stage } },
            h("td", null, h("code", null, ticket.ticket_id)),
            h("td", null, ticket.department || "—"),
            h("td", null, GF.stageLabel(change.stage)),
            h("td", null, GF.when(change.old_due_at)),
            h("td", null, GF.when(change.due_at)),
            h("td", null, movedText(change))));
        }
      }
      $("preview-tickets").querySelector("tbody").replaceChildren(...rows);
      $("preview-tickets").hidden = !rows.length;
      $("apply-status").textContent = "";
      $("notice-apply").disabled = false;
      $("preview").hidden = false;
    } catch (err) {
      showError(err);
    }
  }

  async function follow(url) {
    for (;;) {
      const progress = await GF.api(url.replace(/^\/api\/v1/, ""));
      $("apply-status").textContent = t(progress.done ? "admin.calendar.done" : "admin.calendar.progress",
        { redated: progress.redated, moved: progress.moved, skipped: progress.skipped.length });
      $("apply-status").dataset.done = String(progress.done);
      if (progress.done) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async function apply() {
    if (!notice) return;
    $("notice-apply").disabled = true;
    try {
      const loaded = await GF.api(`/admin/calendar/${notice.year}`, { method: "PUT", json: notice.body });
      await follow(loaded.redating.progress_url);
      await loadYears();
      if (window.AdminWarnings) await window.AdminWarnings.show();
    } catch (err) {
      $("notice-apply").disabled = false;
      showError(err);
    }
  }

  $("notice-form").addEventListener("submit", dryRun);
  $("notice-apply").addEventListener("click", apply);
  GF.requireUser(["admin"]).then(loadYears);
})();
