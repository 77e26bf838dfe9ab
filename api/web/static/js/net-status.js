// The offline bar: shown while the phone has no network (no inline script: the pages' CSP).
(function () {
  const bar = document.getElementById("net-status");
  const show = () => { bar.hidden = navigator.onLine; };
  addEventListener("online", show); addEventListener("offline", show); show();
})();
