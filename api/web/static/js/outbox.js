/* The grid worker's outbox: every report is written to IndexedDB first (idb-keyval), then sent.
 *
 * A report keeps the Idempotency-Key its form was opened with and is retried with that same key
 * until the API answers (201 new ticket, 200 the same ticket again): a report retried five times
 * is one ticket. Its photos are kept as Blobs beside it and uploaded first (POST /api/v1/photos);
 * each photo id is stored as soon as it is known, so a retry does not upload it again.
 * Sending starts at page start, on the `online` event, when the page becomes visible, after a
 * report is saved, and every RETRY_MS while something waits. A report the API refuses for good
 * (4xx other than 401/408/425/429) stays, marked failed with the reason, until the user deletes it.
 * Reports belong to the user who wrote them: only that user's token sends them.
 *
 *   GFOutbox.add(item)    item = {key, body, photos: [{blob, name, type}], label}
 *   GFOutbox.list()       every waiting report (all users), oldest first
 *   GFOutbox.flush()      send what the signed-in user has waiting
 *   GFOutbox.remove(key)  forget a report
 *   GFOutbox.sent()       the last reports sent from this phone [{key, ticket_id, ...}]
 *   GFOutbox.subscribe(fn) fn() after every change
 */
(function () {
  "use strict";
  const RETRY_MS = 15000;
  const store = idbKeyval.createStore("gridflow-outbox", "reports");
  const listeners = new Set();
  let flushing = null;
  let rerun = null; // asked for while a flush was running: run once more after it

  const changed = () => listeners.forEach((fn) => { try { fn(); } catch (e) { console.error(e); } });

  async function list() {
    const items = await idbKeyval.values(store);
    return items.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  }

  async function add(item) {
    const user = GF.me();
    const full = Object.assign({ user_id: user && user.user_id, created_at: new Date().toISOString(),
                                 state: "waiting", attempts: 0, last_error: null }, item);
    full.photos = (item.photos || []).map((p) => ({ blob: p.blob, name: p.name || "photo.jpg",
                                                    type: p.type || p.blob.type, photo_id: null }));
    await idbKeyval.set(full.key, full, store);
    changed();
    return full;
  }

  async function save(item) { await idbKeyval.set(item.key, item, store); changed(); }

  async function remove(key) { await idbKeyval.del(key, store); changed(); }

  async function sent() { return (await GF.cache.get("outbox:sent")) || []; }

  async function remember(item, result) {
    const list = await sent();
    list.unshift({ key: item.key, ticket_id: result.ticket_id, status: result.status,
                   replayed: result.replayed, label: item.label || "", at: new Date().toISOString() });
    await GF.cache.set("outbox:sent", list.slice(0, 10));
  }

  const transient = (status) => status === 408 || status === 425 || status === 429 || status >= 500;

  async function sendOne(item) {
    for (const photo of item.photos) {
      if (photo.photo_id) continue;
      const form = new FormData();
      form.append("kind", "report");
      form.append("file", photo.blob, photo.name);
      const uploaded = await GF.api("/photos", { method: "POST", body: form });
      photo.photo_id = uploaded.photo_id;
      await save(item); // known ids are never uploaded again
    }
    const body = Object.assign({}, item.body);
    const ids = item.photos.map((p) => p.photo_id);
    if (ids.length) body.photo_ids = ids;
    return GF.api("/incidents", { method: "POST", json: body,
                                  headers: { "Idempotency-Key": item.key } });
  }

  async function flushNow() {
    const user = GF.me();
    if (!user || !GF.token()) return;
    for (const item of await list()) {
      if (item.user_id !== user.user_id || item.state === "failed") continue;
      item.state = "sending";
      item.attempts += 1;
      item.last_try = new Date().toISOString();
      await save(item);
      try {
        const result = await sendOne(item);
        await remember(item, result);
        await remove(item.key);
      } catch (err) {
        const permanent = err instanceof GF.ApiError && !transient(err.status) && err.status !== 401;
        item.state = permanent ? "failed" : "waiting";
        item.last_error = GF.errorText(err);
        await save(item);
        if (!permanent) return; // no signal or server trouble: try again later, in order
      }
    }
  }

  function flush() {
    // An `online` event that arrives while a flush started offline is still failing must not be
    // lost (it would leave the report waiting for the 15 s timer): run once more afterwards.
    if (flushing) {
      rerun = rerun || flushing.then(() => { rerun = null; return flush(); });
      return rerun;
    }
    const run = () => flushNow().catch((err) => console.warn("outbox", err));
    flushing = (navigator.locks
      ? navigator.locks.request("gridflow-outbox", run) // one tab at a time
      : run()).finally(() => { flushing = null; });
    return flushing;
  }

  async function retry(key) {
    const item = await idbKeyval.get(key, store);
    if (!item) return;
    item.state = "waiting";
    await save(item);
    return flush();
  }

  async function updateBadge() {
    const badge = document.getElementById("badge-outbox");
    if (!badge) return;
    const user = GF.me();
    const n = (await list()).filter((i) => !user || i.user_id === user.user_id).length;
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }

  function beforeLogout() {
    const badge = document.getElementById("badge-outbox");
    if (badge && !badge.hidden && badge.textContent !== "0") return confirm(GF.t("outbox.logout_warning"));
    return true;
  }

  function subscribe(fn) { listeners.add(fn); }

  subscribe(updateBadge);
  addEventListener("online", () => flush());
  document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });
  setInterval(async () => {
    if (navigator.onLine && (await list()).some((i) => i.state === "waiting")) flush();
  }, RETRY_MS);
  document.addEventListener("DOMContentLoaded", () => { updateBadge(); });

  window.GFOutbox = { add, list, flush, remove, retry, sent, subscribe, beforeLogout };
})();
