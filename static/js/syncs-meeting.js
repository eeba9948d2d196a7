// Meeting page: flag unsaved notes and warn before leaving with them.
(function () {
  "use strict";
  var form = document.getElementById("notes-form");
  if (!form) { return; }
  var body = form.querySelector("textarea[name=body]");
  var flag = document.getElementById("notes-dirty");
  var initial = body.value;
  var submitting = false;
  body.addEventListener("input", function () {
    if (flag) { flag.hidden = body.value === initial; }
  });
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && body.value !== initial) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
