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
// Dependency trees: a component's children are loaded when it is opened (without the
// script, its "Show what it pulls in" link opens a page of its own).
document.addEventListener("toggle", async (event) => {
  const node = event.target;
  if (!(node instanceof HTMLDetailsElement) || !node.open || node.dataset.loaded !== "0") {
    return;
  }
  node.dataset.loaded = "1";
  const link = node.querySelector(":scope > a.unfold");
  try {
    const response = await fetch(node.dataset.children, { credentials: "same-origin" });
    if (!response.ok) {
      throw new Error(String(response.status));
    }
    const html = await response.text();
    const template = document.createElement("template");
    template.innerHTML = html; // our own server-rendered, escaped markup
    if (link) {
      link.replaceWith(template.content);
    } else {
      node.append(template.content);
    }
  } catch (error) {
    node.dataset.loaded = "0";
    if (link) {
      link.textContent = "Could not load (" + error.message + "): open on its own page";
    }
  }
}, true);
