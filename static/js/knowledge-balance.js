// Attendance per month on the knowledge balance page (data from a json_script tag).
(function () {
  "use strict";
  var canvas = document.getElementById("attendance-trend");
  var source = document.getElementById("attendance-trend-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var rows = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: rows.map(function (r) { return r.month; }),
      datasets: [
        { label: "Attendees", data: rows.map(function (r) { return r.attendees; }), tension: 0.25, fill: false },
        { label: "Sessions", data: rows.map(function (r) { return r.sessions; }), type: "bar", yAxisID: "y1" }
      ]
    },
    options: {
      maintainAspectRatio: false,
      scales: {
        y: { beginAtZero: true, title: { display: true, text: "Attendees" } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } }
      }
    }
  });
})();
