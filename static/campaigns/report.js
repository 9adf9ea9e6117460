/* Charts for the canvass report (Chart.js, vendored). The same figures are in the tables. */
(function () {
  "use strict";
  const source = document.getElementById("report-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  Chart.defaults.font.size = 14;
  Chart.defaults.maintainAspectRatio = false;

  const trend = document.getElementById("trend-chart");
  if (trend) {
    new Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.map((r) => r.day),
        datasets: [
          { label: "Visits", data: data.trend.map((r) => r.visits), borderColor: "#c8102e", tension: 0.2 },
          { label: "Spoke", data: data.trend.map((r) => r.spoke), borderColor: "#1a1a1a", tension: 0.2 },
        ],
      },
    });
  }

  const intention = document.getElementById("intention-chart");
  if (intention) {
    const totals = new Map();
    data.intentions.forEach((r) => {
      const key = r.intention__code;
      const entry = totals.get(key) || { label: `${key} ${r.intention__label}`, colour: r.intention__colour, n: 0 };
      entry.n += r.n;
      totals.set(key, entry);
    });
    const rows = Array.from(totals.values());
    new Chart(intention, {
      type: "bar",
      data: {
        labels: rows.map((r) => r.label),
        datasets: [{ label: "Answers", data: rows.map((r) => r.n), backgroundColor: rows.map((r) => r.colour) }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } } },
    });
  }

  const ward = document.getElementById("ward-chart");
  if (ward) {
    new Chart(ward, {
      type: "bar",
      data: {
        labels: data.wards.map((w) => w.ward),
        datasets: [{ label: "Contact rate %", data: data.wards.map((w) => w.rate), backgroundColor: "#c8102e" }],
      },
      options: { scales: { y: { beginAtZero: true, max: 100 } } },
    });
  }
})();
