// What a reader would notice is wrong with a page as laid out now, at any size and in print: a
// page wider than the screen, anything past the screen's edge outside a marked scroll area, a
// control out of reach sideways (even inside a scroll area), a word broken inside a table cell,
// Latin text outside a short list of terms, tap targets under 44 px on a phone. Shared by every
// test that looks at a page (`layoutProblems(page, { phone })`).

// Latin letters a Russian reader expects to see: file formats and the paper size. Roman numerals
// number quarters and halves («II квартал 2026»).
export const LATIN_ALLOWED = ['XLSX', 'CSV', 'PDF', 'A4'];

/**
 * Every problem of the page as laid out now. `phone` adds the 44 px tap targets; `print` (a page
 * emulating print at the printable width) leaves out what only a screen has (tap targets,
 * controls, which print hides).
 */
export async function layoutProblems(page, { phone = false, print = false } = {}) {
  return page.evaluate(({ phone, print, allowed }) => {
    const problems = [];
    const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    const inScrollArea = (el) => {
      for (let p = el.parentElement; p; p = p.parentElement) if (scrolls(p)) return true;
      return false;
    };
    // A deliberate sideways scroll area is marked: a data table's frame (`.table-wrap`), which keeps
    // its first column in sight. Anything else that scrolls sideways is an accident.
    const markedScrollArea = (el) => {
      for (let p = el.parentElement; p; p = p.parentElement) if (scrolls(p) && p.matches('.table-wrap')) return p;
      return null;
    };
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    const name = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : ''} «${(el.textContent || '').trim().slice(0, 40)}»`;
    const doc = document.documentElement;
    const width = doc.clientWidth;
    if (doc.scrollWidth > width + 1) problems.push(`the page scrolls sideways: ${doc.scrollWidth} > ${width}`);
    const all = [...document.querySelectorAll('body *')].filter((el) => !el.closest('svg') && visible(el));
    for (const el of all) {
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      // Past the screen's edge (inline boxes too: a badge that never wraps) outside a marked scroll area.
      if ((r.right > width + 1 || r.left < -1) && !markedScrollArea(el) && s.position !== 'fixed') {
        problems.push(`past the screen's edge: ${name(el)} ${Math.round(r.left)}…${Math.round(r.right)} of ${width}`);
      }
      if (s.display.startsWith('inline') && el.tagName !== 'BUTTON' && el.tagName !== 'A') continue;
      if (scrolls(el) || inScrollArea(el) || s.overflowX === 'hidden' || s.position === 'absolute') continue;
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) problems.push(`wider than its box: ${name(el)} ${el.scrollWidth} > ${el.clientWidth}`);
      const parent = el.parentElement;
      if (parent && parent !== document.body && !scrolls(parent)) {
        const p = parent.getBoundingClientRect();
        if (r.right > p.right + 1.5 && getComputedStyle(parent).display !== 'inline') problems.push(`sticks out of its container: ${name(el)} by ${Math.round(r.right - p.right)} px`);
      }
    }
    // A scroll area of its own that is not marked: content hidden sideways by accident.
    for (const el of all) {
      if (scrolls(el) && !el.matches('.table-wrap') && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`scrolls sideways without being a marked scroll area: ${name(el)} ${el.scrollWidth} > ${el.clientWidth}`);
      }
    }
    // At a desk, tables are read whole; only deliberate matrices scroll sideways.
    if (!phone && !print) {
      for (const wrap of document.querySelectorAll('.table-wrap:not(.matrix)')) {
        if (visible(wrap) && wrap.scrollWidth > wrap.clientWidth + 1) problems.push(`a table needs sideways scrolling at a desk: ${name(wrap)} ${wrap.scrollWidth} > ${wrap.clientWidth}`);
      }
    }
    if (!print) {
      // Every control within reach without scrolling sideways, in a scroll area or not.
      for (const el of document.querySelectorAll('a, button, select, input, textarea, summary')) {
        if (!visible(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.left < -1 || r.right > width + 1) problems.push(`a control off-screen sideways: ${name(el)} ${Math.round(r.left)}…${Math.round(r.right)} of ${width}`);
      }
    }
    if (phone && !print) {
      for (const el of document.querySelectorAll('a, button, select, input, textarea, summary')) {
        if (!visible(el)) continue;
        let target = el;
        if (el.tagName === 'INPUT' && ['checkbox', 'radio'].includes(el.type)) target = el.closest('label') ?? el;
        const r = target.getBoundingClientRect();
        if (r.height < 44 - 0.5) problems.push(`a tap target under 44 px: ${name(target)} ${Math.round(r.height)} px`);
      }
    }
    // A word in a table cell on more than one line: «Пре дме тны е». A word is cut where a line may
    // break within it (after a hyphen, a slash or a dash); each piece must be on one line.
    const broken = new Set();
    for (const cell of document.querySelectorAll('td, th')) {
      if (!visible(cell)) continue;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        // Text for screen readers only (a label clipped to a pixel) is not read on the page.
        let hidden = false;
        for (let el = node.parentElement; el && el !== cell.parentElement; el = el.parentElement) {
          const box = el.getBoundingClientRect();
          if (box.width <= 2 || box.height <= 2) hidden = true;
        }
        if (hidden) continue;
        const text = node.textContent;
        for (const m of text.matchAll(/[^\s\-–—\/]+[\-–—\/]?/g)) {
          if (m[0].length < 2) continue;
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].filter((q) => q.width > 0.5).map((q) => Math.round(q.top)));
          if (lines.size > 1) broken.add(m[0]);
        }
      }
    }
    if (broken.size) problems.push(`words broken across lines in table cells (${broken.size}): ${[...broken].slice(0, 12).join(', ')}`);
    // Latin text: any run of Latin letters (one is enough: «2026-Q2»), but the allowed terms and
    // Roman numerals.
    const latin = (document.body.innerText.match(/[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*/g) ?? [])
      .map((w) => w.replace(/^\d+/, ''))
      .filter((w) => !allowed.includes(w) && !/^[IVX]+$/.test(w));
    if (latin.length) problems.push(`Latin text on the page: ${[...new Set(latin)].join(', ')}`);
    return problems;
  }, { phone, print, allowed: LATIN_ALLOWED });
}
