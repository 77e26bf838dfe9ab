/* One ticket for the desk: facts, deadlines, photos, timeline, and the actions the caller's role
 * may take (department staff: claim, return, verify, rectified, extension; supervisor: dispatch,
 * extension and parking decisions, merge / keep separate, 催办 and 督办, cancel). Every action calls the
 * existing POST route; a refusal shows the API's own error message. */
(function () {
  "use strict";
  const { t, el, clear, api, fmtTime, flash, statusLabel, stageLabel, actionLabel } = Desk;

  const DEPARTMENT_OPEN = ["dispatched", "claimed", "verifying", "rectifying"];
  const OPEN = ["submitted", "duplicate_review", "routed", "manual_dispatch", ...DEPARTMENT_OPEN, "resolved"];

  function field(label, value, id) {
    return el("div", { class: "gf-field" }, el("dt", {}, label), el("dd", id ? { id } : {}, value));
  }

  /* Upload chosen files through POST /photos (multipart); resolves to their photo ids. */
  async function uploadPhotos(files, kind) {
    const ids = [];
    for (const file of files) {
      const form = new FormData();
      form.append("file", file, file.name);
      if (kind) form.append("kind", kind);
      const stored = await api("POST", "/photos", form);
      ids.push(stored.photo_id || stored.id);
    }
    return ids;
  }

  /* Photos: TicketPublic.photos when the API gives it, else the events' data.photo_ids. */
  function photosOf(ticket) {
    if (ticket.photos && typeof ticket.photos === "object") return ticket.photos;
    const kinds = { submit: "report", rectified: "rectification", write_off: "write_off", reject: "write_off" };
    const out = { report: [], rectification: [], write_off: [] };
    for (const e of ticket.timeline || []) {
      const kind = kinds[e.action];
      for (const id of (e.data && e.data.photo_ids) || []) {
        if (kind) out[kind].push({ photo_id: id, url: "/api/v1/photos/" + encodeURIComponent(id), seq: e.seq });
      }
    }
    return out;
  }

  function deadlinesTable(ticket) {
    const rows = (ticket.deadlines || []).filter((d) => !d.voided_at);
    return Desk.table([
      { label: t("col_stage"), cell: (d) => stageLabel(d.stage) },
      { label: t("col_due"), cell: (d) => d.provisional && !d.met_at && !d.breached_at
        ? el("span", {}, fmtTime(d.due_at) + " ",
          el("span", { class: "gf-badge gf-provisional", title: t("deadline_provisional_why") }, t("deadline_provisional")))
        : fmtTime(d.due_at) },
      { label: t("col_state"), cell: (d) => {
        if (d.met_at) return t("deadline_met") + " " + fmtTime(d.met_at);
        if (d.breached_at) return el("span", { class: "gf-badge gf-overdue" }, t("deadline_breached") + " " + fmtTime(d.breached_at));
        const warned = (d.warnings || []).some((w) => w.fired_at);
        return el("span", { class: "gf-badge " + (warned ? "gf-warning" : "gf-ontime") },
          warned ? t("colour_warning") : t("colour_ontime"));
      } },
      { label: "", cell: (d) => d.extended_working_days ? t("deadline_extended", { n: d.extended_working_days }) : "" },
    ], rows, { class: "gf-deadlines" });
  }

  // The clock's own reasons are written in English in the workflow: say them in the page's words.
  function reasonText(e, d) {
    if (e.action === "calendar_alert") {
      const year = /no data for (\d{4})/.exec(e.reason || "");
      if (year) return t("calendar_alert_unknown_year", { year: year[1] });
      if (/deadlines planned/.test(e.reason || "")) return t("calendar_alert_planned");
    }
    if (e.action === "redate" && d.deadlines) {
      return Object.entries(d.deadlines).map(([stage, c]) =>
        t("redated_stage", { stage: stageLabel(stage), from: fmtTime(c.from), to: fmtTime(c.to) })).join("；")
        + (d.source ? " · " + d.source : "");
    }
    return e.reason;
  }

  function timelineList(ticket) {
    return el("ol", { class: "gf-timeline", id: "ticket-timeline" }, (ticket.timeline || []).map((e) => {
      const details = [];
      const d = e.data || {};
      if (e.reason) details.push(el("div", { class: "gf-reason" }, reasonText(e, d)));
      if (d.note) details.push(el("div", { class: "gf-note" }, d.note));
      if (d.department && e.action === "dispatch") details.push(el("div", {}, "→ " + d.department));
      const finding = d.finding || (d.outcome ? d : null);
      if (finding && finding.outcome) details.push(el("div", {}, t("outcome_" + finding.outcome) + (finding.severity ? " · " + t("severity_" + finding.severity) : "")));
      if (d.stage && /deadline|extension/.test(e.action)) details.push(el("div", {}, stageLabel(d.stage) + (d.working_days ? " +" + d.working_days : "")));
      return el("li", { dataset: { action: e.action } },
        el("span", { class: "gf-when" }, fmtTime(e.at)),
        el("span", { class: "gf-what" }, actionLabel(e.action)),
        el("span", { class: "gf-who" }, e.actor_id + " (" + e.actor_role + ")"),
        el("span", { class: "gf-to" }, !e.from_status ? statusLabel(e.to_status)
          : e.from_status !== e.to_status ? statusLabel(e.from_status) + " → " + statusLabel(e.to_status) : ""),
        details.length ? el("div", { class: "gf-details" }, details) : null);
    }));
  }

  async function photosBlock(ticket) {
    const photos = photosOf(ticket);
    const block = el("div", { class: "gf-photos", id: "ticket-photos" });
    for (const kind of ["report", "rectification", "write_off"]) {
      const list = photos[kind] || [];
      if (!list.length) continue;
      const row = el("div", { class: "gf-photo-row", dataset: { kind } }, el("h4", {}, t("photos_" + kind)));
      for (const p of list) row.appendChild(await Desk.photoImg(p.url, t("photos_" + kind)));
      block.appendChild(row);
    }
    if (!block.childNodes.length) block.appendChild(el("p", { class: "gf-muted" }, t("nothing")));
    return block;
  }

  /* A small form: fields, a submit button; `run(values)` does the API call. */
  function actionForm(id, title, fields, run, onDone) {
    const message = el("div", { class: "gf-flash", id: id + "-message" });
    const form = el("form", { class: "gf-action", id }, el("h4", {}, title), fields, el("button", { type: "submit", id: id + "-submit" }, t("submit")), message);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const result = await run(new FormData(form), form);
        flash(message, t("done"), "ok");
        if (onDone) await onDone(result);
      } catch (e) {
        flash(message, e.message || String(e));
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function button(id, label, run, onDone, cls) {
    const message = el("div", { class: "gf-flash", id: id + "-message" });
    const b = el("button", { type: "button", id, class: cls || null }, label);
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const result = await run();
        flash(message, t("done"), "ok");
        if (onDone) await onDone(result);
      } catch (e) {
        flash(message, e.message || String(e));
      } finally {
        b.disabled = false;
      }
    });
    return el("div", { class: "gf-action gf-action-button" }, b, message);
  }

  const label = (text, input) => el("label", {}, el("span", {}, text), input);
  const opt = (value, text, selected) => el("option", { value, selected: !!selected }, text);
  const noteOf = (v) => (v.get("note") || "").trim() || undefined;

  function staffActions(ticket, user, done) {
    const id = encodeURIComponent(ticket.ticket_id);
    const post = (action, body) => api("POST", `/tickets/${id}/${action}`, body);
    const s = ticket.status;
    const out = [];
    if (s === "dispatched") {
      out.push(button("act-claim", t("claim"), () => post("claim"), done, "gf-primary"));
    }
    if (s === "claimed") {
      out.push(button("act-start-verification", t("start_verification"), () => post("start-verification"), done));
    }
    if (s === "claimed" || s === "verifying") {
      const outcome = el("select", { name: "outcome", id: "verify-outcome" },
        ["not_found", "fixed_on_site", "needs_rectification"].map((o) => opt(o, t("outcome_" + o))));
      const severity = el("select", { name: "severity", id: "verify-severity" }, opt("", "—"),
        opt("yellow", t("severity_yellow")), opt("red", t("severity_red")));
      const days = el("input", { name: "rectify_working_days", id: "verify-days", type: "number", min: 1, max: 250 });
      const due = el("input", { name: "rectify_due_at", id: "verify-due", type: "datetime-local" });
      const rect = el("div", { class: "gf-rectify-fields" }, label(t("severity"), severity), label(t("rectify_days"), days), label(t("rectify_due_at"), due));
      const sync = () => { rect.hidden = outcome.value !== "needs_rectification"; };
      outcome.addEventListener("change", sync);
      sync();
      out.push(actionForm("act-verify", t("verify"), [label(t("outcome"), outcome), rect,
        label(t("note"), el("textarea", { name: "note", id: "verify-note", rows: 2, maxlength: 2000 }))], (v) => {
        const body = { outcome: v.get("outcome"), note: noteOf(v) };
        if (body.outcome === "needs_rectification") {
          if (v.get("severity")) body.severity = v.get("severity");
          if (v.get("rectify_working_days")) body.rectify_working_days = Number(v.get("rectify_working_days"));
          if (v.get("rectify_due_at")) body.rectify_due_at = new Date(v.get("rectify_due_at")).toISOString();
        }
        return post("verify", body);
      }, done));
    }
    if (s === "rectifying") {
      out.push(actionForm("act-rectified", t("rectified"), [
        label(t("choose_photos"), el("input", { type: "file", name: "photos", id: "rectified-photos", accept: "image/*", multiple: true })),
        label(t("note"), el("textarea", { name: "note", id: "rectified-note", rows: 2, maxlength: 2000 })),
      ], async (v, form) => {
        const files = Array.from(form.querySelector("input[type=file]").files || []);
        const body = { note: noteOf(v) };
        if (files.length) body.photo_ids = await uploadPhotos(files, "rectification");
        return post("rectified", body);
      }, done));
    }
    if (["dispatched", "claimed", "verifying"].includes(s)) {
      out.push(actionForm("act-return", t("return"), [
        label(t("return_reason"), el("textarea", { name: "reason", id: "return-reason", rows: 2, required: true, maxlength: 2000 })),
      ], (v) => post("return", { reason: (v.get("reason") || "").trim() }), done));
    }
    if (DEPARTMENT_OPEN.includes(s) && !ticket.extension_request) {
      out.push(actionForm("act-extension", t("extension"), [
        label(t("extension_days"), el("input", { name: "working_days", id: "extension-days", type: "number", min: 1, value: 2, required: true })),
        label(t("extension_reason"), el("textarea", { name: "reason", id: "extension-reason", rows: 2, required: true, maxlength: 2000 })),
      ], (v) => post("request-extension", { working_days: Number(v.get("working_days")), reason: (v.get("reason") || "").trim() }), done));
    }
    return out;
  }

  async function supervisorActions(ticket, user, done) {
    const id = encodeURIComponent(ticket.ticket_id);
    const post = (action, body) => api("POST", `/tickets/${id}/${action}`, body);
    const s = ticket.status;
    const out = [];
    if (s === "manual_dispatch") {
      const deps = await Desk.departments();
      out.push(actionForm("act-dispatch", t("dispatch"), [label(t("dispatch_to"),
        el("select", { name: "department", id: "dispatch-department", required: true },
          Object.values(deps).map((d) => opt(d.code, d.code + " " + d.name))))],
      (v) => post("dispatch", { department: v.get("department") }), done));
    }
    if (ticket.extension_request) {
      const r = ticket.extension_request;
      const reason = el("input", { name: "reason", id: "extension-decision-reason", maxlength: 2000 });
      const message = el("div", { class: "gf-flash", id: "extension-decision-message" });
      const decide = (action) => async () => {
        try {
          const result = await post(action, { reason: reason.value.trim() || undefined });
          flash(message, t("done"), "ok");
          await done(result);
        } catch (e) { flash(message, e.message); }
      };
      out.push(el("div", { class: "gf-action", id: "act-extension-decision" },
        el("h4", {}, t("extension_pending")),
        el("p", {}, `${stageLabel(r.stage)} +${r.working_days} ${t("unit_working_days")} · ${r.requested_by} · ${fmtTime(r.requested_at)}`),
        el("p", { class: "gf-reason" }, r.reason),
        label(t("decision_reason"), reason),
        el("button", { type: "button", id: "act-approve-extension", class: "gf-primary", onclick: decide("approve-extension") }, t("approve")),
        el("button", { type: "button", id: "act-refuse-extension", onclick: decide("refuse-extension") }, t("refuse")),
        message));
    }
    if (ticket.parking_request) {
      const r = ticket.parking_request;
      out.push(el("div", { class: "gf-action", id: "act-parking-decision" },
        el("h4", {}, t("parking_title")),
        el("p", {}, fmtTime(r.review_at) + " · " + r.requested_by),
        el("p", { class: "gf-reason" }, r.reason),
        button("act-approve-parking", t("approve"), () => post("approve-parking"), done, "gf-primary"),
        button("act-refuse-parking", t("refuse"), () => post("refuse-parking"), done)));
    }
    if (s === "duplicate_review") {
      for (const c of ticket.duplicate_candidates || []) {
        out.push(button("act-merge-" + c.ticket_id, `${t("merge_into")} ${c.ticket_id} (${c.distance_m} m)`,
          () => post("merge", { into: c.ticket_id }), done, "gf-primary"));
      }
      out.push(button("act-keep-separate", t("keep_separate"), () => post("keep-separate"), done));
    }
    if (DEPARTMENT_OPEN.includes(s) && !ticket.parking) {
      out.push(actionForm("act-urge", t("urge"), [
        label(t("urge_message"), el("textarea", { name: "message", id: "urge-message", rows: 2, required: true, maxlength: 500 })),
      ], (v) => post("urge", { message: (v.get("message") || "").trim() }), done));
      out.push(actionForm("act-supervise", t("supervise"), [
        label(t("order_instruction"), el("textarea", { name: "instruction", id: "order-instruction", rows: 2, required: true, maxlength: 1000 })),
        label(t("order_reply_days"), el("input", { name: "reply_working_days", id: "order-reply-days", type: "number", min: 1, max: 10, value: 2, required: true })),
      ], (v) => api("POST", "/orders", {
        tickets: [ticket.ticket_id],
        instruction: (v.get("instruction") || "").trim(),
        reply_working_days: Number(v.get("reply_working_days")),
      }), (order) => { location.href = "/app/supervisor/orders#" + encodeURIComponent(order.order_id); }));
    }
    if (OPEN.includes(s)) {
      out.push(actionForm("act-cancel", t("cancel"), [
        label(t("cancel_kind"), el("select", { name: "kind", id: "cancel-kind" },
          opt("invalid", t("cancel_invalid")), opt("duplicate", t("cancel_duplicate")))),
        label(t("cancel_duplicate_of"), el("input", { name: "duplicate_of", id: "cancel-duplicate-of", maxlength: 64 })),
        label(t("col_reason"), el("textarea", { name: "reason", id: "cancel-reason", rows: 2, required: true, maxlength: 2000 })),
      ], (v) => post("cancel", { kind: v.get("kind"), reason: (v.get("reason") || "").trim(),
                                 duplicate_of: (v.get("duplicate_of") || "").trim() || undefined }), done));
    }
    return out;
  }

  /* Render the ticket into `container`; `onChange(ticket)` after a successful action. */
  async function renderTicket(container, ticketId, options) {
    options = options || {};
    const user = options.user || await Desk.me();
    clear(container).appendChild(el("p", { class: "gf-muted" }, t("loading")));
    let ticket;
    try {
      ticket = await api("GET", "/tickets/" + encodeURIComponent(ticketId));
    } catch (e) {
      flash(clear(container).appendChild(el("div", {})), e.message);
      return null;
    }
    const [cats, deps] = await Promise.all([Desk.categories(), Desk.departments()]);
    const done = async (result) => {
      await renderTicket(container, ticketId, options);
      if (options.onChange) await options.onChange(result);
    };
    const running = (ticket.deadlines || []).filter((d) => !d.met_at && !d.voided_at && !d.breached_at);
    const colour = Desk.colourOf({
      overdue: ticket.overdue, current_due_at: ticket.current_deadline && ticket.current_deadline.due_at,
      parked: !!ticket.parking, warned: running.some((d) => (d.warnings || []).some((w) => w.fired_at)),
    });
    const f = ticket.finding;
    const facts = el("dl", { class: "gf-facts" },
      field(t("description"), ticket.description, "ticket-description"),
      field(t("category"), Desk.categoryName(cats, ticket.category)),
      field(t("grid"), ticket.grid),
      field(t("location"), `${ticket.lat.toFixed(5)}, ${ticket.lon.toFixed(5)}`),
      field(t("department"), Desk.departmentName(deps, ticket.department)),
      field(t("urgency"), t(ticket.urgency)),
      field(t("reporter"), ticket.reporter_id),
      ticket.claimed_by ? field(t("claimed_by"), ticket.claimed_by) : null,
      ticket.routing ? field(t("routing"), ticket.routing.reason) : null,
      f ? field(t("finding"), t("outcome_" + f.outcome) + (f.severity ? " · " + t("severity_" + f.severity) : "")
        + (f.rectify_due_at ? " · " + fmtTime(f.rectify_due_at) : ""), "ticket-finding") : null,
      ticket.escalation_level ? field(t("escalation"), t("level_" + ticket.escalation_level)) : null,
      ticket.urge_count ? field(t("urge_count"), String(ticket.urge_count), "ticket-urge-count") : null,
      ticket.extension_request ? field(t("extension_pending"),
        `${stageLabel(ticket.extension_request.stage)} +${ticket.extension_request.working_days} · ${ticket.extension_request.reason}`) : null,
      ticket.parking ? field(t("parking"), fmtTime(ticket.parking.review_at) + " · " + ticket.parking.reason) : null,
      (ticket.merged_reports || []).length ? field(t("merged_reports"), ticket.merged_reports.map((m) => m.ticket_id).join(", ")) : null);
    let actions = [];
    if (user.role === "department_staff" && ticket.department === user.department) actions = staffActions(ticket, user, done);
    if (user.role === "supervisor") actions = await supervisorActions(ticket, user, done);
    clear(container).appendChild(el("article", { class: "gf-ticket", id: "ticket-view", dataset: { ticketId: ticket.ticket_id, status: ticket.status } },
      el("header", { class: "gf-ticket-head" },
        el("h2", {}, ticket.ticket_id),
        el("span", { class: "gf-status", id: "ticket-status", dataset: { status: ticket.status } }, statusLabel(ticket.status)),
        ticket.current_deadline ? Desk.colourBadge(colour) : null,
        ticket.current_deadline ? el("span", { class: "gf-muted" },
          stageLabel(ticket.current_deadline.stage) + " " + t("deadline_due") + " " + fmtTime(ticket.current_deadline.due_at)) : null),
      facts,
      actions.length ? el("section", { class: "gf-actions", id: "ticket-actions" }, el("h3", {}, t("actions")), actions) : null,
      el("section", {}, el("h3", {}, t("deadlines")), deadlinesTable(ticket)),
      el("section", {}, el("h3", {}, t("photos")), await photosBlock(ticket)),
      el("section", {}, el("h3", {}, t("timeline")), timelineList(ticket))));
    return ticket;
  }

  Desk.renderTicket = renderTicket;
  Desk.uploadPhotos = uploadPhotos;
})();
