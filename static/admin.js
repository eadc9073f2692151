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

  // The editor: files chosen under "Add media" or dropped on the text are uploaded
  // to the library, and their Markdown is placed at the cursor (without script the
  // form opens the library in a new tab instead).
  var text = document.querySelector("textarea[data-media-drop]");
  var uploadForm = document.querySelector("form[data-media-upload]");
  if (text && uploadForm) {
    var status = document.getElementById("media-drop-status");
    var say = function (message) {
      if (status) status.textContent = message;
    };
    // A blank line around what is placed, unless one is there already.
    var place = function (markdown) {
      var value = text.value;
      var before = value.slice(0, text.selectionStart);
      var after = value.slice(text.selectionEnd);
      var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      var trail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
      text.value = before + lead + markdown + trail + after;
      // The cursor goes between the first image's brackets, where its alt text belongs.
      var at = before.length + lead.length;
      var cursor = markdown.indexOf("![]") === 0 ? at + 2 : at + markdown.length;
      text.focus();
      text.setSelectionRange(cursor, cursor);
    };
    var upload = function (files) {
      if (!files || !files.length) return;
      var data = new FormData();
      // The token first: the server reads it before any file.
      data.append("_csrf", uploadForm.querySelector('input[name="_csrf"]').value);
      Array.prototype.forEach.call(files, function (file) {
        data.append("files", file, file.name);
      });
      say(files.length === 1 ? "Uploading 1 file…" : "Uploading " + files.length + " files…");
      fetch(uploadForm.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().catch(function () {
            return { error: "The upload was refused (" + response.status + "). Reload the page and try again." };
          });
        })
        .then(function (answer) {
          if (answer.markdown) {
            place(answer.markdown.join("\n\n"));
            say("Uploaded and placed in the text. Describe each image between its square brackets.");
          } else {
            say(answer.error || "The upload failed.");
          }
        })
        .catch(function () {
          say("The upload failed: the site could not be reached.");
        });
    };
    var carriesFiles = function (event) {
      return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
    };
    text.addEventListener("dragover", function (event) {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      text.classList.add("dropping");
    });
    text.addEventListener("dragleave", function () {
      text.classList.remove("dropping");
    });
    text.addEventListener("drop", function (event) {
      text.classList.remove("dropping");
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      upload(event.dataTransfer.files);
    });
    uploadForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = uploadForm.querySelector('input[type="file"]');
      upload(input.files);
      input.value = "";
    });
  }
})();
