/* /app/supervisor/charts: on-time close rate by department (GET /metrics?group_by=department) and
 * tickets per day (GET /metrics/daily), drawn with the vendored Chart.js; each chart has its
 * numbers in a table underneath. */
(function () {
  "use strict";
  const { t, el, clear, api, flash } = Desk;
  const charts = {};

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(document.getElementById(id), config);
  }

  const pct = (x) => (x === null || x === undefined ? "—" : (Math.round(x * 1000) / 10) + "%");

  async function load() {
    const form = document.getElementById("charts-period");
    const from = form.elements.from.value;
    const to = form.elements.to.value;
    const message = document.getElementById("charts-message");
    clear(message);
    history.replaceState(null, "", location.pathname + Desk.query({ from, to }));
    let report, daily;
    try {
      [report, daily] = await Promise.all([
        api("GET", "/metrics" + Desk.query({ group_by: "department", from, to })),
        api("GET", "/metrics/daily" + Desk.query({ from, to })),
      ]);
    } catch (e) {
      flash(message, e.message);
      return;
    }
    const deps = await Desk.departments();
    const rows = report.rows.filter((r) => r.tickets > 0);
    const names = rows.map((r) => r.name || Desk.departmentName(deps, r.group));
    draw("chart-on-time", {
      type: "bar",
      data: {
        labels: names,
        datasets: [{
          label: t("rate"), data: rows.map((r) => (r.on_time_close_rate === null ? null : Math.round(r.on_time_close_rate * 1000) / 10)),
          backgroundColor: "#2563eb",
        }, {
          label: t("close_rate"), data: rows.map((r) => (r.close_rate === null ? null : Math.round(r.close_rate * 1000) / 10)),
          backgroundColor: "#93c5fd",
        }],
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } },
        plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? "—" : c.parsed.y + "%"}` } } },
      },
    });
    const onTime = document.getElementById("table-on-time");
    clear(onTime).appendChild(Desk.table([
      { label: t("department"), cell: (r) => r.name || Desk.departmentName(deps, r.group) },
      { label: t("tickets"), cell: (r) => String(r.tickets) },
      { label: t("closed"), cell: (r) => String(r.closed) },
      { label: t("close_rate"), cell: (r) => pct(r.close_rate) },
      { label: t("rate"), cell: (r) => pct(r.on_time_close_rate) },
    ], [...rows, { ...report.total, name: lang() === "en" ? "total" : "合计" }], {
      rowAttrs: (r) => ({ "data-group": r.group }),
    }));
    draw("chart-daily", {
      type: "bar",
      data: {
        labels: daily.map((d) => d.day.slice(5)),
        datasets: [
          { label: t("submitted_n"), data: daily.map((d) => d.submitted), backgroundColor: "#f97316" },
          { label: t("written_off_n"), data: daily.map((d) => d.written_off), backgroundColor: "#16a34a" },
        ],
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    const perDay = document.getElementById("table-daily");
    clear(perDay).appendChild(Desk.table([
      { label: t("day"), cell: (d) => d.day },
      { label: t("submitted_n"), cell: (d) => String(d.submitted) },
      { label: t("written_off_n"), cell: (d) => String(d.written_off) },
    ], daily.filter((d) => d.submitted || d.written_off), { rowAttrs: (d) => ({ "data-day": d.day }) }));
    document.body.dataset.ready = "1";
  }

  const lang = () => Desk.lang();

  document.addEventListener("DOMContentLoaded", async () => {
    const user = await Desk.boot("supervisor");
    if (!user) return;
    const form = document.getElementById("charts-period");
    const p = new URLSearchParams(location.search);
    form.elements.from.value = p.get("from") || Desk.today(-29);
    form.elements.to.value = p.get("to") || Desk.today(1);
    form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    await load();
  });
})();
