// Run in each page by the browser check (browsercheck.py, through selenium's execute_async_script),
// after axe-core itself: the page's violations of axe's rules, each with its impact, help text, how
// many elements break it and the first three of them (as CSS selectors).
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }))))
  .catch(e => done({error: String(e)}));
