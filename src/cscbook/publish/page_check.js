// Run in each page by the browser check (browsercheck.py, through selenium's execute_async_script):
// makes lazy images load, scrolls to the bottom, waits for every image to finish or fail, then reports
// images, article headings, contrast samples and the synthetic-data banner.
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
window.scrollTo(0, document.documentElement.scrollHeight);
const pending = imgs.filter(i => !i.complete).map(i => new Promise(r => {
  i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true});
}));
Promise.race([Promise.all(pending), new Promise(r => setTimeout(r, 10000))]).then(() => {
  window.scrollTo(0, 0);
  const article = document.querySelector('article.bd-article') || document.querySelector('article')
    || document.querySelector('main') || document.body;
  const short = t => (t || '').replace(/\s+/g, ' ').trim().slice(0, 50);
  const describe = el => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    else if (el.classList.length) d += '.' + Array.from(el.classList).slice(0, 2).join('.');
    return d;
  };
  const images = imgs.map(i => ({
    src: (i.getAttribute('src') || '').slice(0, 80), ok: i.complete && i.naturalWidth > 0,
    alt: (i.getAttribute('alt') || '').trim(), inArticle: article.contains(i),
    desc: describe(i), cls: i.className || '',
  }));
  const headings = Array.from(article.querySelectorAll('h1, h2, h3, h4, h5, h6'))
    .map(h => ({level: Number(h.tagName[1]), text: short(h.textContent)}));
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = c => {
    const m = /^rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)$/.exec(c);
    if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
    // Other colour syntaxes (oklch(), color(), ...) are converted by drawing one pixel.
    ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = 'rgba(0, 0, 0, 0)'; ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255];
  };
  const visible = el => {
    if (!el.getClientRects().length) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) > 0;
  };
  const pick = (list, n) => {
    list = list.filter(el => visible(el) && el.textContent.trim());
    if (list.length <= n) return list;
    const step = list.length / n; return Array.from({length: n}, (_, k) => list[Math.floor(k * step)]);
  };
  const groups = [
    ['paragraph', Array.from(article.querySelectorAll('p')), 9],
    ['link', Array.from(document.querySelectorAll('a[href]')), 9],
    ['table cell', Array.from(article.querySelectorAll('td, th')), 6],
    ['caption', Array.from(document.querySelectorAll('figcaption, caption, .caption-text')), 3],
    ['admonition title', Array.from(document.querySelectorAll('.admonition-title')), 3],
    ['announcement', Array.from(document.querySelectorAll('.bd-header-announcement__content')), 1],
  ];
  const contrast = [];
  for (const [kind, list, n] of groups) {
    for (const el of pick(list, n)) {
      const layers = [];
      for (let a = el; a; a = a.parentElement) {
        const c = rgba(getComputedStyle(a).backgroundColor);
        if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
      }
      contrast.push({kind, desc: describe(el), text: short(el.textContent),
                     fg: rgba(getComputedStyle(el).color), layers});
    }
  }
  const announce = Array.from(document.querySelectorAll('.bd-header-announcement'))
    .some(e => /synthetic/i.test(e.textContent));
  const admonition = Array.from(document.querySelectorAll('.admonition .admonition-title'))
    .some(e => e.textContent.replace(/\s+/g, ' ').trim().toLowerCase() === 'synthetic data');
  done({images, headings, contrast, banner: announce || admonition});
});
