// Run in the printable book with print styles at the paper's width (pdf.fit_tables), before Chromium prints
// it: a table cell of a few words is kept on one line (a column is never squeezed to a word a line), and a
// table still wider than the page is scaled down to fit it (not below MIN, beyond which it is reported).
// Returns what still does not fit: each table wider than the page, and each cell of three words or more
// set one word a line.
const MIN = 0.4;
const width = document.documentElement.clientWidth;
const found = [];
document.querySelectorAll('table').forEach((table, n) => {
  const caption = (table.closest('figure')?.querySelector('figcaption')?.textContent || '')
    .replace(/\s+/g, ' ').trim().slice(0, 60);
  const where = `table ${n + 1}${caption ? ' (' + caption + ')' : ''}`;
  const cells = Array.from(table.querySelectorAll('td, th'));
  cells.forEach(cell => {
    const text = cell.textContent.trim();
    if (text.split(/\s+/).length <= 4 && text.length <= 32) {
      [cell, ...cell.querySelectorAll('*')].forEach(e => { e.style.whiteSpace = 'nowrap'; });
    } else cell.style.minWidth = '11em'; // a longer text wraps, at a few words a line
  });
  for (let pass = 0; pass < 3; pass++) { // a zoomed table's columns settle again: measure and scale once more
    const box = table.getBoundingClientRect();
    const room = width - Math.max(0, box.left);
    if (box.width <= room) break;
    const zoom = parseFloat(table.style.zoom || '1');
    table.style.zoom = Math.max(MIN, Math.floor(zoom * (room / box.width) * 1000) / 1000);
  }
  const right = table.getBoundingClientRect().right;
  if (right > width + 1) found.push(`${where} runs ${Math.round(right - width)} px past the page`);
  cells.forEach(cell => {
    const words = cell.textContent.trim().split(/\s+/).filter(Boolean);
    if (words.length < 3 || cell.querySelector('br') || cell.querySelectorAll('p').length > 1) return; // broken on purpose
    const range = document.createRange();
    range.selectNodeContents(cell);
    // a new line starts below the last one (boxes of code or another size on one line overlap it)
    const rects = Array.from(range.getClientRects()).filter(r => r.width > 0).sort((a, b) => a.top - b.top);
    let lines = rects.length ? 1 : 0;
    for (let i = 1, bottom = rects[0]?.bottom; i < rects.length; i++) {
      if (rects[i].top >= bottom - 2) { lines += 1; bottom = rects[i].bottom; }
      else bottom = Math.max(bottom, rects[i].bottom);
    }
    if (lines >= words.length) found.push(`${where}: '${words.join(' ').slice(0, 40)}' is one word a line`);
  });
});
return found;
