// Shared by the station's pages: language (Chinese by default, English on request, both
// remembered in localStorage), signing in (name + password, or badge + PIN: the station
// sets an HttpOnly session cookie; the page keeps only the session's CSRF value, in
// memory), who is signed in (#whoami), signing out, changing one's password, API calls
// (the cookie and the X-CSRF-Token header), small DOM helpers. Data goes into the page
// only through textContent and attributes, never as markup.
"use strict";

const Station = (() => {
  const LANG_KEY = "station.lang";
  // Where the token-pasting sign-in kept its token: removed at start.
  const TOKEN_KEY = "station.token";
  // Set while this browser is signed in, so that a page asks the station who is signed in
  // only then (a page never signed in shows the form without a refused request).
  const SIGNED_IN_KEY = "station.signed_in";

  // key: [Chinese, English]
  const texts = {
    "nav.counter": ["柜台", "Counter"],
    "nav.supervisor": ["查询", "Search"],
    "nav.desk": ["日常", "Desk"],
    "nav.pick": ["取件", "Pick"],
    "nav.contents": ["资料清单", "Contents"],
    "nav.import": ["导入", "Import"],
    "nav.admin": ["管理", "Admin"],
    "nav.tasks": ["待办", "My work"],
    "lang.switch": ["English", "中文"],
    "login.title": ["登录", "Sign in"],
    "login.tab.password": ["姓名和密码", "Name and password"],
    "login.tab.badge": ["工牌和 PIN", "Badge and PIN"],
    "login.name": ["姓名", "Name"],
    "login.password": ["密码", "Password"],
    "login.badge": ["扫描工牌", "Scan your badge"],
    "login.badge.placeholder": ["扫描或输入工牌条码", "scan or type the badge code"],
    "login.pin": ["PIN", "PIN"],
    "login.button": ["登录", "Sign in"],
    "login.hint": ["忘记密码或 PIN 请找管理员重设。", "An administrator resets a forgotten password or PIN."],
    "login.logout": ["退出", "Sign out"],
    "login.empty": ["请填写完整", "fill in both fields"],
    "login.checking": ["正在登录…", "signing in…"],
    "role.clerk": ["档案员", "clerk"],
    "role.supervisor": ["主管", "supervisor"],
    "role.admin": ["管理员", "administrator"],
    "password.open": ["修改密码", "Change password"],
    "password.title": ["修改密码", "Change password"],
    "password.old": ["原密码", "Current password"],
    "password.new": ["新密码（至少 10 个字符，不能只有数字）", "New password (10+ characters, not only digits)"],
    "password.again": ["再输入一次新密码", "New password again"],
    "password.save": ["保存", "Save"],
    "password.cancel": ["取消", "Cancel"],
    "password.mismatch": ["两次输入的新密码不一致", "the two new passwords differ"],
    "password.saved": ["密码已修改", "password changed"],
    "error.network": ["无法连接工作站", "cannot reach the station"],
    "none": ["—", "—"],
    "status.registered": ["已登记", "registered"],
    "status.stored": ["在架", "stored"],
    "status.at counter": ["待上架", "at counter"],
    "status.on loan": ["借出", "on loan"],
    "status.in handover": ["移交中", "in handover"],
    "status.missing": ["缺失", "missing"],
    "status.shelf": ["层位", "shelf"],
    "status.safe": ["保险柜", "safe"],
    "status.counter": ["柜台", "counter"],
    "kind.box": ["档案盒", "box"],
    "kind.certificate": ["权证", "certificate"],
    "kind.location": ["位置", "location"],
    "kind.person": ["人员", "person"],
    "inbox.pending": ["待办 {n}", "To do {n}"],
    "inbox.warning": ["预警 {n}", "Warning {n}"],
    "inbox.overdue": ["超期 {n}", "Overdue {n}"],
    "inbox.title": ["我的待办：点击查看", "My pending work: open the list"],
    "inbox.alert": ["您有需要尽快处理的档案工作：超期 {overdue} 项，预警 {warning} 项。",
      "Archive work needs you soon: {overdue} overdue, {warning} in warning."],
    "inbox.open": ["查看待办", "Open my work"],
    "inbox.dismiss": ["知道了", "Dismiss"],
  };
  const listeners = [];
  let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";

  /** Adds a page's texts ({key: [zh, en]}). */
  function addTexts(more) {
    Object.assign(texts, more);
  }

  /** The text for `key` in the current language (the key itself when unknown). */
  function t(key) {
    const pair = texts[key];
    if (!pair) {
      return key;
    }
    return lang === "en" ? pair[1] : pair[0];
  }

  /** The text for `key` if there is one, else `fallback`. */
  function tOr(key, fallback) {
    return Object.prototype.hasOwnProperty.call(texts, key) ? t(key) : fallback;
  }

  /** The current language's half of a {zh, en} message. */
  function pick(message) {
    if (!message || typeof message !== "object") {
      return message == null ? "" : String(message);
    }
    const text = lang === "en" ? message.en : message.zh;
    return String(text || message.zh || message.en || "");
  }

  function applyTexts() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    const title = document.querySelector("meta[name='station-title']");
    if (title) {
      document.title = t(title.getAttribute("content"));
    }
  }

  /** Switches the language, remembers it and redraws. */
  function setLanguage(next) {
    lang = next === "en" ? "en" : "zh";
    localStorage.setItem(LANG_KEY, lang);
    applyTexts();
    for (const listener of listeners) {
      listener(lang);
    }
  }

  function onLanguage(listener) {
    listeners.push(listener);
  }

  function language() {
    return lang;
  }

  // The page's sign-in: {person: {barcode, name, role}, csrf}, or null.
  let current = null;

  /** Pages no longer hold a token (the session cookie stands in): always "". */
  function token() {
    return "";
  }

  /** Who is signed in ({barcode, name, role}), or null. */
  function person() {
    return current ? current.person : null;
  }

  /** An API error: HTTP status, the station's error code and its {zh, en} message. */
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message && message.en ? message.en : code);
      this.status = status;
      this.code = code;
      this.bilingual = message;
    }
  }

  let unauthorized = () => {};

  /**
   * Calls the API with the session cookie (and the CSRF header on changes); resolves to
   * the JSON answer (null for 204), rejects with ApiError. Called as
   * `api(method, path, body)`, or as `api(path, {method, body})`, or with a file as it is
   * as `api(path, {method, raw, contentType})`.
   */
  async function api(first, second, third) {
    if (typeof second === "string" && /^[A-Z]+$/.test(first)) {
      const options = { method: first };
      if (third !== undefined) {
        options.body = third;
      }
      return (await apiPage(second, options)).data;
    }
    return (await apiPage(first, second || {})).data;
  }

  // Every page of a list route: follows the x-next-after cursor until the last page.
  async function apiAll(path) {
    const all = [];
    let after = null;
    for (;;) {
      const separator = path.includes("?") ? "&" : "?";
      const page = await apiPage(after === null ? path : path + separator + "after=" + encodeURIComponent(after));
      if (Array.isArray(page.data)) {
        all.push(...page.data);
      }
      if (!page.next || page.next === after) {
        return all;
      }
      after = page.next;
    }
  }

  // One request: the parsed answer and the cursor of the next page, if any.
  async function apiPage(path, options = {}) {
    const method = options.method || "GET";
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD" && current && current.csrf) {
      headers["X-CSRF-Token"] = current.csrf;
    }
    const init = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (options.raw !== undefined) {
      // A file sent as it is (an uploaded ledger).
      headers["Content-Type"] = options.contentType || "application/octet-stream";
      init.body = options.raw;
    } else if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (_) {
      throw new ApiError(0, "network", { zh: texts["error.network"][0], en: texts["error.network"][1] });
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const message = data && data.message && typeof data.message === "object"
        ? data.message
        : { zh: "请求失败（HTTP " + response.status + "）", en: "request failed (HTTP " + response.status + ")" };
      const error = new ApiError(response.status, (data && data.error) || "http", message);
      error.body = data;
      if (response.status === 401 && !options.quiet) {
        unauthorized(error);
      }
      throw error;
    }
    return { data, next: response.headers.get("x-next-after") };
  }

  /**
   * Fetches a report with the page's session (not by a link, so that the credentials go
   * with it) and saves it as the download `name`. Resolves to null when saved, or to the
   * {zh, en} message of why not (the station's own, else the HTTP status).
   */
  async function download(path, name) {
    let response;
    try {
      response = await fetch(path, { cache: "no-store", credentials: "same-origin" });
    } catch (_) {
      return said("error.network");
    }
    if (!response.ok) {
      let message = null;
      try {
        message = (await response.json()).message;
      } catch (_) {
        message = null;
      }
      return message || { zh: "HTTP " + response.status, en: "HTTP " + response.status };
    }
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { attrs: { href: url, download: name } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return null;
  }

  /** `document.getElementById`. */
  function $(id) {
    return document.getElementById(id);
  }

  /** A new element with a class, text content and children (strings become text nodes). */
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) {
      node.className = options.className;
    }
    if (options.text != null) {
      node.textContent = String(options.text);
    }
    for (const [name, value] of Object.entries(options.attrs || {})) {
      node.setAttribute(name, String(value));
    }
    for (const child of children) {
      node.append(child);
    }
    return node;
  }

  /** Empties a node. */
  function clear(node) {
    node.replaceChildren();
  }

  /** ms since the epoch → local "YYYY-MM-DD HH:MM:SS". */
  function formatTime(ms) {
    if (typeof ms !== "number") {
      return t("none");
    }
    const date = new Date(ms);
    const two = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) + " " +
      two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds());
  }

  /** A status word from the API in the current language. */
  function statusText(status) {
    return status ? tOr("status." + status, status) : t("none");
  }

  /** A bilingual message from one of the texts above. */
  function said(key) {
    return { zh: texts[key][0], en: texts[key][1] };
  }

  /** `label` (a text key) with an input of `attrs`, as a labelled row. */
  function field(id, key, attrs) {
    const input = el("input", { attrs: Object.assign({ id, spellcheck: "false" }, attrs) });
    const label = el("label", { attrs: { for: id, "data-i18n": key }, text: t(key) });
    return el("div", { className: "field" }, [label, input]);
  }

  /** The sign-in form (two tabs), built into #login. */
  function buildLogin(loginBox) {
    const tab = (id, key, panel) => el("button", {
      className: "tab",
      text: t(key),
      attrs: { id, type: "button", role: "tab", "data-i18n": key, "aria-controls": panel },
    });
    const passwordPanel = el("div", { className: "panel", attrs: { id: "signin-by-password", role: "tabpanel" } }, [
      field("signin-name", "login.name", { type: "text", autocomplete: "username" }),
      field("signin-password", "login.password", { type: "password", autocomplete: "current-password" }),
    ]);
    const badgePanel = el("div", { className: "panel", attrs: { id: "signin-by-badge", role: "tabpanel" } }, [
      field("signin-badge", "login.badge", {
        type: "text", autocomplete: "off", "data-i18n-placeholder": "login.badge.placeholder",
        placeholder: t("login.badge.placeholder"),
      }),
      field("signin-pin", "login.pin", { type: "password", inputmode: "numeric", autocomplete: "off", maxlength: "8" }),
    ]);
    const form = el("form", { attrs: { id: "signin-form", autocomplete: "on" } }, [
      el("div", { className: "tabs", attrs: { role: "tablist" } }, [
        tab("signin-tab-password", "login.tab.password", "signin-by-password"),
        tab("signin-tab-badge", "login.tab.badge", "signin-by-badge"),
      ]),
      passwordPanel,
      badgePanel,
      el("button", { className: "primary", text: t("login.button"), attrs: { id: "signin-button", type: "submit", "data-i18n": "login.button" } }),
    ]);
    loginBox.replaceChildren(
      el("h2", { text: t("login.title"), attrs: { "data-i18n": "login.title" } }),
      form,
      el("p", { className: "hint", text: t("login.hint"), attrs: { "data-i18n": "login.hint" } }),
      el("p", { className: "problem", attrs: { id: "login-error", role: "alert" } }),
    );
  }

  /** The change-password form, a card under the header (hidden until asked for). */
  function buildPasswordPanel() {
    const panel = el("section", { className: "card login", attrs: { id: "password-panel", hidden: "" } }, [
      el("h2", { text: t("password.title"), attrs: { "data-i18n": "password.title" } }),
      el("form", { attrs: { id: "password-form", autocomplete: "off" } }, [
        field("password-old", "password.old", { type: "password", autocomplete: "current-password" }),
        field("password-new", "password.new", { type: "password", autocomplete: "new-password" }),
        field("password-again", "password.again", { type: "password", autocomplete: "new-password" }),
        el("div", { className: "row" }, [
          el("button", { className: "primary", text: t("password.save"), attrs: { id: "password-save", type: "submit", "data-i18n": "password.save" } }),
          el("button", { text: t("password.cancel"), attrs: { id: "password-cancel", type: "button", "data-i18n": "password.cancel" } }),
        ]),
      ]),
      el("p", { className: "status", attrs: { id: "password-message", role: "status" } }),
    ]);
    return panel;
  }

  // ---- Pending work in the header (issue #14) ------------------------------------------
  // The signed-in person's pending archive tasks (`GET /api/v1/tasks`, their own steps),
  // counted by state in the header on every page: refreshed every minute and when the page
  // is shown again; right after a sign-in, warning or overdue work is announced in a
  // banner under the header (not a blocking alert).
  const INBOX_EVERY_MS = 60000;
  let inboxCounts = null;
  let inboxTimer = null;
  let inboxAlert = false;
  let inboxLink = null;
  let inboxBanner = null;

  /** `key`'s text with `{name}` replaced by the values. */
  function fill(key, values) {
    let text = t(key);
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function buildInbox(header, session) {
    inboxLink = el("a", { className: "inbox-counts", attrs: { id: "inbox-counts", href: "/tasks", hidden: "" } });
    header.insertBefore(inboxLink, session);
    inboxBanner = el("section", { className: "inbox-alert", attrs: { id: "inbox-alert", role: "status", hidden: "" } });
    header.after(inboxBanner);
  }

  function renderInbox() {
    if (!inboxLink) {
      return;
    }
    if (!current || !inboxCounts) {
      inboxLink.hidden = true;
      inboxBanner.hidden = true;
      return;
    }
    const counts = inboxCounts;
    const part = (state, key, n) => el("span", {
      className: "inbox-count",
      text: fill(key, { n }),
      attrs: { "data-state": state, "data-count": n },
    });
    inboxLink.replaceChildren(
      part("pending", "inbox.pending", counts.pending), " · ",
      part("warning", "inbox.warning", counts.warning), " · ",
      part("overdue", "inbox.overdue", counts.overdue),
    );
    inboxLink.dataset.pending = String(counts.pending);
    inboxLink.dataset.warning = String(counts.warning);
    inboxLink.dataset.overdue = String(counts.overdue);
    inboxLink.setAttribute("title", t("inbox.title"));
    inboxLink.hidden = false;
    const urgent = counts.warning + counts.overdue > 0;
    inboxBanner.hidden = !(inboxAlert && urgent);
    if (!inboxBanner.hidden) {
      const dismiss = el("button", { text: t("inbox.dismiss"), attrs: { id: "inbox-dismiss", type: "button" } });
      dismiss.addEventListener("click", () => {
        inboxAlert = false;
        renderInbox();
      });
      inboxBanner.replaceChildren(
        el("strong", { text: fill("inbox.alert", { overdue: counts.overdue, warning: counts.warning }) }),
        el("a", { text: t("inbox.open"), attrs: { href: "/tasks" } }),
        dismiss,
      );
    }
  }

  /** Rereads the signed-in person's pending work and redraws the header's counts. */
  async function refreshInbox() {
    if (!current) {
      return;
    }
    try {
      const tasks = await apiPage("/api/v1/tasks?scope=mine", { quiet: true });
      const list = Array.isArray(tasks.data) ? tasks.data : [];
      inboxCounts = {
        pending: list.length,
        warning: list.filter((task) => task.state === "warning").length,
        overdue: list.filter((task) => task.state === "overdue").length,
      };
    } catch (_) {
      // The counts stay as they were; the page's own requests say what went wrong.
    }
    renderInbox();
  }

  function startInbox(fresh) {
    inboxAlert = fresh;
    clearInterval(inboxTimer);
    inboxTimer = setInterval(refreshInbox, INBOX_EVERY_MS);
    refreshInbox();
  }

  function stopInbox() {
    clearInterval(inboxTimer);
    inboxTimer = null;
    inboxCounts = null;
    inboxAlert = false;
    renderInbox();
  }

  /**
   * Wires the header (language switch, who is signed in, sign-out, change password) and
   * the sign-in form. `onLogin` runs once signed in, `onLogout` when signed out or the
   * station ends the sign-in.
   */
  function init({ onLogin, onLogout }) {
    localStorage.removeItem(TOKEN_KEY);
    const header = document.querySelector("header");
    let loginBox = $("login");
    if (!loginBox) {
      loginBox = el("section", { className: "card login", attrs: { id: "login", hidden: "" } });
      header.after(loginBox);
    }
    buildLogin(loginBox);
    const app = $("app");
    let session = $("session");
    if (!session) {
      session = el("span", { className: "session", attrs: { id: "session", hidden: "" } });
      header.insertBefore(session, $("lang"));
    }
    let whoami = $("whoami");
    if (!whoami) {
      whoami = el("span", { attrs: { id: "whoami" } });
    }
    const changeButton = el("button", { text: t("password.open"), attrs: { id: "password-open", type: "button", "data-i18n": "password.open" } });
    const logoutButton = el("button", { text: t("login.logout"), attrs: { id: "logout", type: "button", "data-i18n": "login.logout" } });
    session.replaceChildren(changeButton, logoutButton);
    if (!whoami.isConnected) {
      session.prepend(whoami);
    }
    whoami.classList.add("whoami");
    const passwordPanel = buildPasswordPanel();
    loginBox.after(passwordPanel);
    buildInbox(header, session);

    const problem = $("login-error");
    let loginProblem = null;
    let passwordSaid = null;
    let signedIn = false;
    let mode = "password";

    const showProblem = (message) => {
      loginProblem = message;
      problem.textContent = pick(message);
    };
    const showPasswordMessage = (message, bad) => {
      passwordSaid = message;
      $("password-message").textContent = pick(message);
      $("password-message").className = bad ? "problem" : "status";
    };

    const renderWho = () => {
      const who = person();
      if (!who) {
        whoami.textContent = "";
        return;
      }
      const role = tOr("role." + who.role, who.role);
      whoami.textContent = lang === "en" ? who.name + " (" + role + ")" : who.name + "（" + role + "）";
      whoami.dataset.role = who.role;
    };

    const focusFirst = () => {
      (mode === "badge" ? $("signin-badge") : $("signin-name")).focus();
    };

    const setMode = (next) => {
      mode = next;
      $("signin-by-password").hidden = mode !== "password";
      $("signin-by-badge").hidden = mode !== "badge";
      $("signin-tab-password").setAttribute("aria-selected", String(mode === "password"));
      $("signin-tab-badge").setAttribute("aria-selected", String(mode === "badge"));
      focusFirst();
    };

    const showLogin = () => {
      signedIn = false;
      current = null;
      renderWho();
      if (app) {
        app.hidden = true;
      }
      session.hidden = true;
      passwordPanel.hidden = true;
      loginBox.hidden = false;
      focusFirst();
    };

    const enter = (answer, fresh) => {
      current = { person: answer.person, csrf: answer.csrf };
      localStorage.setItem(SIGNED_IN_KEY, "1");
      showProblem(null);
      renderWho();
      loginBox.hidden = true;
      if (app) {
        app.hidden = false;
      }
      session.hidden = false;
      signedIn = true;
      startInbox(!!fresh);
      onLogin();
    };

    const signedOut = (message) => {
      const was = signedIn;
      localStorage.removeItem(SIGNED_IN_KEY);
      showProblem(message || null);
      stopInbox();
      showLogin();
      if (was) {
        onLogout();
      }
    };

    unauthorized = (error) => signedOut(error.bilingual);

    $("signin-tab-password").addEventListener("click", () => setMode("password"));
    $("signin-tab-badge").addEventListener("click", () => setMode("badge"));
    // A scanner types the badge and Enter: Enter moves on to the PIN.
    $("signin-badge").addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        $("signin-pin").focus();
      }
    });

    $("signin-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      let body;
      if (mode === "badge") {
        const badge = $("signin-badge").value.trim();
        const pin = $("signin-pin").value;
        if (!badge || !pin) {
          showProblem(said("login.empty"));
          return;
        }
        body = { badge, pin };
      } else {
        const name = $("signin-name").value.trim();
        const password = $("signin-password").value;
        if (!name || !password) {
          showProblem(said("login.empty"));
          return;
        }
        body = { name, password };
      }
      showProblem(said("login.checking"));
      try {
        const answer = await apiPage("/api/v1/session", { method: "POST", body, quiet: true });
        $("signin-password").value = "";
        $("signin-pin").value = "";
        enter(answer.data, true);
      } catch (error) {
        $("signin-password").value = "";
        $("signin-pin").value = "";
        showProblem(error.bilingual);
        focusFirst();
      }
    });

    logoutButton.addEventListener("click", async () => {
      try {
        await apiPage("/api/v1/session/end", { method: "POST", quiet: true });
      } catch (_) {
        // Signed out here whatever the station said: the next request needs a sign-in.
      }
      signedOut(null);
    });

    changeButton.addEventListener("click", () => {
      passwordPanel.hidden = !passwordPanel.hidden;
      showPasswordMessage(null, false);
      if (!passwordPanel.hidden) {
        $("password-old").focus();
      }
    });
    $("password-cancel").addEventListener("click", () => {
      passwordPanel.hidden = true;
      $("password-form").reset();
    });
    $("password-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const old = $("password-old").value;
      const fresh = $("password-new").value;
      if (fresh !== $("password-again").value) {
        showPasswordMessage(said("password.mismatch"), true);
        return;
      }
      try {
        await api("POST", "/api/v1/session/password", { old, new: fresh });
        $("password-form").reset();
        showPasswordMessage(said("password.saved"), false);
      } catch (error) {
        showPasswordMessage(error.bilingual, true);
      }
    });

    $("lang").addEventListener("click", () => setLanguage(lang === "en" ? "zh" : "en"));
    onLanguage(() => {
      problem.textContent = pick(loginProblem);
      $("password-message").textContent = pick(passwordSaid);
      renderWho();
      renderInbox();
    });
    // Back to the page (another tab, the phone woken up): the counts are read again.
    window.addEventListener("focus", refreshInbox);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        refreshInbox();
      }
    });

    applyTexts();
    setMode("password");
    session.hidden = true;
    if (app) {
      app.hidden = true;
    }
    if (!localStorage.getItem(SIGNED_IN_KEY)) {
      showLogin();
      return;
    }
    apiPage("/api/v1/session", { quiet: true })
      .then((answer) => enter(answer.data))
      .catch((error) => {
        // Not signed in any more (signed out elsewhere, expired, the station restarted):
        // the form says enough.
        if (error.status === 401) {
          localStorage.removeItem(SIGNED_IN_KEY);
        }
        showProblem(error.status === 401 ? null : error.bilingual);
        showLogin();
      });
  }

  return { addTexts, t, tOr, pick, language, onLanguage, token, person, api, apiAll, ApiError, $, el, clear, formatTime, statusText, init, download, refreshInbox };
})();
