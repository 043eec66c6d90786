// The site search's scorer (Sphinx's searchtools.js takes a Scorer defined before it loads): Sphinx's own
// weights, and an authority's profile ranks below every chapter and appendix page, since each of the 153
// profiles repeats the same words ("funnel", "rate") and would otherwise fill the first screens of results.
// Added to the search page only, by book/_ext/cscbook_sphinx.py.
var Scorer = {
  score: function (result) {
    var docname = result[0], score = result[4];
    return /^book\/profiles\/(?!index$)/.test(docname) ? score - 1000 : score;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {0: 15, 1: 5, 2: -5},
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
