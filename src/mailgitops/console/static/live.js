// Live preview: after a pause in typing, post the editor to the preview frame (the same as
// pressing "Preview"). Served as a file, so the page's policy needs no inline script.
(function () {
  var form = document.getElementById("editor");
  var button = document.getElementById("preview-button");
  if (!form || !button) { return; }
  var timer = null;
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { form.requestSubmit(button); }, 600);
  });
})();
