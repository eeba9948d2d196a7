// Inventory filters: apply a select's change at once (the Filter button still works without JS).
(function () {
  "use strict";
  var form = document.getElementById("inventory-filters");
  if (!form) { return; }
  form.querySelectorAll("select, input[type=checkbox]").forEach(function (el) {
    el.addEventListener("change", function () { form.submit(); });
  });
})();
