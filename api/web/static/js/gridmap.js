/* The grid map with Leaflet and the API's GeoJSON only: no tile layer, nothing from outside.
 *
 *   await GFMap.load()                    the FeatureCollection (GET /api/v1/map, kept for offline)
 *   GFMap.draw(element, fc, {mine, onClick}) a Leaflet map of the grid cells (the user's `mine`
 *                                         highlighted), streets outlined; returns {map, grids}
 *   GFMap.gridAt(fc, lat, lon)            the grid cell feature containing the point, or null
 * Each cell's SVG path has the class "grid-<code>" (tests click them).
 */
(function () {
  "use strict";

  async function load() { return GF.cachedGet("/map"); }

  function inRing(ring, x, y) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inPolygon(rings, x, y) {
    if (!inRing(rings[0], x, y)) return false;
    for (let k = 1; k < rings.length; k++) if (inRing(rings[k], x, y)) return false;
    return true;
  }
  function gridAt(fc, lat, lon) {
    let best = null;
    for (const f of fc.features) {
      if (f.properties.level !== "grid") continue;
      const g = f.geometry;
      const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      if (polys.some((p) => inPolygon(p, lon, lat))) {
        if (!best || f.properties.code < best.properties.code) best = f; // as the API: lowest code
      }
    }
    return best;
  }

  function draw(element, fc, opts) {
    opts = opts || {};
    const mine = new Set(opts.mine || []);
    const map = L.map(element, { attributionControl: false, zoomSnap: 0.25, tap: true });
    const byLevel = (level) => ({ type: "FeatureCollection",
                                  features: fc.features.filter((f) => f.properties.level === level) });
    const grids = L.geoJSON(byLevel("grid"), {
      style: (f) => ({
        className: "grid-cell grid-" + f.properties.code + (mine.has(f.properties.code) ? " mine" : ""),
        color: mine.has(f.properties.code) ? "#1f5fa8" : "#8a94a6",
        weight: mine.has(f.properties.code) ? 2 : 1,
        fillColor: mine.has(f.properties.code) ? "#cfe0f5" : "#f3f5f8",
        fillOpacity: 0.7,
      }),
      // an element, not a string: Leaflet puts a string tooltip in as HTML
      onEachFeature: (f, layer) => layer.bindTooltip(
        GF.h("span", { text: f.properties.name + " " + f.properties.code }), { sticky: true }),
    }).addTo(map);
    L.geoJSON(byLevel("street"), { interactive: false,
                                   style: { color: "#39465a", weight: 2, fill: false } }).addTo(map);
    const mineLayer = L.featureGroup(grids.getLayers().filter((l) => mine.has(l.feature.properties.code)));
    const focus = mineLayer.getLayers().length ? mineLayer : grids;
    if (focus.getLayers().length) map.fitBounds(focus.getBounds(), { padding: [8, 8] });
    else map.setView([30.27, 120.12], 13);
    if (opts.onClick) map.on("click", (e) => opts.onClick(e.latlng));
    return { map, grids };
  }

  window.GFMap = { load, draw, gridAt };
})();
