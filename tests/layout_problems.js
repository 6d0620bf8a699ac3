// What a reader would call a broken layout, found from the element boxes of the page as drawn.
// Evaluated by tests/webapp/test_browser.py in headless Chromium; returns a list of plain-text problems.
//
// 1. The page scrolls sideways (something is wider than the window).
// 2. Text cut by its own box: an element that clips (overflow hidden/clip or an ellipsis) and whose
//    text is wider than the box, e.g. a metric "55.9%" drawn as "55.".
// 3. Two pieces of text drawn over each other: text boxes (from Range.getClientRects, so the box is
//    the text's, not its element's) of different elements that intersect by more than a few pixels.
// 4. In a plotly chart: text (tick labels, legend, annotations, bar labels) over other text of the
//    same chart, or outside the chart's own box.
() => {
  const TOLERANCE = 3; // px of overlap forgiven (anti-aliasing, line boxes that touch)
  const problems = [];
  const short = (text) => text.replace(/\s+/g, " ").trim().slice(0, 40);
  const shown = (el) => {
    if (el.checkVisibility && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })) return false;
    const closed = el.closest("details:not([open])");
    if (closed && !el.closest("summary")) return false;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === "none" || style.visibility === "hidden" || parseFloat(style.opacity) === 0) return false;
    }
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > TOLERANCE &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > TOLERANCE;
  // Inside a box that scrolls (a table, a code block, a scrolled tab list), text hidden by scrolling is not cut.
  const scrolled = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (["auto", "scroll"].includes(style.overflowX) || ["auto", "scroll"].includes(style.overflowY)) {
        if (node !== document.documentElement && node !== document.body && !node.matches('[data-testid="stMain"], [data-testid="stSidebarContent"], [data-testid="stAppViewContainer"], [data-testid="stSidebarUserContent"]')) return node;
      }
    }
    return null;
  };
  const roots = [...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]')];
  const ignored = '[data-testid="stTooltipContent"], [data-testid="stDataFrame"], [data-testid="stTable"], [data-testid="stCode"], pre, code, .js-plotly-plot, [data-testid="stToolbar"], [data-testid="stElementToolbar"], [data-testid="stSidebarCollapseButton"], [data-testid="stExpanderToggleIcon"], [data-testid="stIconMaterial"], [data-baseweb="tooltip"], [data-baseweb="popover"]';

  // 1. The page scrolls sideways.
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) problems.push(`the page is ${page.scrollWidth}px wide in a ${window.innerWidth}px window`);
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (main && main.scrollWidth > main.clientWidth + 1) problems.push(`the main block's content is ${main.scrollWidth}px wide in ${main.clientWidth}px`);

  // Text boxes of every element that holds text itself.
  const texts = [];
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || !el || el.closest(ignored) || !shown(el)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) {
        // Off the window sideways (a collapsed sidebar) is not drawn.
        if (rect.width > 1 && rect.height > 1 && rect.right > 0 && rect.left < window.innerWidth) {
          texts.push({ el, rect, text: node.textContent, root });
        }
      }
    }
  }

  // 2. Text cut by its own box.
  const reported = new Set();
  for (const { el, rect, text } of texts) {
    if (scrolled(el)) continue;
    for (let node = el; node && !roots.includes(node); node = node.parentElement) {
      const style = getComputedStyle(node);
      const clips = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
      if (!clips) continue;
      const box = node.getBoundingClientRect();
      if (rect.right > box.right + 1 || rect.left < box.left - 1 || node.scrollWidth > node.clientWidth + 1) {
        if (!reported.has(node)) problems.push(`text cut: "${short(node.innerText || text)}" (${Math.round(node.scrollWidth)}px of text in ${Math.round(node.clientWidth)}px)`);
        reported.add(node);
      }
      break;
    }
  }

  // 3. Text over text.
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i], b = texts[j];
      // Only within one scrolling root: the sidebar and the main block scroll apart.
      if (a.root !== b.root || a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      if (overlap(a.rect, b.rect)) problems.push(`text over text: "${short(a.text)}" and "${short(b.text)}"`);
    }
  }

  // 4. Plotly charts: text over text, text outside the chart.
  for (const plot of document.querySelectorAll(".js-plotly-plot")) {
    if (!shown(plot)) continue;
    const frame = plot.getBoundingClientRect();
    const chart = plot.closest('[class*="st-key-"]')?.className.match(/st-key-(\S+)/)?.[1] ?? "a chart";
    const labels = [...plot.querySelectorAll("svg text")]
      .filter((t) => t.textContent.trim() && !t.closest(".hoverlayer, .modebar, .infolayer .g-gtitle:empty") && shown(t))
      .map((t) => ({ t, rect: t.getBoundingClientRect(), text: t.textContent }))
      .filter(({ rect }) => rect.width > 1 && rect.height > 1);
    for (const { rect, text } of labels) {
      if (rect.left < frame.left - 2 || rect.right > frame.right + 2 || rect.top < frame.top - 2 || rect.bottom > frame.bottom + 2) {
        problems.push(`${chart}: text outside the chart: "${short(text)}"`);
      }
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i], b = labels[j];
        if (a.t.contains(b.t) || b.t.contains(a.t)) continue;
        if (overlap(a.rect, b.rect)) problems.push(`${chart}: text over text: "${short(a.text)}" and "${short(b.text)}"`);
      }
    }
  }
  return [...new Set(problems)];
}
