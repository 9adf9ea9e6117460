/* The board's map of not-yet-voted promises (Leaflet, vendored). The dots are redrawn from the
   JSON in the live part each time htmx refreshes it; the view (zoom, position) stays put. */
(function () {
  "use strict";
  const holder = document.getElementById("board-map");
  const source = document.getElementById("board-map-data");
  if (!holder || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  const map = L.map(holder, { scrollWheelZoom: false });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: "Map data © OpenStreetMap contributors" }).addTo(map);
  }
  const layer = L.layerGroup().addTo(map);
  let fitted = false;

  function draw(doors) {
    layer.clearLayers();
    doors.forEach(([lat, lng, n]) => {
      L.circleMarker([lat, lng], {
        radius: 4 + 2 * Math.sqrt(n), color: "#8f0b21", fillColor: "#c8102e", fillOpacity: 0.6, weight: 1,
      }).bindTooltip(`${n} to get out`).addTo(layer);
    });
    if (!fitted && doors.length) {
      map.fitBounds(doors.map((d) => [d[0], d[1]]), { padding: [24, 24], maxZoom: 17 });
      fitted = true;
    }
    holder.hidden = !fitted;
  }

  draw(data.doors || []);
  document.body.addEventListener("htmx:afterSwap", () => {
    const live = document.getElementById("board-map-live");
    if (live) draw(JSON.parse(live.textContent).doors || []);
  });
})();
