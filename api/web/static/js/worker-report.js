/* The grid worker's report form (/app/worker) and the outbox it writes to.
 * The Idempotency-Key is made when the form opens (page load, or the next blank form after a
 * report is saved) and travels with the report in the outbox for every retry. */
(function () {
  "use strict";
  const { h, t } = GF;
  const $ = (id) => document.getElementById(id);
  const MAX_SIDE = 1600;

  const form = {
    key: GF.uuid(),
    point: null, // {lat, lon, source: "gps" | "map", accuracy}
    category: null,
    photos: [], // {blob, name, type, url}
  };
  let user = null, fc = null, drawn = null, marker = null, categories = [];

  // --- where ---------------------------------------------------------------------------------
  function setPoint(lat, lon, source, accuracy) {
    form.point = { lat, lon, source, accuracy };
    if (drawn) {
      if (!marker) {
        marker = L.circleMarker([lat, lon], { radius: 9, color: "#c0392b", weight: 3,
                                              fillColor: "#e74c3c", fillOpacity: 0.9,
                                              className: "report-point" }).addTo(drawn.map);
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (source === "gps") drawn.map.panTo([lat, lon]);
    }
    const coords = lat.toFixed(5) + ", " + lon.toFixed(5);
    $("loc-status").textContent = source === "gps"
      ? t("report.gps_ok", { coords, accuracy: Math.round(accuracy || 0) })
      : t("report.map_ok", { coords });
    showGrid();
  }

  function gridOfPoint() {
    return fc && form.point ? GFMap.gridAt(fc, form.point.lat, form.point.lon) : null;
  }

  function showGrid() {
    const slot = $("loc-grid");
    slot.classList.remove("error");
    if (!form.point) { slot.textContent = ""; return; }
    if (!fc) { slot.textContent = t("report.grid_unknown"); return; }
    const cell = gridOfPoint();
    if (!cell) {
      slot.textContent = t("report.outside");
      slot.classList.add("error");
      return;
    }
    slot.textContent = t("report.in_grid", { name: cell.properties.name, code: cell.properties.code });
  }

  function locate() {
    if (!("geolocation" in navigator)) {
      $("loc-status").textContent = t("report.no_gps");
      return;
    }
    $("loc-status").textContent = t("report.locating");
    navigator.geolocation.getCurrentPosition(
      (pos) => setPoint(pos.coords.latitude, pos.coords.longitude, "gps", pos.coords.accuracy),
      () => { if (!form.point) $("loc-status").textContent = t("report.no_gps"); },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  async function loadMap() {
    try {
      fc = await GFMap.load();
    } catch (err) {
      $("map").replaceChildren(h("p", { class: "hint" }, t("report.map_unavailable")));
      $("map").classList.add("unavailable");
      return;
    }
    drawn = GFMap.draw($("map"), fc, { mine: user.grids,
                                       onClick: (ll) => setPoint(ll.lat, ll.lng, "map") });
    if (form.point) setPoint(form.point.lat, form.point.lon, form.point.source, form.point.accuracy);
  }

  // --- what ----------------------------------------------------------------------------------
  async function loadCategories() {
    try { categories = await GF.cachedGet("/categories"); } catch (err) { categories = []; }
    renderCategoryResults();
  }

  function matches(cat, q) {
    if (!q) return false;
    const hay = [cat.code, cat.name_zh, cat.name_en, cat.class_code, cat.class_name_zh,
                 cat.class_name_en].join(" ").toLowerCase();
    return q.split(/\s+/).every((word) => hay.includes(word));
  }

  function renderCategoryResults() {
    const q = $("cat-q").value.trim().toLowerCase();
    const found = categories.filter((c) => matches(c, q)).slice(0, 8);
    $("cat-results").replaceChildren(...found.map((c) => h("li", null,
      h("button", { type: "button", class: "cat-option", dataset: { code: c.code },
                    onclick: () => chooseCategory(c) },
        h("code", null, c.code), " ", c.name_zh, " ", h("span", { class: "muted" }, c.name_en)))));
    if (q && !found.length) $("cat-results").replaceChildren(h("li", { class: "hint" }, t("report.no_category")));
  }

  function chooseCategory(cat) {
    form.category = cat;
    const chosen = $("cat-chosen");
    chosen.replaceChildren(h("code", null, cat.code), " ", cat.name_zh, " ",
                           h("span", { class: "muted" }, cat.name_en), " ",
                           h("button", { type: "button", class: "link", onclick: clearCategory }, t("report.change")));
    chosen.hidden = false;
    $("cat-q").value = "";
    $("cat-q").hidden = true;
    $("cat-results").replaceChildren();
  }

  function clearCategory() {
    form.category = null;
    $("cat-chosen").hidden = true;
    $("cat-q").hidden = false;
    $("cat-q").focus();
  }

  // --- photos --------------------------------------------------------------------------------
  async function shrink(file) {
    if (!window.createImageBitmap || !/^image\/(jpeg|png|webp)$/.test(file.type)) return file;
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size < 1024 * 1024) return file;
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", 0.85));
      return blob && blob.size < file.size ? blob : file;
    } catch (err) {
      return file; // the server reads HEIC and the rest
    }
  }

  async function addPhotos(files) {
    for (const file of files) {
      const blob = await shrink(file);
      form.photos.push({ blob, name: (file.name || "photo").replace(/\.\w+$/, "") + ".jpg",
                         type: blob.type || file.type, url: URL.createObjectURL(blob) });
    }
    $("photos").value = "";
    renderPhotos();
  }

  function renderPhotos() {
    $("photo-previews").replaceChildren(...form.photos.map((p, i) => h("figure", { class: "thumb" },
      h("img", { src: p.url, alt: t("photo.alt") }),
      h("button", { type: "button", class: "remove", "aria-label": t("report.remove_photo"),
                    onclick: () => { URL.revokeObjectURL(p.url); form.photos.splice(i, 1); renderPhotos(); } }, "×"))));
  }

  // --- submit --------------------------------------------------------------------------------
  function problem() {
    if (!form.point) return t("report.need_point");
    if (fc && !gridOfPoint()) return t("report.outside");
    if (!form.category) return t("report.need_category");
    if (!$("description").value.trim()) return t("report.need_description");
    return null;
  }

  async function submit(event) {
    event.preventDefault();
    const error = $("form-error");
    const why = problem();
    error.hidden = !why;
    if (why) { error.textContent = why; return; }
    $("submit-report").disabled = true;
    try {
      await GFOutbox.add({
        key: form.key,
        label: form.category.code + " " + GF.categoryName(form.category),
        body: { category: form.category.code, lat: form.point.lat, lon: form.point.lon,
                coord_system: "wgs84", description: $("description").value.trim() },
        photos: form.photos.map((p) => ({ blob: p.blob, name: p.name, type: p.type })),
      });
    } catch (err) {
      error.textContent = t("report.not_saved", { error: String(err) });
      error.hidden = false;
      $("submit-report").disabled = false;
      return;
    }
    newForm();
    const msg = $("form-msg");
    msg.textContent = navigator.onLine ? t("report.saved_sending") : t("report.saved_offline");
    msg.hidden = false;
    await GFOutbox.flush();
  }

  function newForm() {
    form.key = GF.uuid(); // the next report is another report
    form.photos.forEach((p) => URL.revokeObjectURL(p.url));
    form.photos = [];
    renderPhotos();
    $("description").value = "";
    clearCategory();
    $("submit-report").disabled = false;
    document.getElementById("report-form").dataset.key = form.key;
  }

  // --- the outbox and what was sent ----------------------------------------------------------
  function stateText(item) {
    if (item.state === "sending") return t("outbox.sending");
    if (item.state === "failed") return t("outbox.failed", { error: item.last_error || "" });
    if (item.attempts) return t("outbox.waiting_tries", { n: item.attempts });
    return t("outbox.waiting");
  }

  async function renderOutbox() {
    const items = await GFOutbox.list();
    $("outbox-panel").hidden = items.length === 0;
    $("outbox-count").textContent = String(items.length);
    $("outbox").replaceChildren(...items.map((item) => {
      const other = user && item.user_id !== user.user_id;
      return h("li", { class: "outbox-item state-" + item.state, dataset: { key: item.key } },
        h("div", { class: "line" }, h("strong", null, item.label), " ",
          h("span", { class: "muted" }, GF.when(item.created_at))),
        h("div", { class: "desc" }, item.body.description),
        h("div", { class: "meta" },
          item.photos.length ? t("outbox.photos", { n: item.photos.length }) + " · " : "",
          h("span", { class: "state" }, other ? t("outbox.other_user", { user: item.user_id }) : stateText(item))),
        item.state === "failed" ? h("div", { class: "row" },
          h("button", { type: "button", onclick: () => GFOutbox.retry(item.key) }, t("outbox.retry")),
          h("button", { type: "button", class: "danger",
                        onclick: () => confirm(t("outbox.confirm_delete")) && GFOutbox.remove(item.key) },
            t("outbox.delete"))) : null);
    }));
  }

  async function renderSent() {
    const list = await GFOutbox.sent();
    $("sent-panel").hidden = list.length === 0;
    $("sent").replaceChildren(...list.slice(0, 3).map((s) => h("li", { class: "sent-item", dataset: { key: s.key, ticket: s.ticket_id } },
      h("a", { href: "/app/worker/ticket?id=" + encodeURIComponent(s.ticket_id) }, s.ticket_id), " ",
      s.label, " ", h("span", { class: "muted" }, GF.when(s.at)))));
  }

  // --- start ---------------------------------------------------------------------------------
  async function start() {
    user = await GF.requireUser(["grid_worker"]);
    document.getElementById("report-form").dataset.key = form.key;
    $("report-form").addEventListener("submit", submit);
    $("btn-gps").addEventListener("click", locate);
    $("cat-q").addEventListener("input", renderCategoryResults);
    $("photos").addEventListener("change", (e) => addPhotos(Array.from(e.target.files || [])));
    GFOutbox.subscribe(renderOutbox);
    GFOutbox.subscribe(renderSent);
    renderOutbox();
    renderSent();
    locate();
    await Promise.all([loadMap(), loadCategories()]);
    GFOutbox.flush();
  }

  document.addEventListener("DOMContentLoaded", () => start().catch((err) => {
    $("form-error").textContent = GF.errorText(err);
    $("form-error").hidden = false;
  }));
})();
