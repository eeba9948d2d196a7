// The CTO dashboard's 90-day spend chart. Data comes from the json_script block (no inline script: CSP).
(function () {
  "use strict";
  var canvas = document.getElementById("spend-chart");
  var source = document.getElementById("spend-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  var datasets = chart.datasets.map(function (ds) {
    return { label: ds.label, data: ds.data.map(Number) };
  });
  new Chart(canvas, {
    type: "bar",
    data: { labels: chart.labels, datasets: datasets },
    options: {
      responsive: true,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { x: { stacked: true, ticks: { maxTicksLimit: 12 } },
                y: { stacked: true, title: { display: true, text: chart.currency } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
  canvas.setAttribute("data-rendered", "1");
})();
