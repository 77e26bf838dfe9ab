// The supervisor's page for one ticket (no inline script: the pages' CSP).
document.addEventListener("DOMContentLoaded", async () => {
  const user = await Desk.boot("supervisor");
  const pane = document.getElementById("ticket-pane");
  await Desk.renderTicket(pane, pane.dataset.ticketId, { user });
  document.body.dataset.ready = "1";
});
