// chainwatch console: progressive enhancement only; every page works without it.
"use strict";
document.addEventListener("keydown", (event) => {
  // `/` focuses the search box, as in most consoles.
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement;
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    const box = document.getElementById("q");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  }
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
// "Check all" boxes of triage tables: shown only when this script runs.
for (const all of document.querySelectorAll("input.select-all")) {
  all.hidden = false;
  const table = all.closest("table");
  all.addEventListener("change", () => {
    for (const box of table.querySelectorAll("tbody input[type=checkbox]")) {
      box.checked = all.checked;
    }
  });
}
