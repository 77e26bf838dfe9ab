/* The login page: check a token with GET /api/v1/me, keep it, go to the role's home page. */
(function () {
  "use strict";
  const form = document.getElementById("login-form");
  const input = document.getElementById("token");
  const error = document.getElementById("login-error");

  function safeNext() {
    const next = new URLSearchParams(location.search).get("next");
    return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
  }

  async function signIn(tok) {
    error.hidden = true;
    let user;
    try {
      user = await GF.api("/me", { token: tok });
    } catch (err) {
      error.textContent = err instanceof GF.ApiError && err.status === 401
        ? GF.t("login.invalid") : GF.errorText(err);
      error.hidden = false;
      return;
    }
    localStorage.setItem(GF.TOKEN, tok);
    localStorage.setItem(GF.ME, JSON.stringify(user));
    const home = GF.HOME[user.role];
    if (!home) {
      error.textContent = GF.t("login.no_page", { role: user.role });
      error.hidden = false;
      return;
    }
    const next = safeNext();
    location.assign(next && next.startsWith(home) ? next : home);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const tok = input.value.trim();
    if (tok) signIn(tok);
  });
  document.querySelectorAll(".demo-user").forEach((button) =>
    button.addEventListener("click", () => { input.value = button.dataset.token; signIn(button.dataset.token); }));
})();
