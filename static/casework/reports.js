/* Casework reports: cases opened and closed per month, and opened per topic (Chart.js, vendored).
   The tables under each chart hold the same figures. */
(function () {
  "use strict";
  const source = document.getElementById("casework-chart-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  Chart.defaults.font.size = 14;
  const months = document.getElementById("month-chart");
  if (months) {
    new Chart(months, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Opened", data: data.opened, backgroundColor: "#c8102e" },
          { label: "Closed", data: data.closed, backgroundColor: "#1d4f91" },
        ],
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  const topics = document.getElementById("topic-chart");
  if (topics) {
    new Chart(topics, {
      type: "bar",
      data: { labels: data.topics, datasets: [{ label: "Opened", data: data.topic_opened, backgroundColor: "#c8102e" }] },
      options: { indexAxis: "y", maintainAspectRatio: false, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
})();
