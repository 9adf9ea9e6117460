/* The issue map (circles per polling district). Tiles come from the MAP_TILE_URL setting; without
   one, the points still show. (A pack's map is static/campaigns/door_map.js.) */
(function () {
  "use strict";
  const holder = document.getElementById("map");
  const source = document.getElementById("map-data");
  if (!holder || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  const map = L.map(holder, { scrollWheelZoom: false });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: "Map data © OpenStreetMap contributors" }).addTo(map);
  }
  const points = [];

  function text(value) {
    const span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  const byPd = new Map();
  (data.rows || []).forEach((row) => {
    if (row.lat === null || row.lng === null) return;
    const pd = byPd.get(row.pd) || { lat: row.lat, lng: row.lng, total: 0, issues: [] };
    pd.total += row.n;
    pd.issues.push(`${row.issue}: ${row.n}`);
    byPd.set(row.pd, pd);
  });
  byPd.forEach((pd, code) => {
    points.push([pd.lat, pd.lng]);
    L.circleMarker([pd.lat, pd.lng], {
      radius: 6 + 3 * Math.sqrt(pd.total), color: "#8f0b21", fillColor: "#c8102e", fillOpacity: 0.5,
    }).bindPopup(text(`${code}: ${pd.issues.join(", ")}`)).addTo(map);
  });

  if (points.length) {
    map.fitBounds(points, { padding: [24, 24], maxZoom: 17 });
  } else {
    holder.hidden = true;
  }
})();
