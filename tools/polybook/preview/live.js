// polybook serve: reload the page when the book changes, show errors where the reader looks.
(() => {
  const scrollKey = "polybook-serve-scroll:" + location.pathname;
  const saved = sessionStorage.getItem(scrollKey);
  if (saved !== null) {
    sessionStorage.removeItem(scrollKey);
    const restore = () => window.scrollTo(0, Number(saved));
    restore();
    window.addEventListener("load", restore);
  }
  const here = decodeURIComponent(location.pathname.replace(/^\/+/, "")) || "index.html";

  function box(id, css) {
    let el = document.getElementById(id);
    if (!el) {
      el = document.createElement("div");
      el.id = id;
      el.setAttribute("style", css);
      document.body.appendChild(el);
    }
    return el;
  }

  function showErrors(items) {
    const old = document.getElementById("polybook-serve-errors");
    if (!items.length) {
      if (old) old.remove();
      return;
    }
    const el = box(
      "polybook-serve-errors",
      "position:fixed;inset:10% 8% auto 8%;max-height:80%;overflow:auto;z-index:99999;" +
        "background:#1e1e1e;color:#f3f3f3;padding:1.2em 1.5em;border-left:6px solid #e5484d;" +
        "font:14px/1.45 ui-monospace,monospace;box-shadow:0 10px 40px rgba(0,0,0,.45);white-space:pre-wrap"
    );
    el.setAttribute("role", "alert");
    el.textContent = "";
    const title = document.createElement("strong");
    title.textContent = items.length === 1 ? "polybook: 1 problem" : `polybook: ${items.length} problems`;
    el.appendChild(title);
    for (const item of items) {
      const where = document.createElement("div");
      where.className = "polybook-serve-where";
      where.style.cssText = "margin-top:1em;color:#ffb4b4";
      where.textContent = `${item.where}: ${item.message}`;
      el.appendChild(where);
      if (item.detail) {
        const detail = document.createElement("pre");
        detail.style.cssText = "margin:.4em 0 0;color:#d4d4d4;white-space:pre-wrap";
        detail.textContent = item.detail;
        el.appendChild(detail);
      }
    }
  }

  function showProgress(text) {
    const old = document.getElementById("polybook-serve-progress");
    if (!text) {
      if (old) old.remove();
      return;
    }
    box(
      "polybook-serve-progress",
      "position:fixed;left:1em;bottom:1em;z-index:99998;background:#263238;color:#fff;" +
        "padding:.5em .9em;border-radius:4px;font:13px/1.4 system-ui,sans-serif;opacity:.92"
    ).textContent = text;
  }

  function reload(pages) {
    if (pages === null || pages.includes(here)) {
      sessionStorage.setItem(scrollKey, String(window.scrollY));
      location.reload();
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/_polybook/ws");
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "reload") reload(message.pages);
      else if (message.type === "errors") showErrors(message.items);
      else if (message.type === "progress") showProgress(message.text);
    };
    socket.onclose = () => setTimeout(connect, 1000);
  }
  connect();
})();
