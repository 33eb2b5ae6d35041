// Shared by the station's pages: language (Chinese by default, English on request, both
// remembered in localStorage), the API token, API calls with the token, small DOM helpers.
// Data goes into the page only through textContent and attributes, never as markup.
"use strict";

const Station = (() => {
  const LANG_KEY = "station.lang";
  const TOKEN_KEY = "station.token";

  // key: [Chinese, English]
  const texts = {
    "nav.counter": ["柜台", "Counter"],
    "nav.supervisor": ["主管", "Supervisor"],
    "lang.switch": ["English", "中文"],
    "login.title": ["登录", "Sign in"],
    "login.label": ["访问令牌", "Access token"],
    "login.hint": ["令牌由管理员用 station token create 生成，只保存在本浏览器中。",
      "An administrator creates tokens with station token create; it is kept in this browser only."],
    "login.button": ["登录", "Sign in"],
    "login.signed_in": ["已登录", "Signed in"],
    "login.logout": ["退出", "Sign out"],
    "login.empty": ["请输入令牌", "enter a token"],
    "login.checking": ["正在验证…", "checking…"],
    "error.network": ["无法连接工作站", "cannot reach the station"],
    "none": ["—", "—"],
    "status.registered": ["已登记", "registered"],
    "status.stored": ["在架", "stored"],
    "status.at counter": ["待上架", "at counter"],
    "status.on loan": ["借出", "on loan"],
    "status.in handover": ["移交中", "in handover"],
    "status.missing": ["缺失", "missing"],
    "kind.box": ["档案盒", "box"],
    "kind.certificate": ["权证", "certificate"],
    "kind.location": ["位置", "location"],
    "kind.person": ["人员", "person"],
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

  function token() {
    return localStorage.getItem(TOKEN_KEY) || "";
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

  /** Calls the API with the token; resolves to the JSON answer, rejects with ApiError. */
  async function api(path, options = {}) {
    return (await apiPage(path, options)).data;
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
    const headers = { Accept: "application/json", Authorization: "Bearer " + token() };
    const init = { method: options.method || "GET", headers, cache: "no-store" };
    if (options.body !== undefined) {
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
      if (response.status === 401) {
        unauthorized(error);
      }
      throw error;
    }
    return { data, next: response.headers.get("x-next-after") };
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

  /**
   * Wires the header (language switch, sign-out) and the login box. `onLogin` runs once a
   * token is known to work, `onLogout` when it is dropped or refused.
   */
  function init({ onLogin, onLogout }) {
    const loginBox = $("login");
    const app = $("app");
    const session = $("session");
    const problem = $("login-error");
    let loginProblem = null;
    let signedIn = false;

    const showProblem = (message) => {
      loginProblem = message;
      problem.textContent = pick(message);
    };

    const showLogin = () => {
      signedIn = false;
      app.hidden = true;
      session.hidden = true;
      loginBox.hidden = false;
      $("token-input").focus();
    };

    const logout = (message) => {
      localStorage.removeItem(TOKEN_KEY);
      showProblem(message || null);
      if (signedIn) {
        onLogout();
      }
      showLogin();
    };

    const verify = async () => {
      showProblem({ zh: texts["login.checking"][0], en: texts["login.checking"][1] });
      try {
        await api("/api/v1/devices");
      } catch (error) {
        if (error.status === 401) {
          return; // `unauthorized` has already signed out and said why
        }
        showProblem(error.bilingual);
        showLogin();
        return;
      }
      showProblem(null);
      loginBox.hidden = true;
      app.hidden = false;
      session.hidden = false;
      signedIn = true;
      onLogin();
    };

    unauthorized = (error) => logout(error.bilingual);

    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token-input").value.trim();
      if (!value) {
        showProblem({ zh: texts["login.empty"][0], en: texts["login.empty"][1] });
        return;
      }
      localStorage.setItem(TOKEN_KEY, value);
      $("token-input").value = "";
      verify();
    });
    $("logout").addEventListener("click", () => logout(null));
    $("lang").addEventListener("click", () => setLanguage(lang === "en" ? "zh" : "en"));
    onLanguage(() => {
      problem.textContent = pick(loginProblem);
    });

    applyTexts();
    if (token()) {
      verify();
    } else {
      showLogin();
    }
  }

  return { addTexts, t, tOr, pick, language, onLanguage, token, api, apiAll, ApiError, $, el, clear, formatTime, statusText, init };
})();
