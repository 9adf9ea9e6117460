// Membership over time: members at each month's end (line), joiners and lapses (bars).
(function () {
  var data = JSON.parse(document.getElementById("members-data").textContent);
  var canvas = document.getElementById("members-chart");
  if (!canvas || typeof Chart === "undefined") return;
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "line", label: "Members", data: data.members, borderColor: "#c8102e", yAxisID: "y" },
        { type: "bar", label: "Joined", data: data.joined, backgroundColor: "#0b6b2e", yAxisID: "y2" },
        { type: "bar", label: "Lapsed", data: data.lapsed, backgroundColor: "#8a5a00", yAxisID: "y2" }
      ]
    },
    options: {
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: false, position: "left" }, y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } }
    }
  });
})();
