// Previous / Next over an API that pages by cursor: cursors[i] opens page i, and each answer's
// nextCursor says whether there is another.
import { h } from "./dom.js";

export function createPager(pageSize, onChange) {
  const cursors = [""];
  let page = 0;
  let nextCursor = null;
  const el = h("nav", { class: "pager", "aria-label": "Fleet pages" });

  function go(delta) {
    if (delta > 0) cursors[page + 1] = nextCursor;
    page += delta;
    onChange();
  }

  return {
    el,
    /** The cursor that opens the page shown. */
    cursor: () => cursors[page],
    /** After each answer: its nextCursor, how many rows it had, and the total over every page. */
    render(next, shown, total) {
      nextCursor = next || null;
      const first = page * pageSize + 1;
      el.hidden = page === 0 && !nextCursor;
      el.replaceChildren(
        h("button", { type: "button", class: "btn", disabled: page === 0, onclick: () => go(-1) }, "← Previous"),
        h("span", { class: "muted pager-range" }, shown ? `${first}–${first + shown - 1} of ${total ?? "?"}` : ""),
        h("button", { type: "button", class: "btn", disabled: !nextCursor, onclick: () => go(1) }, "Next →"),
      );
    },
  };
}
