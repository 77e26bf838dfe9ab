/* The desk pages (department staff, supervisor): shared helpers.
 *
 * Every text that comes from the API (descriptions, reasons, names, messages) is put into the page
 * with textContent or as a text node (Desk.el), never as HTML, so it is always escaped.
 */
(function () {
  "use strict";

  /* Strings: api/web/i18n/desk/{zh,en}.json, rendered into the page by api/web/desk.py in the
   * language the shell chose (cookie gridflow_lang, the topbar's 中文/EN switch). */
  const S = JSON.parse(document.getElementById("desk-strings").textContent);

  function lang() {
    return (window.GF && GF.lang) || (document.documentElement.lang.startsWith("en") ? "en" : "zh");
  }

  function t(key, vars) {
    let s = Object.prototype.hasOwnProperty.call(S, key) ? S[key] : key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
    return s;
  }
  const label = (prefix, value) => (value ? (S[prefix + "." + value] !== undefined ? S[prefix + "." + value] : String(value).replace(/_/g, " ")) : "—");
  const statusLabel = (s) => label("status", s);
  const stageLabel = (s) => label("stage", s);
  const actionLabel = (a) => label("action", a);

  /* Build an element; string children become text nodes (escaped by construction). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "value") node.value = v;
      else if (k === "style") node.style.cssText = v;  // CSSOM: the CSP refuses style attributes
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  const token = () => GF.token();

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      let message = error.message || (body && body.detail) || ("HTTP " + status);
      if (Array.isArray(error.fields) && error.fields.length) {
        const named = error.fields.map((f) => (f.field ? f.field + ": " : "") + (f.message || "")).join("; ");
        if (!message.includes(named)) message += " (" + named + ")";
      }
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  /* Call the API with the stored token; resolves to the JSON body, rejects with an ApiError. */
  async function api(method, path, body, options) {
    const headers = { Authorization: "Bearer " + (token() || "") };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch("/api/v1" + path, { method, headers, body: payload });
    if (response.status === 401 && !(options && options.no_redirect)) {
      localStorage.removeItem(GF.TOKEN);
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search + location.hash);
      throw new ApiError(401, null);
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw new ApiError(response.status, typeof data === "object" ? data : null);
    return data;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
    const s = q.toString();
    return s ? "?" + s : "";
  }

  const TZ = "Asia/Shanghai";
  function fmtTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    const parts = new Intl.DateTimeFormat("zh-CN", {
      timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", hour12: false,
    }).formatToParts(d);
    const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }
  function today(offsetDays) {
    const d = new Date(Date.now() + (offsetDays || 0) * 86400000);
    return new Intl.DateTimeFormat("en-CA", { timeZone: TZ }).format(d);  // YYYY-MM-DD
  }
  function hoursBetween(a, b) {
    return Math.round(((b - a) / 3600000) * 10) / 10;
  }

  /* The colour of a ticket row, as on the battle map: overdue (red: a breached deadline still
   * open, or the current one passed and not parked), warning (yellow: a 50/80 % warning fired on a
   * running deadline, the row's `warned`; lacking that flag, due within WARN_HOURS), on time. */
  const WARN_HOURS = 2;
  function colourOf(row, now) {
    now = now || Date.now();
    const due = row.current_due_at ? Date.parse(row.current_due_at) : null;
    if (row.overdue || (!row.parked && due !== null && due < now)) return "overdue";
    if (row.warned || (row.warned === undefined && due !== null && due - now < WARN_HOURS * 3600000)) {
      return "warning";
    }
    return due === null ? "none" : "ontime";
  }
  function timeLeft(row, now) {
    now = now || Date.now();
    if (!row.current_due_at) return "—";
    const ms = Date.parse(row.current_due_at) - now;
    const minutes = Math.round(Math.abs(ms) / 60000);
    const amount = minutes < 60 ? t("minutes", { m: minutes }) : t("hours", { h: Math.round(minutes / 6) / 10 });
    return ms < 0 ? t("overdue_by", { d: amount }) : amount;
  }
  function colourBadge(colour) {
    return el("span", { class: "gf-badge gf-" + colour, "data-colour": colour }, t("colour_" + colour));
  }

  /* Reference data, fetched once per page. */
  const cache = {};
  function once(key, load) {
    if (!cache[key]) cache[key] = load().catch((e) => { delete cache[key]; throw e; });
    return cache[key];
  }
  const me = () => once("me", () => api("GET", "/me"));
  const categories = () => once("categories", async () => {
    const list = await api("GET", "/categories");
    return Object.fromEntries(list.map((c) => [c.code, c]));
  });
  const departments = () => once("departments", async () => {
    const list = await api("GET", "/departments");
    return Object.fromEntries(list.map((d) => [d.code, d]));
  });
  function categoryName(cats, code) {
    const c = cats && cats[code];
    if (!c) return code;
    return code + " " + (lang() === "en" ? c.name_en : c.name_zh);
  }
  function departmentName(deps, code) {
    if (!code) return "—";
    const d = deps && deps[code];
    return d ? d.name : code;
  }

  /* A message line under a form or section: error (the API's message) or success. */
  function flash(node, message, kind) {
    clear(node);
    node.className = "gf-flash gf-flash-" + (kind || "error");
    node.setAttribute("role", kind === "ok" ? "status" : "alert");
    node.appendChild(document.createTextNode(message));
  }

  /* A table from rows and column specs {label, cell(row) -> Node|string, class}. */
  function table(columns, rows, opts) {
    opts = opts || {};
    const head = el("thead", {}, el("tr", {}, columns.map((c) => el("th", { class: c.class }, c.label))));
    const body = el("tbody", {});
    if (!rows.length) {
      body.appendChild(el("tr", { class: "gf-empty" }, el("td", { colspan: columns.length }, t("no_rows"))));
    }
    for (const row of rows) {
      const tr = el("tr", opts.rowAttrs ? opts.rowAttrs(row) : {},
        columns.map((c) => el("td", { class: c.class }, c.cell(row))));
      if (opts.onRowClick) {
        tr.classList.add("gf-clickable");
        tr.addEventListener("click", (ev) => {
          if (ev.target.closest("button, a, input, select, textarea, label")) return;
          opts.onRowClick(row);
        });
      }
      body.appendChild(tr);
    }
    return el("table", { class: "gf-table" + (opts.class ? " " + opts.class : "") }, head, body);
  }

  function pager(page, onGo) {
    const from = page.total ? page.offset + 1 : 0;
    const to = Math.min(page.offset + page.limit, page.total);
    return el("div", { class: "gf-pager" },
      el("button", {
        type: "button", class: "gf-prev", disabled: page.offset <= 0,
        onclick: () => onGo(Math.max(0, page.offset - page.limit)),
      }, t("prev")),
      el("span", { class: "gf-page-of" }, t("page_of", { from, to, total: page.total })),
      el("button", {
        type: "button", class: "gf-next", disabled: page.offset + page.limit >= page.total,
        onclick: () => onGo(page.offset + page.limit),
      }, t("next")));
  }

  /* Fetch an image with the bearer token and show it through a blob: URL (local by nature). */
  async function photoImg(url, alt) {
    const img = el("img", { class: "gf-photo", alt: alt || "", loading: "lazy" });
    try {
      const response = await fetch(url, { headers: { Authorization: "Bearer " + (token() || "") } });
      if (response.ok) img.src = URL.createObjectURL(await response.blob());
    } catch (e) { /* shown as a broken image */ }
    return img;
  }

  /* Start a desk page: the signed-in user of the wanted role (GF.requireUser sends anyone else
   * to their own home page, and no one to /login). */
  async function boot(wantedRole) {
    const user = await GF.requireUser([wantedRole]);
    const who = document.getElementById("desk-user");
    if (who && user.department) {
      const deps = await departments().catch(() => ({}));
      who.textContent = departmentName(deps, user.department);
    }
    return user;
  }

  window.Desk = {
    t, lang, el, clear, api, ApiError, query, fmtTime, today, hoursBetween, colourOf, timeLeft,
    colourBadge, statusLabel, stageLabel, actionLabel, me, categories, departments, categoryName,
    departmentName, flash, table, pager, photoImg, boot, token,
  };
})();
