/* /app/supervisor/map — 挂图作战: the grid cells shaded by their open tickets, street outlines,
 * and every open ticket (and those written off today) as a dot coloured by state. Leaflet with no
 * tile layer and no attribution control: nothing is fetched from anywhere but this server. */
(function () {
  "use strict";
  const { t, el, api, fmtTime, flash } = Desk;

  const COLOURS = { blue: "#2563eb", yellow: "#d4a106", red: "#dc2626", black: "#111827", green: "#16a34a" };
  const ORDER = ["red", "black", "yellow", "blue", "green"];
  // Open tickets per cell → fill: none, then four steps of orange.
  const SHADES = [[0, "#f8fafc"], [1, "#fde7c8"], [2, "#fbbf77"], [4, "#f97316"], [8, "#c2410c"]];

  function shade(n) {
    let fill = SHADES[0][1];
    for (const [min, colour] of SHADES) if (n >= min) fill = colour;
    return fill;
  }

  function legend(counts) {
    const control = L.control({ position: "bottomright" });
    control.onAdd = () => {
      const box = el("div", { class: "gf-legend", id: "map-legend" }, el("strong", {}, t("legend")),
        ORDER.map((c) => el("div", { class: "gf-legend-row", dataset: { colour: c } },
          el("span", { class: "gf-dot", style: `background:${COLOURS[c]}` }),
          `${t("colour_" + c)} (${(counts && counts[c]) || 0})`)),
        el("hr", {}),
        SHADES.map(([min, colour], i) => el("div", { class: "gf-legend-row" },
          el("span", { class: "gf-swatch", style: `background:${colour}` }),
          i + 1 < SHADES.length ? (min === SHADES[i + 1][0] - 1 ? String(min) : `${min}–${SHADES[i + 1][0] - 1}`) : `≥${min}`)));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return control;
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const user = await Desk.boot("supervisor");
    if (!user) return;
    const status = document.getElementById("map-status");
    let grids, streets, counts, board, cats;
    try {
      [grids, streets, counts, board, cats] = await Promise.all([
        api("GET", "/map?level=grid"), api("GET", "/map?level=street"), api("GET", "/map/grid-counts"),
        api("GET", "/map/tickets"), Desk.categories()]);
    } catch (e) {
      flash(status, e.message);
      return;
    }
    const map = L.map("battle-map", { attributionControl: false, zoomSnap: 0.25, preferCanvas: false });
    const cells = L.geoJSON(grids, {
      style: (f) => ({
        color: "#64748b", weight: 1, fillOpacity: 0.75, fillColor: shade(counts[f.properties.code] || 0),
        className: "gf-grid gf-grid-" + f.properties.code,
      }),
      onEachFeature: (f, layer) => {
        const n = counts[f.properties.code] || 0;
        layer.bindTooltip(el("div", {}, el("strong", {}, f.properties.name), el("br"),
          f.properties.code, el("br"), t("open_count", { n })), { sticky: true });
        layer.on("add", () => {
          const path = layer.getElement();
          if (path) { path.dataset.grid = f.properties.code; path.dataset.open = String(n); }
        });
      },
    }).addTo(map);
    L.geoJSON(streets, { style: () => ({ color: "#1e293b", weight: 2.5, fill: false, interactive: false }) }).addTo(map);
    map.fitBounds(cells.getBounds(), { padding: [8, 8] });

    const markers = L.featureGroup().addTo(map);
    // Red and black on top: draw them last.
    const rank = (c) => ["green", "blue", "yellow", "black", "red"].indexOf(c);
    for (const ticket of [...board.tickets].sort((a, b) => rank(a.colour) - rank(b.colour))) {
      const colour = COLOURS[ticket.colour] || "#6b7280";
      const marker = L.circleMarker([ticket.lat, ticket.lon], {
        radius: 7, weight: 2, color: "#ffffff", fillColor: colour, fillOpacity: 1,
        className: `gf-marker gf-marker-${ticket.colour}`,
      });
      marker.bindTooltip(el("div", {},
        el("strong", {}, ticket.ticket_id), el("br"),
        Desk.categoryName(cats, ticket.category), el("br"),
        `${Desk.statusLabel(ticket.status)} · ${t("colour_" + ticket.colour)}`,
        ticket.current_due_at ? [el("br"), `${Desk.stageLabel(ticket.current_stage)} ${t("deadline_due")} ${fmtTime(ticket.current_due_at)}`] : null));
      marker.on("click", () => { location.href = "/app/supervisor/tickets/" + encodeURIComponent(ticket.ticket_id); });
      marker.on("add", () => {
        const path = marker.getElement();
        if (path) { path.dataset.ticketId = ticket.ticket_id; path.dataset.colour = ticket.colour; }
      });
      markers.addLayer(marker);
    }
    legend(board.counts).addTo(map);
    status.textContent = t("open_count", { n: board.tickets.filter((x) => x.colour !== "green").length });
    document.body.dataset.ready = "1";
  });
})();
