// metrotrack's only script: the copy button, and upload progress for large files.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var label = button.textContent;
      var done = function () {
        button.textContent = label + " ✓";
        setTimeout(function () { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, function () {
          source.select(); document.execCommand("copy"); done();
        });
      } else {
        source.select(); document.execCommand("copy"); done();
      }
    });
  });

  var form = document.getElementById("upload-form");
  var file = document.getElementById("file");
  var bar = document.getElementById("upload-progress");
  if (form && file && bar && window.XMLHttpRequest && window.FormData) {
    form.addEventListener("submit", function (event) {
      var f = file.files && file.files[0];
      if (!f || f.size < 1024 * 1024) return; // small files: a plain submit
      event.preventDefault();
      bar.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener("load", function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.send(new FormData(form));
    });
  }
});
