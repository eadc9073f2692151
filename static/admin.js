// hewn's admin panel: small conveniences on top of pages that work without script.
// Loaded as an external file because the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // "Select all" checkboxes tick every row checkbox of their form.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-all]")) return;
    var form = box.form;
    if (!form) return;
    form.querySelectorAll('input[type="checkbox"][name="ids"]').forEach(function (row) {
      row.checked = box.checked;
    });
  });

  // Buttons that delete for good ask first.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Date and time formats show their example as you type.
  var timers = {};
  document.querySelectorAll("[data-date-example]").forEach(function (input) {
    var output = document.getElementById(input.getAttribute("data-date-example"));
    var zone = document.querySelector('select[name="timezone"]');
    if (!output) return;
    var update = function () {
      clearTimeout(timers[input.id]);
      timers[input.id] = setTimeout(function () {
        var url = "/admin/settings/date-example?format=" + encodeURIComponent(input.value) +
          (zone ? "&timezone=" + encodeURIComponent(zone.value) : "");
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (text) { if (text !== null) output.textContent = text; })
          .catch(function () {});
      }, 200);
    };
    input.addEventListener("input", update);
    if (zone) zone.addEventListener("change", update);
  });
})();
