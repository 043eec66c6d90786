// Run in the one-page book before Chromium prints it (pdf.py, through selenium's execute_async_script): waits
// for every image to load or fail, then for the fonts, so that the PDF holds every chart.
const done = arguments[arguments.length - 1];
const pending = Array.from(document.images)
  .filter(i => !i.complete)
  .map(i => new Promise(r => { i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true}); }));
Promise.all(pending).then(() => document.fonts.ready).then(() => done(true));
