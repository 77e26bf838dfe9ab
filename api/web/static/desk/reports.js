/* /app/reports: the periodic reports kept, newest first (GET /reports), a kind at a time;
 * /app/reports/{id}: one report (GET /reports/{id}) — its headline figures, a chart per department
 * (written off, open, overdue; the vendored Chart.js), the most overdue tickets, its rows per
 * district, street and department, and its CSV and XLSX (fetched with the token, saved as a file). */
(function () {
  "use strict";
  const { t, el, clear, api, flash } = Desk;
  const pct = (x) => (x === null || x === undefined ? "—" : (Math.round(x * 1000) / 10) + "%");
  const kindLabel = (k) => t("report_kind." + k);
  const inclusive = (start, end) => {
    const last = new Date(Date.parse(end + "T00:00:00Z") - 86400000).toISOString().slice(0, 10);
    return last === start ? start : start + " — " + last;
  };

  /* --- the list ---------------------------------------------------------------------------- */

  async function list(offset) {
    const kind = document.getElementById("reports-kind").value;
    const message = document.getElementById("reports-message");
    clear(message);
    history.replaceState(null, "", location.pathname + Desk.query({ kind }));
    let page;
    try {
      page = await api("GET", "/reports" + Desk.query({ kind, limit: 50, offset: offset || 0 }));
    } catch (e) {
      flash(message, e.message);
      return;
    }
    document.getElementById("reports-count").textContent = String(page.total);
    const box = clear(document.getElementById("reports"));
    box.appendChild(Desk.table([
      { label: t("report_title"), cell: (r) => el("a", { href: "/app/reports/" + encodeURIComponent(r.report_id) }, r.title) },
      { label: t("report_kind"), cell: (r) => kindLabel(r.kind) },
      { label: t("report_period"), cell: (r) => inclusive(r.period_start, r.period_end) },
      { label: t("report_compiled"), cell: (r) => Desk.fmtTime(r.compiled_at) },
    ], page.items, {
      rowAttrs: (r) => ({ "data-report-id": r.report_id }),
      onRowClick: (r) => { location.href = "/app/reports/" + encodeURIComponent(r.report_id); },
    }));
    box.appendChild(Desk.pager(page, list));
    document.body.dataset.ready = "1";
  }

  /* --- one report -------------------------------------------------------------------------- */

  async function download(reportId, extension, message) {
    try {
      const response = await fetch("/api/v1/reports/" + encodeURIComponent(reportId) + "." + extension, {
        headers: { Authorization: "Bearer " + (Desk.token() || "") },
      });
      if (!response.ok) throw new Desk.ApiError(response.status, await response.json().catch(() => null));
      const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "gridflow-" + reportId + "." + extension });
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (e) {
      flash(message, e.message);
    }
  }

  const COLUMNS = [
    ["new", "report_new"], ["dispatched", "report_dispatched"], ["written_off", "report_written_off"],
    ["written_off_on_time", "report_written_off_on_time"], ["on_time_write_off_rate", "report_on_time_write_off_rate"],
    ["on_time_close_rate", "report_on_time_close_rate"], ["rework", "report_rework"], ["returned", "report_returned"],
    ["open", "report_open"], ["overdue", "report_overdue"],
  ];
  const value = (row, key) => (key.endsWith("_rate") ? pct(row[key]) : String(row[key]));

  function rowsTable(rows, deps, section) {
    const name = (r) => {
      if (r.group === "unassigned") return t("report_unassigned");
      return section === "department" ? (r.name || Desk.departmentName(deps, r.group)) : (r.name || r.group);
    };
    return Desk.table([
      { label: t("report_group." + section), cell: name },
      ...COLUMNS.map(([key, label]) => ({ label: t(label), cell: (r) => value(r, key), class: "gf-num" })),
    ], rows, { rowAttrs: (r) => ({ "data-group": r.group }) });
  }

  function total(report) {
    const rows = report.districts;
    if (rows.length === 1) return rows[0];
    const sum = (k) => rows.reduce((n, r) => n + r[k], 0);
    const out = Object.fromEntries(COLUMNS.map(([k]) => [k, sum(k)]));
    out.on_time_write_off_rate = out.written_off ? out.written_off_on_time / out.written_off : null;
    out.on_time_close_rate = sum("new") ? sum("closed_on_time") / sum("new") : null;
    return out;
  }

  async function show(reportId) {
    const message = document.getElementById("report-message");
    let report;
    try {
      report = await api("GET", "/reports/" + encodeURIComponent(reportId));
    } catch (e) {
      document.getElementById("report-heading").textContent = reportId;
      flash(message, e.message);
      return;
    }
    const [deps, cats] = await Promise.all([Desk.departments().catch(() => ({})), Desk.categories().catch(() => ({}))]);
    document.title = report.title;
    document.getElementById("report-heading").textContent = report.title;
    const period = document.getElementById("report-period");
    period.textContent = t("report_covers", {
      period: inclusive(report.period_start, report.period_end), at: Desk.fmtTime(report.compiled_at),
    });
    if (!report.calendar_known) flash(message, t("report_calendar_unknown", { year: report.day.slice(0, 4) }));
    const figures = clear(document.getElementById("report-figures"));
    const sum = total(report);
    for (const [key, label] of COLUMNS) {
      figures.appendChild(el("div", { class: "gf-figure", "data-figure": key }, el("dt", {}, t(label)), el("dd", {}, value(sum, key))));
    }
    for (const [id, ext] of [["report-csv", "csv"], ["report-xlsx", "xlsx"]]) {
      const button = document.getElementById(id);
      button.disabled = false;
      button.addEventListener("click", () => download(report.report_id, ext, message));
    }

    const shown = report.departments.filter((r) => r.written_off || r.open || r.overdue);
    new Chart(document.getElementById("chart-report"), {
      type: "bar",
      data: {
        labels: shown.map((r) => (r.group === "unassigned" ? t("report_unassigned") : r.name || Desk.departmentName(deps, r.group))),
        datasets: [
          { label: t("report_written_off"), data: shown.map((r) => r.written_off), backgroundColor: "#16a34a" },
          { label: t("report_open"), data: shown.map((r) => r.open), backgroundColor: "#93c5fd" },
          { label: t("report_overdue"), data: shown.map((r) => r.overdue), backgroundColor: "#dc2626" },
        ],
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });

    clear(document.getElementById("report-overdue")).appendChild(Desk.table([
      { label: t("col_ticket"), cell: (o) => el("a", { class: "gf-ticket-link", href: "/app/supervisor/tickets/" + encodeURIComponent(o.ticket_id) }, o.ticket_id) },
      { label: t("col_category"), cell: (o) => Desk.categoryName(cats, o.category) },
      { label: t("col_department"), cell: (o) => o.department_name || Desk.departmentName(deps, o.department) },
      { label: t("report_group.street"), cell: (o) => o.street_name || o.street },
      { label: t("col_due"), cell: (o) => Desk.fmtTime(o.due_at) },
      { label: t("report_days_late"), cell: (o) => (o.days_late === null ? "—" : String(o.days_late)), class: "gf-num" },
    ], report.most_overdue, { rowAttrs: (o) => ({ "data-ticket-id": o.ticket_id }) }));
    for (const section of ["district", "street", "department"]) {
      clear(document.getElementById("report-" + section + "s")).appendChild(rowsTable(report[section + "s"], deps, section));
    }
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const user = await Desk.boot("supervisor");
    if (!user) return;
    const view = document.getElementById("report-view");
    if (view) {
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      await show(view.dataset.reportId);
      return;
    }
    const kind = document.getElementById("reports-kind");
    kind.value = new URLSearchParams(location.search).get("kind") || "";
    kind.addEventListener("change", () => list(0));
    await list(0);
  });
})();
