// Run in each page by browsercheck.sideways: does the page body scroll sideways at this width? A table or a
// chart may scroll inside its own box (overflow-x auto or scroll); anything else wider than the window is
// named, the widest first.
const root = document.documentElement;
const width = root.clientWidth;
const scrolls = el => {
  for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
    const o = getComputedStyle(e).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
  }
  return false;
};
const wide = Array.from(document.querySelectorAll('main *, article *'))
  .filter(el => el.getBoundingClientRect().right > width + 1 && !scrolls(el))
  .map(el => ({
    what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : el.classList.length ? '.' + el.classList[0] : ''),
    right: Math.round(el.getBoundingClientRect().right),
  }))
  .sort((a, b) => b.right - a.right);
return {scroll: root.scrollWidth, width: width, wide: wide.slice(0, 3)};
