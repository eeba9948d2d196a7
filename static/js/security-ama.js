// AMA page: live character counter for the question box (no inline script: strict CSP).
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-counter]").forEach(function (box) {
    var counter = document.getElementById(box.dataset.counter);
    if (!counter) { return; }
    var update = function () { counter.textContent = String(box.value.length); };
    box.addEventListener("input", update);
    update();
  });
})();
