// The home page's "find your council" box (book/intro): a council or a district name, as listed, goes to
// the council's profile. Added to that page only, by book/_ext/cscbook_sphinx.py.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("find-council");
  var box = document.getElementById("find-council-name");
  var note = document.getElementById("find-council-note");
  if (!form || !box) { return; }
  var options = Array.prototype.slice.call(form.querySelectorAll("datalist option"));
  function norm(s) { return s.trim().toLowerCase().replace(/\s+/g, " "); }
  function matches(q) {
    var exact = options.filter(function (o) {
      var v = norm(o.value);
      return v === q || v.split(" (a district of ")[0] === q;
    });
    if (exact.length) { return exact; }
    return options.filter(function (o) { return norm(o.value).indexOf(q) === 0; });
  }
  form.addEventListener("submit", function (event) {
    var q = norm(box.value);
    if (!q) { event.preventDefault(); return; }
    var found = matches(q);
    var codes = found.map(function (o) { return o.getAttribute("data-code"); })
      .filter(function (c, i, all) { return all.indexOf(c) === i; });
    if (codes.length === 1) {
      event.preventDefault();
      window.location.href = "profiles/" + codes[0] + ".html";
    } else if (codes.length > 1) {
      event.preventDefault();
      note.textContent = found.length + " councils begin so: choose one from the list.";
    }  // none: the form opens the profile index, filtered by what was typed
  });
});
