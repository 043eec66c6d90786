// The search box of the authority profiles' index (book/profiles/index): filters the table as the
// visitor types. Added to that page only, by book/_ext/cscbook_sphinx.py.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("profile-search");
  var table = document.getElementById("profile-list");
  var count = document.getElementById("profile-count");
  if (!box || !table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  function filter() {
    var q = box.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var hit = row.textContent.toLowerCase().indexOf(q) !== -1;
      row.style.display = hit ? "" : "none";
      if (hit) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " authorities";
  }
  box.addEventListener("input", filter);
  var asked = new URLSearchParams(window.location.search).get("q");  // from the home page's box
  if (asked) { box.value = asked; }
  filter();
});
