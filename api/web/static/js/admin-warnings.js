/* The admin's warnings, on every admin page that has #admin-warnings: provisional calendar years
 * and the open tickets dated on them (GET /api/v1/admin/calendar), and notices whose delivery
 * failed (GET /api/v1/admin/deliveries?status=failed). */
(function () {
  "use strict";
  const { h, t } = GF;

  async function warnings() {
    const found = [];
    const calendar = await GF.api("/admin/calendar");
    // Next year unpublished is news; the years after it are always provisional.
    const next = Number(new Intl.DateTimeFormat("en", { timeZone: "Asia/Shanghai", year: "numeric" })
      .format(new Date())) + 1;
    for (const year of calendar.provisional_years.filter((y) => y <= next)) {
      found.push(h("li", { class: "warn", dataset: { warning: "provisional", year: String(year) } },
        t("admin.warn.provisional", { year, n: calendar.open_tickets_provisional }), " ",
        h("a", { href: "/app/admin/calendar" }, t("admin.warn.load_notice"))));
    }
    const failed = await GF.api("/admin/deliveries?status=failed&limit=1");
    if (failed.total) {
      found.push(h("li", { class: "warn", dataset: { warning: "failed" } },
        t("admin.warn.failed", { n: failed.total }), " ",
        h("a", { href: "/app/admin/notifications" }, t("admin.warn.see"))));
    }
    return found;
  }

  async function show() {
    const box = document.getElementById("admin-warnings");
    if (!box) return;
    try {
      const items = await warnings();
      document.getElementById("admin-warning-list").replaceChildren(...items);
      box.hidden = !items.length;
    } catch (err) {
      document.getElementById("admin-warning-list").replaceChildren(h("li", { class: "error" }, GF.errorText(err)));
      box.hidden = false;
    }
  }

  window.AdminWarnings = { show };
  GF.requireUser(["admin"]).then(show);
})();
