// Run in each page by the browser check (browsercheck.py, through selenium's execute_async_script):
// makes lazy images load, scrolls to the bottom, waits for every image to finish or fail, then reports
// the images, the interactive charts (each div.cscbook-live drawn by cscbook-live.js within the wait) and the
// synthetic-data banner, and each paragraph of running text drawn bold as a whole (accessibility is
// axe-core's, see axe_run.js).
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
window.scrollTo(0, document.documentElement.scrollHeight);
const pending = imgs.filter(i => !i.complete).map(i => new Promise(r => {
  i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true});
}));
const charts = Array.from(document.querySelectorAll('div.cscbook-live'));
const drawn = () => charts.every(c => c.classList.contains('cscbook-live-drawn'));
const chartsDrawn = new Promise(r => {
  const poll = () => (drawn() ? r() : setTimeout(poll, 50));
  poll();
});
Promise.race([Promise.all([...pending, chartsDrawn]), new Promise(r => setTimeout(r, 10000))]).then(() => {
  window.scrollTo(0, 0);
  const describe = el => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    else if (el.classList.length) d += '.' + Array.from(el.classList).slice(0, 2).join('.');
    return d;
  };
  const images = imgs.map(i => ({
    src: (i.getAttribute('src') || '').slice(0, 80), ok: i.complete && i.naturalWidth > 0,
    desc: describe(i),
  }));
  const announce = Array.from(document.querySelectorAll('.bd-header-announcement'))
    .some(e => /synthetic/i.test(e.textContent));
  const admonition = Array.from(document.querySelectorAll('.admonition .admonition-title'))
    .some(e => e.textContent.replace(/\s+/g, ' ').trim().toLowerCase() === 'synthetic data');
  const live = charts.map(c => ({
    label: c.getAttribute('aria-label') || '', drawn: c.classList.contains('cscbook-live-drawn'),
    note: c.querySelector('.cscbook-live-chart').textContent.slice(0, 120),
  }));
  // a paragraph of a dozen words or more whose text is nearly all bold (a heading-like lead-in is not)
  const bold = Array.from(document.querySelectorAll('main p, article p'))
    .filter(p => !p.closest('table, figcaption, .admonition-title, nav, header, footer'))
    .map(p => {
      const walk = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
      let all = 0, heavy = 0;
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const k = n.textContent.replace(/\s+/g, '').length;
        all += k;
        if (parseInt(getComputedStyle(n.parentElement).fontWeight, 10) >= 600) heavy += k;
      }
      const words = p.textContent.trim().split(/\s+/).length;
      return {text: p.textContent.replace(/\s+/g, ' ').trim().slice(0, 80), bold: words >= 12 && heavy > 0.8 * all};
    })
    .filter(p => p.bold).map(p => p.text);
  done({images, live, banner: announce || admonition, bold});
});
