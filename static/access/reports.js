/* Access reports: time to decision per tool and region (Chart.js, vendored). The table holds the same figures. */
(function () {
  "use strict";
  const source = document.getElementById("times-data");
  const canvas = document.getElementById("times-chart");
  if (!source || !canvas || !window.Chart) return;
  const rows = JSON.parse(source.textContent);
  Chart.defaults.font.size = 14;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((r) => `${r.tool} (${r.region})`),
      datasets: [
        { label: "Median hours", data: rows.map((r) => r.median), backgroundColor: "#c8102e" },
        { label: "90th percentile hours", data: rows.map((r) => r.p90), backgroundColor: "#8f0b21" },
      ],
    },
    options: { indexAxis: "y", maintainAspectRatio: false, scales: { x: { beginAtZero: true } } },
  });
})();
