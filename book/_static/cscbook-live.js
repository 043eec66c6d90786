// Draws each interactive chart of the page (a div.cscbook-live holding its Vega-Lite specification as JSON)
// with vega-embed from vega-bundle.js, served by the site itself. The static figure above each chart
// stays, so a reader without JavaScript, or a printed page, loses nothing.
document.addEventListener("DOMContentLoaded", () => {
  for (const block of document.querySelectorAll("div.cscbook-live")) {
    const target = block.querySelector(".cscbook-live-chart");
    const spec = JSON.parse(block.querySelector("script.cscbook-live-spec").textContent);
    if (typeof window.vegaEmbed !== "function") {
      target.textContent = "The interactive chart needs its script (vega-bundle.js), which did not load.";
      continue;
    }
    window.vegaEmbed(target, spec, { actions: false, renderer: "svg" })
      .then(() => block.classList.add("cscbook-live-drawn"))
      .catch((err) => { target.textContent = "The interactive chart could not be drawn: " + err.message; });
  }
});
