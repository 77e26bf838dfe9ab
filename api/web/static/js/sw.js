/* gridflow service worker, served at /sw.js (scope: the whole site) with its placeholders filled.
 *
 * It keeps the app shell so the grid worker's pages open without signal:
 *   pages (navigations)  network first (4 s), the cached copy when offline or slow
 *   /static/…            cache first (the cache name changes with every static file, so a deploy
 *                        brings fresh copies)
 *   /api/…               never cached here: the pages keep reference data and the outbox in
 *                        IndexedDB themselves, and reports are sent from the page.
 */
"use strict";
const VERSION = "__VERSION__";
const CACHE = "gridflow-shell-" + VERSION;
const PAGES = __PAGES__;
const ASSETS = __ASSETS__;
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })));
    // Pages one by one: one failing page must not keep the others out.
    await Promise.all(PAGES.map((url) => cache.add(new Request(url, { cache: "reload" })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener("message", (event) => {
  // A page that opened while this worker was still installing asks to be claimed (gf.js).
  if (event.data && event.data.type === "claim") event.waitUntil(self.clients.claim());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("gridflow-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function page(request) {
  const cache = await caches.open(CACHE);
  const url = new URL(request.url);
  const key = url.pathname; // one shell per path; ?id=… is read by the page's script
  const network = fetch(request);
  try {
    const response = await withTimeout(network, NETWORK_TIMEOUT_MS);
    if (response.ok && PAGES.includes(key)) cache.put(key, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(key);
    if (cached) {
      // keep the late answer for next time
      network.then((r) => { if (r.ok && PAGES.includes(key)) cache.put(key, r); }).catch(() => {});
      return cached;
    }
    try { return await network; } catch (e) { /* fall through */ }
    return new Response("<!doctype html><meta charset=utf-8><title>offline</title>" +
      "<p>离线，此页面尚未缓存。Offline: this page has not been saved yet.</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request));
  }
});
