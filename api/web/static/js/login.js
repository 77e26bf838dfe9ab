/* The login page: user name + password to POST /api/v1/auth/token, keep the access token,
 * read GET /api/v1/me, go to the role's home page. Demo buttons post their demo credentials. */
(function () {
  "use strict";
  const form = document.getElementById("login-form");
  const username = document.getElementById("username");
  const password = document.getElementById("password");
  const error = document.getElementById("login-error");

  function safeNext() {
    const next = new URLSearchParams(location.search).get("next");
    return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
  }

  function fail(text) {
    error.textContent = text;
    error.hidden = false;
  }

  async function logIn(user, pass) {
    let response;
    try {
      response = await fetch("/api/v1/auth/token", {
        method: "POST", cache: "no-store",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username: user, password: pass }),
      });
    } catch (err) {
      throw new GF.Offline(String(err));
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new GF.ApiError(response.status, data && data.error ? data.error : data, data);
    }
    return data.access_token;
  }

  async function signIn(user, pass) {
    error.hidden = true;
    let me;
    let tok;
    try {
      tok = await logIn(user, pass);
      me = await GF.api("/me", { token: tok });
    } catch (err) {
      fail(err instanceof GF.ApiError && err.status === 401
        ? GF.t("login.invalid") : GF.errorText(err));
      return;
    }
    localStorage.setItem(GF.TOKEN, tok);
    localStorage.setItem(GF.ME, JSON.stringify(me));
    const home = GF.HOME[me.role];
    if (!home) {
      fail(GF.t("login.no_page", { role: me.role }));
      return;
    }
    const next = safeNext();
    location.assign(next && next.startsWith(home) ? next : home);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const user = username.value.trim();
    if (user && password.value) signIn(user, password.value);
  });
  document.querySelectorAll(".demo-user").forEach((button) =>
    button.addEventListener("click", () => {
      username.value = button.dataset.username;
      password.value = button.dataset.password;
      signIn(button.dataset.username, button.dataset.password);
    }));
})();
