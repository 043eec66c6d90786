// Run in each page by browsercheck.sideways (asynchronously: the last argument is the callback): each chart
// that scrolls inside its own box, and each chart with a phone layout whose image the browser did not take
// from it on a screen that the layout's media query matches. Lazy images are loaded first.
const done = arguments[arguments.length - 1];
const images = Array.from(document.querySelectorAll('.cscbook-figure img'));
images.forEach(img => { img.loading = 'eager'; });
Promise.all(images.map(img => img.decode().catch(() => null))).then(() => {
  const found = [];
  document.querySelectorAll('.cscbook-figure').forEach((box, n) => {
    if (box.scrollWidth > box.clientWidth + 1) found.push(`chart ${n + 1} scrolls sideways in its box`);
    const source = box.querySelector('picture source');
    const img = box.querySelector('img');
    if (source && img && window.matchMedia(source.media).matches) {
      const wanted = new URL(source.srcset, document.baseURI).href;
      if (img.currentSrc !== wanted) found.push(`chart ${n + 1} shows ${img.currentSrc.split('/').pop()}, not its phone layout`);
    }
  });
  done(found);
});
