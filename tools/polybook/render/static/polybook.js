/* polybook: the reader's framework (tabs, download menu), and the theme's phone navigation.
 *
 * window.POLYBOOK (written by the Sphinx extension) holds the book's frameworks as
 * [name, display] pairs and the words of the page's language.
 */
(() => {
  "use strict";
  const KEY = "polybook-framework";
  const config = window.POLYBOOK || { frameworks: [], words: {} };
  const known = new Map(config.frameworks.map(([name, display]) => [name.toLowerCase(), name]));
  for (const [name, display] of config.frameworks) known.set(display.toLowerCase(), name);

  const stored = () => {
    try {
      return window.localStorage.getItem(KEY);
    } catch (err) {
      return null; // storage blocked: the choice lasts for this page only
    }
  };
  const store = (name) => {
    try {
      window.localStorage.setItem(KEY, name);
    } catch (err) {
      /* storage blocked */
    }
  };

  /* Show `name` in one tab set (its first framework when it lacks `name`). */
  const selectIn = (tabs, name, focus) => {
    const buttons = [...tabs.querySelectorAll(':scope > [role="tablist"] > [role="tab"]')];
    if (!buttons.length) return;
    const chosen = buttons.find((b) => b.dataset.syncId === name) || buttons[0];
    for (const button of buttons) {
      const on = button === chosen;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(button.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    }
    if (focus) chosen.focus();
  };

  const choose = (name, keep) => {
    document.querySelectorAll(".polybook-tabs").forEach((tabs) => selectIn(tabs, name, false));
    document.querySelectorAll("[data-polybook-framework]").forEach((item) => {
      item.hidden = item.dataset.polybookFramework !== name;
    });
    document.documentElement.dataset.framework = name;
    if (keep) store(name);
  };

  /* A notice for a `?framework=` that names no framework of the book; the choice stays. */
  const notice = (asked, kept) => {
    const display = (config.frameworks.find(([n]) => n === kept) || [kept, kept])[1];
    const box = document.createElement("p");
    box.className = "polybook-framework-notice";
    box.setAttribute("role", "status");
    box.textContent = (config.words.unknown || "{asked}: {kept}")
      .replace("{asked}", asked)
      .replace("{kept}", display);
    const article = document.querySelector("article") || document.body;
    article.prepend(box);
  };

  const start = () => {
    const first = config.frameworks.length ? config.frameworks[0][0] : null;
    let name = stored();
    if (!known.has((name || "").toLowerCase())) name = first;
    const asked = new URLSearchParams(window.location.search).get("framework");
    if (asked !== null) {
      const found = known.get(asked.trim().toLowerCase());
      if (found) {
        name = found;
        store(found);
      } else if (name) {
        notice(asked, name);
      }
    }
    if (name) choose(name, false);

    document.querySelectorAll(".polybook-tabs").forEach((tabs) => {
      const list = tabs.querySelector(':scope > [role="tablist"]');
      if (!list) return;
      list.addEventListener("click", (event) => {
        const button = event.target.closest('[role="tab"]');
        if (button) choose(button.dataset.syncId, true);
      });
      list.addEventListener("keydown", (event) => {
        const buttons = [...list.querySelectorAll('[role="tab"]')];
        const at = buttons.indexOf(document.activeElement);
        if (at < 0) return;
        const moves = {
          ArrowRight: at + 1,
          ArrowLeft: at - 1,
          Home: 0,
          End: buttons.length - 1,
        };
        if (!(event.key in moves)) return;
        event.preventDefault();
        const next = buttons[(moves[event.key] + buttons.length) % buttons.length];
        choose(next.dataset.syncId, true);
        next.focus();
      });
    });

    /* The theme's navigation folds each chapter under a <summary> that holds only an icon: a
     * screen reader would announce an unnamed control. It is named after its chapter. */
    document.querySelectorAll("nav li > details > summary").forEach((summary) => {
      const link = summary.closest("li").querySelector(":scope > a");
      if (link && !summary.textContent.trim() && !summary.hasAttribute("aria-label")) {
        summary.setAttribute("aria-label", link.textContent.trim());
      }
    });

    /* The theme binds its phone menu and contents drawers to the first .primary-toggle and
     * .secondary-toggle of the page, which sit in a header sphinx-book-theme hides; the
     * buttons a reader sees are later copies. A click on a copy is passed to the bound one. */
    document.addEventListener(
      "click",
      (event) => {
        const button = event.target.closest(".primary-toggle, .secondary-toggle");
        if (!button) return;
        const kind = button.classList.contains("primary-toggle") ? ".primary-toggle" : ".secondary-toggle";
        const bound = document.querySelector(kind);
        if (bound && bound !== button) {
          event.preventDefault();
          event.stopPropagation();
          bound.click();
        }
      },
      true,
    );
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
