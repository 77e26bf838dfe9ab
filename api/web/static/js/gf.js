/* gridflow web app core (every page): the token, the API, strings, DOM helpers, the service worker.
 *
 *   GF.token()                  the bearer token kept by the login page (localStorage), or null
 *   GF.me()                     the signed-in user as last seen (GET /api/v1/me), or null
 *   await GF.requireUser(roles) the user (refreshed from the API when online); to /login when none
 *   await GF.api(path, opts)    fetch /api/v1 + path with the token; JSON in (opts.json) and out;
 *                               throws GF.ApiError(status, detail = the API's {code, message, fields})
 *                               or GF.Offline (no network)
 *   GF.t(key, values)           a string in the page's language ({name} placeholders)
 *   GF.h(tag, attrs, ...kids)   an element; strings become text nodes (never HTML)
 *   GF.when(iso), GF.statusLabel(status), GF.actionLabel(action), GF.categoryName(cat)
 *   GF.cache.get/set            a small IndexedDB key-value cache (reference data for offline use)
 *   GF.logout()
 */
(function () {
  "use strict";
  const TOKEN = "gridflow.token";
  const ME = "gridflow.me";
  const HOME = { grid_worker: "/app/worker", department_staff: "/app/department",
                 supervisor: "/app/supervisor", admin: "/app/admin" };
  const boot = JSON.parse(document.getElementById("gf-boot").textContent);
  const S = boot.strings;

  function t(key, values) {
    let text = Object.prototype.hasOwnProperty.call(S, key) ? S[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
    }
    return text;
  }

  class ApiError extends Error {
    constructor(status, detail, body) {
      super(typeof detail === "string" ? detail : JSON.stringify(detail));
      this.status = status;
      this.detail = detail;
      this.body = body;
    }
  }
  class Offline extends Error {}

  function token() { return localStorage.getItem(TOKEN); }
  function me() {
    try { return JSON.parse(localStorage.getItem(ME) || "null"); } catch (e) { return null; }
  }

  async function api(path, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers || {});
    const tok = opts.token || token();
    if (tok) headers["Authorization"] = "Bearer " + tok;
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    let response;
    try {
      response = await fetch("/api/v1" + path, { method: opts.method || "GET", headers, body,
                                                 cache: "no-store" });
    } catch (err) {
      throw new Offline(String(err));
    }
    if (opts.raw) {
      if (!response.ok) throw new ApiError(response.status, response.statusText);
      return response;
    }
    let data = null;
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!response.ok) {
      if (response.status === 401 && !opts.token) toLogin();
      const detail = data && data.error ? data.error : data && data.detail !== undefined ? data.detail : data;
      throw new ApiError(response.status, detail, data);
    }
    return data;
  }

  function errorText(err) {
    if (err instanceof Offline) return t("error.offline");
    if (err instanceof ApiError) {
      const d = err.detail;
      if (Array.isArray(d)) {
        return d.map((x) => (x && x.msg ? (x.loc ? x.loc.slice(1).join(".") + ": " : "") + x.msg : JSON.stringify(x))).join("; ");
      }
      if (d && typeof d === "object") return d.message || JSON.stringify(d); // {code, message, fields}
      return String(d || err.status);
    }
    return String(err);
  }

  async function requireUser(roles) {
    if (!token()) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      return new Promise(() => {});
    }
    let user = me();
    try {
      user = await api("/me");
      localStorage.setItem(ME, JSON.stringify(user));
    } catch (err) {
      if (!(err instanceof Offline) || !user) throw err;
    }
    if (roles && roles.length && !roles.includes(user.role)) {
      location.assign(HOME[user.role] || "/login");
      return new Promise(() => {});
    }
    showUser(user);
    return user;
  }

  function showUser(user) {
    const slot = document.getElementById("gf-user");
    if (slot) slot.textContent = user.name;
    document.body.dataset.role = user.role;
  }

  function toLogin() {
    localStorage.removeItem(TOKEN);
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }

  function logout() {
    const tok = token();
    if (tok) {  // revoke the access token on the server; keepalive outlives the page change
      fetch("/api/v1/auth/logout", { method: "POST", keepalive: true,
                                     headers: { Authorization: "Bearer " + tok } }).catch(() => {});
    }
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(ME);
    location.assign("/login");
  }

  function h(tag, attrs) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") el.className = v;
        else if (k === "dataset") Object.assign(el.dataset, v);
        else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
        else if (k === "text") el.textContent = v;
        else if (k === "style") el.style.cssText = v;  // CSSOM: the CSP refuses style attributes
        else el.setAttribute(k, v === true ? "" : v);
      }
    }
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach((k) => append(el, k)); return; }
    el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }

  const dateFormat = new Intl.DateTimeFormat(boot.lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : dateFormat.format(d);
  }
  function statusLabel(status) { return t("status." + status) === "status." + status ? status : t("status." + status); }
  function actionLabel(action) { return t("action." + action) === "action." + action ? action : t("action." + action); }
  function stageLabel(stage) { return t("stage." + stage) === "stage." + stage ? stage : t("stage." + stage); }
  function categoryName(cat) {
    if (!cat) return "";
    return boot.lang === "en" ? cat.name_en : cat.name_zh;
  }
  function statusBadge(status) {
    return h("span", { class: "badge st-" + status, dataset: { status } }, statusLabel(status));
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // A key-value cache in IndexedDB for reference data (categories, the map, lists) seen online.
  const cacheStore = window.idbKeyval ? idbKeyval.createStore("gridflow-cache", "kv") : null;
  const cache = {
    get: (k) => (cacheStore ? idbKeyval.get(k, cacheStore) : Promise.resolve(undefined)),
    set: (k, v) => (cacheStore ? idbKeyval.set(k, v, cacheStore) : Promise.resolve()),
  };
  // GET path from the API, remembered for offline use; offline, the last copy (or throws).
  async function cachedGet(path) {
    try {
      const data = await api(path);
      cache.set("api:" + path, data).catch(() => {});
      return data;
    } catch (err) {
      if (!(err instanceof Offline)) throw err;
      const copy = await cache.get("api:" + path);
      if (copy === undefined) throw err;
      return copy;
    }
  }

  // Photos are read with the bearer token, so <img> gets an object URL of the fetched bytes.
  async function photoImg(photoId, attrs) {
    const img = h("img", Object.assign({ class: "photo", alt: t("photo.alt"), dataset: { photoId } }, attrs || {}));
    try {
      const response = await api("/photos/" + encodeURIComponent(photoId), { raw: true });
      img.src = URL.createObjectURL(await response.blob());
    } catch (err) {
      img.classList.add("photo-missing");
    }
    return img;
  }

  // The language switch: a cookie the server renders with, then reload.
  function setLanguage(lang) {
    document.cookie = "gridflow_lang=" + lang + "; path=/; max-age=31536000; samesite=lax";
    location.reload();
  }

  // htmx requests (the desk pages) carry the token too.
  document.addEventListener("htmx:configRequest", (event) => {
    const tok = token();
    if (tok) event.detail.headers["Authorization"] = "Bearer " + tok;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.xhr && event.detail.xhr.status === 401) toLogin();
  });

  // Delegated from the start, so a tap before the page has finished loading still counts.
  document.addEventListener("click", (event) => {
    const lang = event.target.closest("[data-set-lang]");
    if (lang) { setLanguage(lang.dataset.setLang); return; }
    if (event.target.closest("[data-logout]")) {
      if (window.GFOutbox && typeof window.GFOutbox.beforeLogout === "function" &&
          !window.GFOutbox.beforeLogout()) return;
      logout();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const user = me();
    if (user && token()) showUser(user);
  });

  if ("serviceWorker" in navigator && boot.serviceWorker) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err) =>
      console.warn("service worker not registered", err));
    // A page whose navigation began before the worker was active is not controlled, and the
    // worker's clients.claim() may have run before this page existed: ask it to claim again, so
    // the app shell is kept for going offline from the very first visit, not the next one.
    navigator.serviceWorker.ready.then((registration) => {
      if (!navigator.serviceWorker.controller && registration.active) {
        registration.active.postMessage({ type: "claim" });
      }
    }).catch(() => {});
  }

  window.GF = { t, api, token, me, requireUser, logout, h, when, statusLabel, actionLabel,
                stageLabel, statusBadge, categoryName, uuid, cache, cachedGet, photoImg, errorText,
                setLanguage, ApiError, Offline, HOME, lang: boot.lang, TOKEN, ME };
})();
