/* /app/admin/users: people and machine accounts (GET/POST/PATCH /api/v1/admin/users) — create,
 * deactivate or reactivate, reset a password (ends the user's older tokens) — and API keys
 * (GET/POST/DELETE /api/v1/admin/api-keys): the key itself is shown once, when made. */
(function () {
  "use strict";
  const { h, t } = GF;
  const $ = (id) => document.getElementById(id);

  function scopeOf(u) {
    if (u.department) return t("admin.users.field.department") + " " + u.department;
    if (u.grids.length) return t("admin.users.field.grids") + " " + u.grids.join(", ");
    if (u.area) return t("admin.users.field.area") + " " + u.area;
    return "—";
  }

  async function change(u, body, cell) {
    try {
      await GF.api(`/admin/users/${encodeURIComponent(u.user_id)}`, { method: "PATCH", json: body });
      await loadUsers();
    } catch (err) {
      cell.replaceChildren(h("span", { class: "error" }, GF.errorText(err)));
    }
  }

  function userRow(u) {
    const actions = h("td", { class: "actions" });
    const toggle = h("button", { type: "button", class: u.active ? "deactivate" : "activate",
      onclick: () => change(u, { active: !u.active }, actions) },
      t(u.active ? "admin.users.deactivate" : "admin.users.activate"));
    const reset = h("button", { type: "button", class: "reset", onclick: () => {
      const password = window.prompt(t("admin.users.new_password", { user: u.user_id }));
      if (password) change(u, { password }, actions);
    } }, t("admin.users.reset"));
    actions.append(toggle, " ", reset);
    return h("tr", { dataset: { user: u.user_id, active: String(u.active) }, class: u.active ? "" : "inactive" },
      h("td", null, h("code", null, u.user_id)), h("td", null, u.name),
      h("td", null, t("role." + u.role)), h("td", null, scopeOf(u)),
      h("td", null, u.active ? t("admin.yes") : t("admin.no")), actions);
  }

  async function loadUsers() {
    try {
      const users = await GF.api("/admin/users");
      $("users").querySelector("tbody").replaceChildren(...users.map(userRow));
      $("users").hidden = false;
      $("users-status").hidden = true;
    } catch (err) {
      $("users-status").textContent = GF.errorText(err);
    }
  }

  async function createUser(event) {
    event.preventDefault();
    const form = new FormData($("user-form"));
    const body = { user_id: form.get("user_id").trim(), name: form.get("name").trim(),
                   role: form.get("role"), grids: AdminForm.list(form.get("grids")),
                   password: form.get("password") };
    for (const f of ["department", "area"]) if (form.get(f).trim()) body[f] = form.get(f).trim();
    $("user-errors").hidden = true;
    try {
      await GF.api("/admin/users", { method: "POST", json: body });
      $("user-form").reset();
      await loadUsers();
    } catch (err) {
      AdminForm.showErrors($("user-errors"), "users", err);
    }
  }

  function keyRow(k) {
    const revoke = h("button", { type: "button", class: "revoke", onclick: async () => {
      try {
        await GF.api(`/admin/api-keys/${encodeURIComponent(k.key_id)}`, { method: "DELETE" });
        await loadKeys();
      } catch (err) {
        revoke.replaceWith(h("span", { class: "error" }, GF.errorText(err)));
      }
    } }, t("admin.keys.revoke"));
    return h("tr", { dataset: { key: k.key_id, revoked: String(Boolean(k.revoked_at)) }, class: k.revoked_at ? "inactive" : "" },
      h("td", null, h("code", null, k.prefix + "…")), h("td", null, k.user_id), h("td", null, k.label),
      h("td", null, k.scopes.join(", ")), h("td", null, GF.when(k.created_at)),
      h("td", null, k.revoked_at ? t("admin.keys.revoked") + " " + GF.when(k.revoked_at) : revoke));
  }

  async function loadKeys() {
    const keys = await GF.api("/admin/api-keys");
    $("keys").querySelector("tbody").replaceChildren(...keys.map(keyRow));
  }

  async function createKey(event) {
    event.preventDefault();
    const form = new FormData($("key-form"));
    const body = { user_id: form.get("user_id").trim(), label: form.get("label").trim(),
                   scopes: form.getAll("scopes") };
    $("key-errors").hidden = true;
    try {
      const made = await GF.api("/admin/api-keys", { method: "POST", json: body });
      $("key-secret").querySelector("code").textContent = made.key;
      $("key-secret").hidden = false;
      $("key-form").reset();
      await loadKeys();
    } catch (err) {
      AdminForm.showErrors($("key-errors"), "keys", err);
    }
  }

  $("user-form").addEventListener("submit", createUser);
  $("key-form").addEventListener("submit", createKey);
  GF.requireUser(["admin"]).then(() => Promise.all([loadUsers(), loadKeys()]))
    .catch((err) => { $("users-status").textContent = GF.errorText(err); });
})();
