/* /app/codec: lend this browser's Temporal UI the supervisor's token as a cookie for the codec
 * endpoint (POST /api/v1/codec/session), or take it back (DELETE). */
(async function () {
  "use strict";
  const status = document.getElementById("codec-status");
  await GF.requireUser(["supervisor"]);

  async function lend(method, done) {
    status.className = "";
    try {
      await GF.api("/codec/session", { method });
      status.textContent = GF.t(done);
      status.className = "ok";
    } catch (err) {
      status.textContent = GF.errorText(err);
      status.className = "error";
    }
  }

  document.getElementById("codec-allow").addEventListener("click", () => lend("POST", "codec.allowed"));
  document.getElementById("codec-revoke").addEventListener("click", () => lend("DELETE", "codec.revoked"));
})();
