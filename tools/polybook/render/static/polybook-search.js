/* polybook: a search query split as the index was (render/search.py), and excerpts of the text.
 *
 * Chinese and Japanese: overlapping character pairs, as the index holds them.
 * Korean: the index holds Kiwi's words without particles; a query word the index lacks is cut
 * into words it holds (the fewest pieces), a particle or ending at its end dropped:
 * 텐서를 → 텐서, 경사하강법 → 경사 하강법.
 */
(() => {
  "use strict";
  const CJK = /[\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/gu;
  const HANGUL = /[\uac00-\ud7a3]/u;
  /* Korean particles and endings a reader may type after a word (longest first). */
  const KO_TAILS = [
    "으로부터", "에서부터", "이라고", "에서는", "에게서", "으로는", "으로서", "으로써",
    "이라는", "입니다", "합니다", "에서", "에게", "으로", "부터", "까지", "처럼", "보다",
    "이나", "이란", "라는", "하는", "하기", "하여", "해서", "에는", "와의", "과의", "이다",
    "은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만", "나", "란",
    "하", "한", "할", "된", "적",
  ];

  const bigrams = (text) => {
    const found = [];
    for (const run of text.match(CJK) || []) {
      if (run.length === 1) found.push(run);
      for (let i = 0; i + 1 < run.length; i++) found.push(run.slice(i, i + 2));
    }
    return found;
  };

  const vocabulary = () => {
    const index = typeof Search !== "undefined" ? Search._index : null;
    return index ? { ...index.terms, ...index.titleterms } : {};
  };

  /* `word` as the fewest words of the index, a particle or ending allowed at the end. */
  const koreanPieces = (word, words) => {
    if (words.hasOwnProperty(word)) return [word];
    const best = new Array(word.length + 1).fill(null);
    best[0] = [];
    for (let end = 1; end <= word.length; end++) {
      for (let start = 0; start < end; start++) {
        if (best[start] === null) continue;
        const piece = word.slice(start, end);
        let next = null;
        if (words.hasOwnProperty(piece)) next = [...best[start], piece];
        else if (end === word.length && start > 0 && KO_TAILS.includes(piece)) next = best[start];
        if (next !== null && (best[end] === null || next.length < best[end].length)) best[end] = next;
      }
    }
    const found = best[word.length];
    return found && found.length ? found : [word];
  };

  const language = document.documentElement.lang || "";
  window.polybookSplitQuery = (query) => {
    const terms = query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter((t) => t);
    const words = language.startsWith("ko") ? vocabulary() : null;
    const out = [];
    for (const term of terms) {
      if (/^(zh|ja)/.test(language) && term.match(CJK)) {
        out.push(...bigrams(term), ...(term.replace(CJK, " ").match(/[A-Za-z0-9_]{2,}/g) || []));
      } else if (words && HANGUL.test(term)) {
        out.push(...koreanPieces(term.toLowerCase(), words));
      } else out.push(term);
    }
    return out;
  };

  /* An excerpt is the page's own text: not the theme's buttons, the language line, the
   * download menu, tab names, or the LaTeX source of its equations. */
  const REMOVE = [
    ".headerlink", "script", "style", ".no-search", '[role="tablist"]', ".math",
    "mjx-container", ".MathJax", ".polybook-stderr", '[role="tabpanel"][hidden]',
  ].join(",");
  const install = () => {
    if (typeof Search === "undefined") return;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(REMOVE).forEach((el) => el.remove());
      const body = doc.querySelector("article.bd-article") || doc.querySelector('[role="main"]');
      if (!body) return "";
      const part = anchor ? body.querySelector(anchor) : null;
      return (part || body).textContent.replace(/\s+/g, " ");
    };
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", install);
  else install();
})();
