/* One ticket (/app/worker/ticket?id=GF-…): state, deadline, timeline and photos; for a resolved
 * ticket in one of the worker's grids, the write-off check: pass (POST /write-off) or send it back
 * with a reason and photos (POST /reject), photos uploaded first as kind write_off. */
(function () {
  "use strict";
  const { h, t } = GF;
  const $ = (id) => document.getElementById(id);
  const ticketId = new URLSearchParams(location.search).get("id") || "";
  let user = null, cats = {}, departments = {}, gridNames = {}, woPhotos = [];

  function setText(id, value) { $(id).textContent = value || "—"; }

  async function photoStrip(list) {
    return h("div", { class: "thumbs" }, await Promise.all(list.map((p) => GF.photoImg(p.photo_id))));
  }

  async function render(ticket) {
    const cat = cats[ticket.category];
    $("t-title").textContent = (cat ? GF.categoryName(cat) : ticket.category) + " · " + ticket.category;
    $("t-badges").replaceChildren(h("span", null, GF.statusBadge(ticket.status),
      ticket.overdue ? h("span", { class: "badge overdue" }, t("ticket.overdue")) : null,
      ticket.urgency === "urgent" ? h("span", { class: "badge urgent" }, t("ticket.urgent")) : null));
    setText("t-id", ticket.ticket_id);
    setText("t-grid", gridNames[ticket.grid] ? gridNames[ticket.grid] + " (" + ticket.grid + ")" : ticket.grid);
    setText("t-department", ticket.department && departments[ticket.department]
      ? departments[ticket.department] + " (" + ticket.department + ")" : ticket.department);
    const due = ticket.current_deadline;
    $("t-deadline").textContent = due
      ? t("ticket.due", { stage: GF.stageLabel(due.stage), when: GF.when(due.due_at) }) + (due.breached ? " · " + t("ticket.overdue") : "")
      : "—";
    setText("t-submitted", GF.when(ticket.submitted_at));
    $("t-description").textContent = ticket.description;
    const finding = ticket.finding;
    $("t-finding").replaceChildren(finding ? h("p", { class: "finding" },
      t("ticket.finding") + ": " + t("outcome." + finding.outcome) +
      (finding.severity ? " · " + t("severity." + finding.severity) : "")) : "");

    const photos = ticket.photos || {};
    const groups = [];
    for (const kind of ["report", "rectification", "write_off"]) {
      const list = photos[kind] || [];
      if (list.length) groups.push(h("div", { class: "photo-group", dataset: { kind } },
        h("h3", null, t("photo.kind." + kind)), await photoStrip(list)));
    }
    $("t-photos-section").hidden = groups.length === 0;
    $("t-photos").replaceChildren(...groups);

    const events = (ticket.timeline || []).slice().sort((a, b) => a.seq - b.seq);
    const photosBySeq = {};
    for (const kind of Object.keys(photos)) for (const p of photos[kind]) (photosBySeq[p.seq] = photosBySeq[p.seq] || []).push(p);
    $("timeline").replaceChildren(...events.map((e) => h("li", { class: "event", dataset: { action: e.action } },
      h("div", { class: "line" }, h("strong", null, GF.actionLabel(e.action)), " ",
        e.to_status && e.from_status !== e.to_status ? GF.statusBadge(e.to_status) : null),
      h("div", { class: "meta" }, GF.when(e.at), " · ", e.actor_id, " (", t("role." + e.actor_role), ")"),
      e.reason ? h("div", { class: "reason" }, e.reason) : null,
      photosBySeq[e.seq] ? h("div", { class: "meta" }, t("outbox.photos", { n: photosBySeq[e.seq].length })) : null)));

    $("ticket").hidden = false;
    $("ticket-status").hidden = true;
    const canCheck = ticket.status === "resolved" && (user.grids || []).includes(ticket.grid);
    $("write-off").hidden = !canCheck;
  }

  async function load() {
    let ticket;
    try {
      ticket = await GF.cachedGet("/tickets/" + encodeURIComponent(ticketId));
    } catch (err) {
      $("ticket-status").textContent = GF.errorText(err);
      return;
    }
    await render(ticket);
  }

  // --- the write-off check -------------------------------------------------------------------
  function renderWoPhotos() {
    $("wo-previews").replaceChildren(...woPhotos.map((f, i) => h("figure", { class: "thumb" },
      h("img", { src: f.url, alt: t("photo.alt") }),
      h("button", { type: "button", class: "remove", onclick: () => { woPhotos.splice(i, 1); renderWoPhotos(); } }, "×"))));
  }

  async function uploadAll() {
    const ids = [];
    for (const p of woPhotos) {
      if (!p.photo_id) {
        const form = new FormData();
        form.append("kind", "write_off");
        form.append("file", p.file, p.file.name || "photo.jpg");
        p.photo_id = (await GF.api("/photos", { method: "POST", body: form })).photo_id;
      }
      ids.push(p.photo_id);
    }
    return ids;
  }

  async function act(action) {
    const error = $("wo-error"), msg = $("wo-msg");
    error.hidden = true;
    msg.hidden = true;
    const reason = $("wo-reason").value.trim();
    const note = $("wo-note").value.trim();
    if (action === "reject") {
      if (!reason) { error.textContent = t("writeoff.need_reason"); error.hidden = false; return; }
      if (!woPhotos.length) { error.textContent = t("writeoff.need_photo"); error.hidden = false; return; }
    }
    if (!navigator.onLine) { error.textContent = t("writeoff.offline"); error.hidden = false; return; }
    for (const b of [$("btn-write-off"), $("btn-reject")]) b.disabled = true;
    try {
      const photo_ids = await uploadAll();
      const body = action === "reject" ? { reason, photo_ids } : { photo_ids };
      if (note) body.note = note;
      const ticket = await GF.api("/tickets/" + encodeURIComponent(ticketId) + "/" + action,
                                  { method: "POST", json: body });
      woPhotos = [];
      renderWoPhotos();
      $("wo-reason").value = "";
      $("wo-note").value = "";
      msg.textContent = t(action === "reject" ? "writeoff.rejected" : "writeoff.passed");
      msg.hidden = false;
      await render(ticket);
      for (const b of [$("btn-write-off"), $("btn-reject")]) b.disabled = false;
      msg.scrollIntoView({ block: "center" });
    } catch (err) {
      error.textContent = GF.errorText(err);
      error.hidden = false;
      for (const b of [$("btn-write-off"), $("btn-reject")]) b.disabled = false;
    }
  }

  async function start() {
    user = await GF.requireUser(["grid_worker"]);
    try {
      for (const c of await GF.cachedGet("/categories")) cats[c.code] = c;
    } catch (err) { /* codes only */ }
    const fc = await GF.cache.get("api:/map").catch(() => null); // drawn by the report page
    if (fc) for (const f of fc.features) gridNames[f.properties.code] = f.properties.name;
    try {
      for (const d of await GF.cachedGet("/departments")) departments[d.code] = d.name;
    } catch (err) { /* codes only */ }
    $("wo-photos").addEventListener("change", (e) => {
      for (const file of Array.from(e.target.files || [])) woPhotos.push({ file, url: URL.createObjectURL(file) });
      e.target.value = "";
      renderWoPhotos();
    });
    $("btn-write-off").addEventListener("click", () => act("write-off"));
    $("btn-reject").addEventListener("click", () => act("reject"));
    await load();
  }

  document.addEventListener("DOMContentLoaded", () => start().catch((err) => {
    $("ticket-status").textContent = GF.errorText(err);
  }));
})();
