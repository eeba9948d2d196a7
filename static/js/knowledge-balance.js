// The knowledge balance page: FE/BE bar width and the attendance-per-month chart (data from a
// json_script tag; no inline scripts or styles under the CSP).
(function () {
  "use strict";
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
      datasets: [{
        label: "Attendees",
        data: rows.map(function (r) { return r.attendees; }),
        tension: 0.25,
        fill: true
      }]
    },
    options: {
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            footer: function (items) {
              var n = rows[items[0].dataIndex].sessions;
              return n + (n === 1 ? " session" : " sessions");
            }
          }
        }
      },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Attendees" } } }
    }
  });
})();
