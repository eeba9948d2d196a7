// Calibration page: the rating distribution against the cycle's target (data from json_script).
(function () {
  "use strict";
  var canvas = document.getElementById("distribution-chart");
  var source = document.getElementById("calibration-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Actual %", data: data.actual, backgroundColor: "rgba(13,110,253,0.6)" },
        { label: "Target %", data: data.target, backgroundColor: "rgba(108,117,125,0.4)" }
      ]
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "% of ratings" } } } }
  });
})();
