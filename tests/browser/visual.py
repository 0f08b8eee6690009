"""What the rendered page looks like, measured in the browser: contrast of control borders and
focus indicators (WCAG 2.2: 3:1 against what is around them), and the size of touch targets."""

from __future__ import annotations

# Colour helpers shared by the measurements below (run in the page).
_COLOURS = """
const rgb = (text) => (text.match(/[0-9.]+/g) || [255, 255, 255]).slice(0, 4).map(Number);
const luminance = ([r, g, b]) => {
  const c = [r, g, b].map((v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
};
const ratio = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
const behind = (element) => {  // the first opaque background at or above the element
  for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour.length < 4 || colour[3] > 0) return colour.slice(0, 3);
  }
  return [255, 255, 255];
};
const visible = (el) => {
  const r = el.getBoundingClientRect();
  return r.width > 2 && r.height > 2 && getComputedStyle(el).visibility !== "hidden";
};
"""

BORDERS_JS = "() => {" + _COLOURS + """
  const found = [];
  const controls = document.querySelectorAll(
    "input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, "
    + ".yn-option, .option:not(.checkbox .option)");
  controls.forEach((el) => {
    if (!visible(el)) return;
    const style = getComputedStyle(el);
    if (parseFloat(style.borderTopWidth) === 0) return;
    found.push({control: el.id || el.className || el.tagName,
                ratio: ratio(rgb(style.borderTopColor), behind(el.parentElement))});
  });
  return found;
}"""

FOCUS_JS = "() => {" + _COLOURS + """
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const width = style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
  return {control: el.id || el.name || el.textContent.trim().slice(0, 30) || el.tagName,
          width, ratio: ratio(rgb(style.outlineColor), behind(el.parentElement))};
}"""

TARGETS_JS = """() => {
  const small = [];
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  document.querySelectorAll(selector).forEach((el) => {
    if (el.closest("[aria-hidden=true]") || el.getAttribute("tabindex") === "-1") return;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return;  // not shown
    const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
    if (label) {  // a label is part of its control's target
      const l = label.getBoundingClientRect();
      const left = Math.min(box.left, l.left), top = Math.min(box.top, l.top);
      box = {width: Math.max(box.right, l.right) - left,
             height: Math.max(box.bottom, l.bottom) - top};
    }
    if (box.width < 43.5 || box.height < 43.5) {
      small.push({control: el.id || el.textContent.trim().slice(0, 30) || el.tagName,
                  width: Math.round(box.width), height: Math.round(box.height)});
    }
  });
  return small;
}"""


def border_contrasts(page) -> list[dict]:
    """Every visible control's border colour against the background it sits on."""
    return page.evaluate(BORDERS_JS)


def focus_contrasts(page, steps: int = 80) -> list[dict]:
    """Tab through the page: for each control reached, its focus outline's width and contrast
    against the background around it."""
    seen = []
    page.locator("body").focus()
    for _ in range(steps):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUS_JS)
        if found is None or (seen and found["control"] == seen[0]["control"]):
            break
        seen.append(found)
    return seen


def small_targets(page) -> list[dict]:
    """Controls whose target (with their label) is smaller than 44 by 44 CSS pixels."""
    return page.evaluate(TARGETS_JS)
