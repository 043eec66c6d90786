// The home page's "find your council" box (book/intro): a council, a district, a former district or a former
// council, as listed, goes to the council's profile (a former council split in two offers both). Case, full
// stops, apostrophes, hyphens and "&" do not matter; when nothing matches, the nearest names are offered.
// Added to that page only, by book/_ext/cscbook_sphinx.py. The matching is cscbookFind.find, which the tests
// run in Node.
(function (root) {
  "use strict";
  function norm(s) {
    return String(s).toLowerCase().replace(/&/g, " and ").replace(/\bsaint\b/g, "st")
      .replace(/[^a-z0-9]+/g, " ").trim();
  }
  function base(value) { return value.split(" (")[0]; }
  function distance(a, b) {  // Levenshtein's edit distance
    var prev = [], cur, i, j;
    for (j = 0; j <= b.length; j += 1) { prev.push(j); }
    for (i = 1; i <= a.length; i += 1) {
      cur = [i];
      for (j = 1; j <= b.length; j += 1) {
        cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
      }
      prev = cur;
    }
    return prev[b.length];
  }
  function unique(found) {
    var seen = {};
    return found.filter(function (o) { if (seen[o.code]) { return false; } seen[o.code] = true; return true; });
  }
  // options: [{value, code, name}] (name: the council's own name); returns {how, found} with one option per
  // council: how is "exact", "begins" or "nearest" (the three nearest names, when nothing else matched).
  function find(query, options) {
    var q = norm(query);
    if (!q) { return {how: "none", found: []}; }
    var exact = options.filter(function (o) { return norm(base(o.value)) === q || norm(o.value) === q; });
    if (exact.length) { return {how: "exact", found: unique(exact)}; }
    var begins = options.filter(function (o) { return norm(base(o.value)).indexOf(q) === 0; });
    if (begins.length) { return {how: "begins", found: unique(begins)}; }
    var scored = options.map(function (o) {
      var n = norm(base(o.value));
      return {o: o, d: Math.min(distance(q, n), distance(q, n.slice(0, q.length)) + 1)};
    }).sort(function (a, b) { return a.d - b.d || a.o.value.localeCompare(b.o.value); });
    return {how: "nearest", found: unique(scored.map(function (s) { return s.o; })).slice(0, 3)};
  }
  root.cscbookFind = {norm: norm, find: find};

  if (typeof document === "undefined") { return; }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("find-council");
    var box = document.getElementById("find-council-name");
    var note = document.getElementById("find-council-note");
    if (!form || !box) { return; }
    var options = Array.prototype.slice.call(form.querySelectorAll("datalist option")).map(function (o) {
      return {value: o.value, code: o.getAttribute("data-code"), name: o.getAttribute("data-name") || o.value};
    });
    function say(words, found) {
      note.textContent = words + " ";
      found.forEach(function (o, i) {
        var a = document.createElement("a");
        a.href = "profiles/" + o.code + ".html";
        a.textContent = o.name;
        if (i) { note.appendChild(document.createTextNode(i === found.length - 1 ? " or " : ", ")); }
        note.appendChild(a);
      });
      note.appendChild(document.createTextNode("."));
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var r = find(box.value, options);
      if (!r.found.length) { return; }
      if (r.how !== "nearest" && r.found.length === 1) {
        window.location.href = "profiles/" + r.found[0].code + ".html";
      } else if (r.how === "nearest") {
        say("No council or district is called \u201c" + box.value.trim() + "\u201d. The nearest:", r.found);
      } else {
        say(r.found.length + " councils match:", r.found);
      }
    });
  });
}(typeof window !== "undefined" ? window : globalThis));
