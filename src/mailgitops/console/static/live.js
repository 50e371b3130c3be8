// Live preview: after a pause in typing, post the editor to the preview frame (the same as
// pressing "Preview"). Served as a file, so the page's policy needs no inline script.
// Typed text is also kept in this tab (sessionStorage, per draft and version) until it is saved:
// after a session that ended, a reload or a page left by mistake the same draft puts it back.
(function () {
  var out = document.querySelector('form[action="/sign-out"]');
  if (out) {  // signing out forgets every draft's typing kept in this tab
    out.addEventListener("submit", function () {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var k = sessionStorage.key(i);
        if (k && k.indexOf("mailgitops-typed:") === 0) { sessionStorage.removeItem(k); }
      }
    });
  }
  var form = document.getElementById("editor");
  var button = document.getElementById("preview-button");
  if (!form || !button) { return; }
  var timer = null;
  var names = ["subject", "message", "cc"];
  // by the draft's own address: after a sign-in the editor comes back at /sign-in
  var prefix = "mailgitops-typed:" + form.getAttribute("action").replace(/\/save$/, "") + ":";
  var key = prefix + (form.elements.version ? form.elements.version.value : "");

  function preview() { form.requestSubmit(button); }

  function values() {
    var out = {};
    names.forEach(function (n) { if (form.elements[n]) { out[n] = form.elements[n].value; } });
    return out;
  }

  function forgetOthers() {  // a saved (or someone else's) version makes older typing stale
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var k = sessionStorage.key(i);
      if (k && k.indexOf(prefix) === 0 && k !== key) { sessionStorage.removeItem(k); }
    }
  }

  function restore() {
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { kept = null; }
    // a refused form comes back with the typing already in the editor: the preview shows it too
    // (once the frame has loaded the stored email: a submission before that is dropped)
    if (document.querySelector(".problem")) { window.addEventListener("load", preview); return; }
    if (!kept) { return; }
    var changed = false;
    names.forEach(function (n) {
      var field = form.elements[n];
      if (field && typeof kept[n] === "string" && kept[n] !== field.value) { field.value = kept[n]; changed = true; }
    });
    if (!changed) { sessionStorage.removeItem(key); return; }
    var note = document.createElement("p");
    note.className = "notice";
    note.setAttribute("role", "status");
    note.id = "restored";
    note.textContent = form.getAttribute("data-restored") + " ";
    var undo = document.createElement("button");
    undo.type = "button";
    undo.textContent = form.getAttribute("data-forget");
    undo.addEventListener("click", function () { sessionStorage.removeItem(key); location.reload(); });
    note.appendChild(undo);
    form.insertBefore(note, form.firstChild);
    window.addEventListener("load", preview);  // the preview shows the text put back
  }

  // the CC field's addresses, split as the server splits them (console/drafting.py cc_addresses):
  // entries between commas, semicolons or line breaks outside "quotes" and <angle brackets>, an
  // entry of several words each with an @ being several addresses; `Boss <boss@example.net>` is
  // the address alone (the draft keeps no names)
  function ccAddresses(text) {
    var out = [];
    (text.match(/(?:"[^"]*"?|<[^>]*>?|[^,;\n"<])+/g) || []).forEach(function (part) {
      var words = part.split(/\s+/).filter(function (w) { return w; });
      if (words.length > 1 && part.indexOf("<") < 0 &&
          words.every(function (w) { return w.indexOf("@") >= 0; })) {
        out = out.concat(words);
      } else if (words.length) {
        var entry = words.join(" "), named = entry.match(/^(?:"[^"]*"|[^"<>]*?)\s*<([^<>\s]+)>$/);
        out.push(named ? named[1] : entry);
      }
    });
    return out;
  }

  // the Send confirmation names the CC the editor holds: the tick confirms what is sent
  var cc = form.elements.cc, shownCc = document.getElementById("confirm-cc"),
      confirmedCc = document.getElementById("confirmed-cc");
  function confirmCc() {
    if (!cc || !shownCc || !confirmedCc) { return; }
    var list = ccAddresses(cc.value).join(", ");
    shownCc.textContent = list || shownCc.getAttribute("data-none");
    confirmedCc.value = list;
  }

  forgetOthers();
  restore();
  confirmCc();
  if (cc) { cc.addEventListener("input", confirmCc); }
  form.addEventListener("input", function () {
    try { sessionStorage.setItem(key, JSON.stringify(values())); } catch (e) { /* full or off: no keeping */ }
    clearTimeout(timer);
    timer = setTimeout(preview, 600);
  });
})();
