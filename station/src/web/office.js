// Shared by the admin and desk pages: the nav's texts, API calls, the signed-in person's
// role, bilingual results, lists that are tables on a desk and cards on a phone, and
// downloads with the page's sign-in. Data goes into the page only through textContent
// and attributes.
"use strict";

const Office = (() => {
  const { el, t, pick } = Station;

  Station.addTexts({
    "role.clerk": ["办事员", "clerk"],
    "role.supervisor": ["主管", "supervisor"],
    "role.admin": ["管理员", "administrator"],
    "office.needs_role": ["此页面需要{role}权限；你当前的角色是{mine}。请让管理员调整。",
      "This page needs the {role} role; you are signed in as {mine}. Ask an administrator."],
    "office.section_needs_role": ["这一部分需要{role}权限。", "This part needs the {role} role."],
    "office.working": ["正在处理…", "working…"],
    "office.loading": ["正在加载…", "loading…"],
    "office.confirm": ["确认", "Confirm"],
    "office.cancel": ["取消", "Cancel"],
    "office.yes": ["是", "yes"],
    "office.no": ["否", "no"],
    "office.downloaded": ["已下载 {file}（{bytes} 字节）", "Downloaded {file} ({bytes} bytes)"],
  });

  /** `{name}` placeholders of a text filled in. */
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);
  }

  /**
   * One API call. The contract is `Station.api(method, path, body)` (the sign-in change of
   * common.js); the common.js before it takes `(path, {method, body})`: both are served.
   */
  function call(method, path, body) {
    if (Station.api.length >= 2) {
      return Station.api(method, path, body);
    }
    return Station.api(path, body === undefined ? { method } : { method, body });
  }

  /** Every page of a list route. */
  async function all(path) {
    if (Station.apiAll) {
      return Station.apiAll(path);
    }
    return call("GET", path);
  }

  const RANK = { clerk: 1, supervisor: 2, admin: 3 };

  /** The signed-in person's role (`GET /api/v1/session`). */
  async function role() {
    const session = await call("GET", "/api/v1/session");
    const mine = session && session.person && session.person.role;
    return RANK[mine] ? mine : "clerk";
  }

  /** Whether `mine` is at least `needed`. */
  function atLeast(mine, needed) {
    return (RANK[mine] || 0) >= (RANK[needed] || 99);
  }

  /** A refusal notice: what `needed` role this needs and which one the person has. */
  function roleNotice(node, key, needed, mine) {
    node.textContent = fill(t(key), { role: t("role." + needed), mine: t("role." + mine) });
  }

  /**
   * A result line that follows the language: `ok` a page text key (with values) or a
   * server message {code, zh, en}; problems are shown in red with the server's code.
   */
  function show(node, result) {
    node.__result = result;
    render(node);
  }

  function render(node) {
    const result = node.__result;
    node.className = "status";
    node.removeAttribute("data-code");
    if (!result) {
      node.textContent = "";
      return;
    }
    if (result.error) {
      node.className = "problem";
      node.setAttribute("data-code", result.error.code || "");
      node.textContent = pick(result.error.bilingual || result.error);
      return;
    }
    node.className = result.problem ? "problem" : result.ok ? "message-ok" : "status";
    node.textContent = result.text ? fill(t(result.text), result.values || {}) : pick(result.message);
  }

  const shown = new Set();
  /** Registers a result node for redrawing when the language changes. */
  function result(node) {
    shown.add(node);
    return node;
  }
  Station.onLanguage(() => shown.forEach(render));

  /** A table row whose cells carry their column's name (the card's labels on a phone). */
  function row(cells, className) {
    const tr = el("tr", className ? { className } : {});
    for (const [labelKey, content] of cells) {
      const td = el("td", labelKey ? { attrs: { "data-label": t(labelKey) } } : {});
      if (content instanceof Node) {
        td.append(content);
      } else {
        td.textContent = content == null || content === "" ? t("none") : String(content);
      }
      tr.append(td);
    }
    return tr;
  }

  function button(key, onClick, attrs = {}) {
    const node = el("button", { text: t(key), attrs: Object.assign({ type: "button" }, attrs) });
    node.addEventListener("click", onClick);
    return node;
  }

  /**
   * An in-page confirmation: `question` with a confirm and a cancel button; `confirmed`
   * runs on confirm. Replaces `holder`'s content until answered.
   */
  function confirmIn(holder, question, confirmed, extra) {
    const box = el("div", { className: "confirm", attrs: { role: "alertdialog" } });
    const text = el("span", { text: question + " " });
    const yes = button("office.confirm", async () => {
      box.remove();
      await confirmed();
    }, { "data-action": "confirm" });
    const no = button("office.cancel", () => box.remove(), { "data-action": "cancel" });
    box.append(text);
    if (extra) {
      box.append(extra);
    }
    box.append(yes, no);
    holder.append(box);
    (extra && extra.querySelector ? extra.querySelector("input") || yes : yes).focus();
    return box;
  }

  /**
   * Downloads `path` with the page's sign-in, saves it under `file`, and leaves the link
   * (`link`) pointing at the saved bytes. Resolves to the byte count; rejects with the
   * server's {code, zh, en} refusal.
   */
  async function download(path, file, link) {
    const response = await fetch(path, {
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) {
      let data = null;
      try {
        data = await response.json();
      } catch (_) {
        data = null;
      }
      const message = data && data.message && typeof data.message === "object"
        ? data.message
        : { zh: "下载失败（HTTP " + response.status + "）", en: "download failed (HTTP " + response.status + ")" };
      throw new Station.ApiError(response.status, (data && data.error) || "http", message);
    }
    const blob = await response.blob();
    const previous = link.getAttribute("href");
    if (previous && previous.startsWith("blob:")) {
      URL.revokeObjectURL(previous);
    }
    link.setAttribute("href", URL.createObjectURL(blob));
    link.setAttribute("download", file);
    link.textContent = file;
    link.hidden = false;
    link.click();
    return blob.size;
  }

  return { fill, call, all, role, atLeast, roleNotice, show, result, row, button, confirmIn, download };
})();
