// vega-bundle.js: Vega, Vega-Lite and vega-embed as vl-convert-python bundles them (cscbook.present.interactive
// writes it into the site's _static), inside a function so that the bundle's top-level names stay its own.
// It sets window.vegaEmbed, which cscbook-live.js calls.
(function () {
/* BUNDLE */
})();
