// Portfolio board: re-filter as soon as a filter changes (the form still works without JS).
(function () {
  "use strict";
  var form = document.getElementById("initiative-filters");
  if (!form) return;
  form.querySelectorAll(".js-autosubmit").forEach(function (input) {
    input.addEventListener("change", function () { form.submit(); });
  });
})();
