// Attendance per month on the knowledge balance page (data from a json_script tag).
(function () {
  "use strict";
  // The FE/BE bar's width comes from a data attribute (no inline styles under the CSP).
  document.querySelectorAll(".progress-bar[data-share]").forEach(function (bar) {
    bar.style.width = Number(bar.dataset.share) + "%";
  });
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
      scales: {
        y: { beginAtZero: true, title: { display: true, text: "Attendees" } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } }
      }
    }
  });
})();
