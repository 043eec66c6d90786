// Run in each page by the browser check (browsercheck.py, through selenium's execute_async_script):
// makes lazy images load, scrolls to the bottom, waits for every image to finish or fail, then reports
// the images and the synthetic-data banner (accessibility is axe-core's, see axe_run.js).
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
window.scrollTo(0, document.documentElement.scrollHeight);
const pending = imgs.filter(i => !i.complete).map(i => new Promise(r => {
  i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true});
}));
Promise.race([Promise.all(pending), new Promise(r => setTimeout(r, 10000))]).then(() => {
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
  done({images, banner: announce || admonition});
});
