// The cost explorer's stacked bar chart. Data comes from the json_script block (no inline script: CSP).
(function () {
  "use strict";
  var canvas = document.getElementById("cost-chart");
  var source = document.getElementById("cost-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  chart.datasets.forEach(function (ds) { ds.data = ds.data.map(Number); });
  new Chart(canvas, {
    type: "bar",
    data: { labels: chart.labels, datasets: chart.datasets },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: chart.currency } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
