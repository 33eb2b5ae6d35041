// The counter page: a scan field that keeps focus (so a keyboard-wedge scanner works), the
// workstation chosen from the configured list, its mode large and coloured and its context
// (shelf, borrower, receiver, stock-take progress) on screen, results live over
// Server-Sent Events, the last one large and coloured, a beep for errors. Every code typed
// or scanned goes through a queue kept in localStorage: when the station cannot be reached
// the indicator turns red and the codes wait ("waiting to send (N)"), then go in order,
// each with an id the station runs once however often it is sent.
"use strict";

(() => {
  const { $, el, t, pick } = Station;

  /**
   * One API call through common.js. The contract is `Station.api(method, path,
   * body)`; until common.js has it, the older `Station.api(path, {method, body})` is
   * called (told apart by the number of declared parameters).
   */
  function api(path, options = {}) {
    const method = options.method || "GET";
    if (Station.api.length >= 2) {
      return Station.api(method, path, options.body);
    }
    return Station.api(path, options);
  }
  const WORKSTATION_KEY = "station.workstation";
  const QUEUE_KEY = "station.counter.queue";
  const MAX_HISTORY = 12;
  const RECONNECT_MS = 3000;
  const RETRY_MS = 2000;
  const SEND_TIMEOUT_MS = 15000;

  // The command cards (hardware.md), for the F2 panel and the shortcuts.
  const CARDS = [
    ["lookup", "K0000000014"],
    ["shelve", "K0000000023"],
    ["checkout", "K0000000038"],
    ["return", "K0000000046"],
    ["handover", "K0000000051"],
    ["audit", "K0000000067"],
    ["intake", "K0000000072"],
    ["done", "K0000000080"],
    ["cancel", "K0000000095"],
    ["undo", "K0000000102"],
    ["pick", "K0000000115"],
    ["complete", "K0000000128"],
  ];
  const CARD = Object.fromEntries(CARDS);
  const MODES = ["lookup", "shelve", "checkout", "return", "handover", "audit", "intake", "pick"];
  const SHORTCUTS = { F4: CARD.undo, F8: CARD.done, F9: CARD.cancel };

  Station.addTexts({
    "counter.title": ["档案工作站 · 柜台", "Archive station · Counter"],
    "counter.workstation": ["工作站", "Workstation"],
    "counter.mode": ["当前模式", "Mode"],
    "counter.scan": ["扫描或输入条码，按回车", "Scan or type a code, then Enter"],
    "counter.scan.placeholder": ["扫描条码…", "scan a code…"],
    "counter.waiting": ["等待扫描", "waiting for a scan"],
    "counter.earlier": ["此前的扫描", "Earlier scans"],
    "counter.live.open": ["已连接", "connected"],
    "counter.live.closed": ["无法连接工作站", "station unreachable"],
    "counter.queue": ["等待发送（{n}）：{codes}", "waiting to send ({n}): {codes}"],
    "counter.mode_changed": [
      "注意：有条码是在「{typed}」模式下输入的，送达时工作站处于「{now}」模式（可能已重启），这些条码按「{now}」处理；请重新扫描模式卡后再扫一遍",
      "Note: codes typed in {typed} mode reached the station in {now} mode (it may have restarted) and were handled as {now}; scan the mode card again, then those codes",
    ],
    "counter.cards": ["模式卡（F2）", "Command cards (F2)"],
    "counter.shortcuts": ["快捷键", "Keyboard shortcuts"],
    "counter.sending": ["正在发送…", "sending…"],
    "shortcut.cards": ["显示/隐藏模式卡", "show or hide the command cards"],
    "shortcut.undo": ["撤销上一步（撤销卡）", "undo the last step (UNDO card)"],
    "shortcut.done": ["完成（完成卡）", "finish (DONE card)"],
    "shortcut.cancel": ["取消当前模式（取消卡）", "leave the mode (CANCEL card)"],
    "shortcut.clear": ["清空输入框", "clear the scan field"],
    "context.operator": ["操作员", "Operator"],
    "context.shelf": ["层位", "Shelf"],
    "context.borrower": ["借阅人", "Borrower"],
    "context.approver": ["批准人", "Approved by"],
    "context.receiver": ["接收人", "Receiver"],
    "context.handed": ["移交清单", "Handover list"],
    "context.handed.count": ["{n} 件", "{n} items"],
    "audit.progress": ["盘点 {shelf}：已盘 {found} / 应有 {expected}", "Checking {shelf}: {found} / {expected} expected"],
    "audit.report": ["盘点结果", "Stock-take result"],
    "audit.summary": ["应有 {expected}，在架 {present}", "{expected} expected, {present} present"],
    "audit.missing": ["缺失", "Missing"],
    "audit.misplaced": ["错架", "Misplaced"],
    "audit.unknown": ["未登记", "Unknown"],
    "audit.duplicates": ["重复扫描", "Scanned twice"],
    "audit.none": ["无", "none"],
    "audit.place": ["记录在 {place}", "recorded at {place}"],
    "audit.home": ["归属 {home}", "home {home}"],
    "audit.more": ["另有 {n} 件未列出：缺失的已标记为缺失，可在查询页查找", "{n} more not listed: missing boxes are flagged missing and can be found on the search page"],
    "card.lookup": ["查询", "LOOKUP"],
    "card.shelve": ["上架", "SHELVE"],
    "card.checkout": ["借出", "CHECKOUT"],
    "card.return": ["归还", "RETURN"],
    "card.handover": ["移交", "HANDOVER"],
    "card.audit": ["盘点", "AUDIT"],
    "card.intake": ["登记", "INTAKE"],
    "card.done": ["完成", "DONE"],
    "card.cancel": ["取消", "CANCEL"],
    "card.undo": ["撤销", "UNDO"],
    "card.pick": ["取件", "PICK"],
    "card.complete": ["齐全", "COMPLETE"],
    "check.title": ["借出清单，请核对", "What was lent: check it"],
    "check.summary": [
      "借阅 {loan} · {archive_no} {title} · 借阅人 {borrower} · {count} 份文件，共 {pages} 页",
      "loan {loan} · {archive_no} {title} · borrower {borrower} · {count} documents, {pages} pages",
    ],
    "check.slip": ["出借单所借：{documents}", "The loan slip asked for: {documents}"],
    "check.hint": [
      "齐全请扫描“齐全”卡或点“全部归还”；缺少的请勾选后点“登记缺少的文件”",
      "All back: scan COMPLETE or press “All returned”; otherwise tick what is missing and press “Record missing”",
    ],
    "check.pages": ["{pages} 页", "{pages} pages"],
    "check.copy": ["复印件", "copy"],
    "check.missing": ["缺", "missing"],
    "check.note": ["备注", "Note"],
    "check.record": ["登记缺少的文件", "Record missing"],
    "check.complete": ["全部归还（齐全）", "All returned (complete)"],
    "outcome.ok": ["成功", "OK"],
    "outcome.warning": ["注意", "WARNING"],
    "outcome.error": ["错误", "ERROR"],
    "mode.lookup": ["查询", "LOOKUP"],
    "mode.shelve": ["上架", "SHELVE"],
    "mode.checkout": ["借出", "CHECKOUT"],
    "mode.return": ["归还", "RETURN"],
    "mode.handover": ["移交", "HANDOVER"],
    "mode.audit": ["盘点", "AUDIT"],
    "mode.intake": ["登记", "INTAKE"],
    "mode.pick": ["取件", "PICK"],
    "field.archive_no": ["档案号", "Archive no."],
    "field.title": ["题名", "Title"],
    "field.place": ["位置", "Place"],
    "field.status": ["状态", "Status"],
    "field.holder": ["借阅人", "Holder"],
    "field.due": ["应还日期", "Due"],
  });

  /** A text with {name} placeholders filled. */
  function fill(key, values) {
    let text = t(key);
    for (const [name, value] of Object.entries(values)) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  const state = {
    source: null,
    retry: null,
    seen: new Set(),
    last: null,
    earlier: [],
    // The check route's last answer, for the return check shown ({loan, state, code, text}).
    checkAnswer: null,
    context: null,
    contextAt: -Infinity,
    live: false,
    reachable: true,
    beeps: 0,
    names: [],
    queue: loadQueue(),
    flushing: false,
    flushTimer: null,
    modeWarning: null,
  };
  const scanField = $("scan");
  const workstationField = $("workstation");

  function workstation() {
    return workstationField.value || localStorage.getItem(WORKSTATION_KEY) || "counter";
  }

  // ---- the workstation, from the configured list ---------------------------------------

  /** Fills the choice from GET /api/v1/workstations, keeps the remembered one if listed. */
  async function loadWorkstations() {
    let list;
    try {
      list = await api("/api/v1/workstations");
    } catch (error) {
      failed(error);
      return false;
    }
    reached();
    if (!Array.isArray(list)) {
      return false;
    }
    state.names = list.map((entry) => String(entry.name));
    const remembered = localStorage.getItem(WORKSTATION_KEY);
    const chosen = state.names.includes(remembered) ? remembered : state.names[0];
    Station.clear(workstationField);
    for (const name of state.names) {
      const option = el("option", { text: name, attrs: { value: name } });
      workstationField.append(option);
    }
    if (chosen !== undefined) {
      workstationField.value = chosen;
    }
    const mine = list.find((entry) => entry.name === workstationField.value);
    if (mine && mine.context) {
      setContext(mine.context, latestAt());
    }
    return true;
  }

  function latestAt() {
    return state.last && typeof state.last.at === "number" ? state.last.at : 0;
  }

  function setContext(context, at) {
    if (!context || typeof context !== "object" || at < state.contextAt) {
      return;
    }
    state.context = context;
    state.contextAt = at;
  }

  // ---- reachability --------------------------------------------------------------------

  /** Any failed call or a dropped stream: the indicator turns red at once. */
  function failed(error) {
    if (!error || error.status === 0 || error.status >= 502) {
      state.reachable = false;
      render();
    }
  }

  function reached() {
    if (!state.reachable) {
      state.reachable = true;
      render();
    }
  }

  // ---- the queue of codes to send ------------------------------------------------------

  function loadQueue() {
    try {
      const saved = JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
      return Array.isArray(saved)
        ? saved.filter((entry) => entry && typeof entry.id === "string" && typeof entry.data === "string")
        : [];
    } catch (_) {
      return [];
    }
  }

  function saveQueue() {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(state.queue));
  }

  /** A random id for one scan (the station runs a scan with a given id once). */
  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  /** The mode a command card switches to, or null. */
  function cardMode(data) {
    const card = CARDS.find(([, code]) => code === String(data).trim().toUpperCase());
    return card && MODES.includes(card[0]) ? card[0] : null;
  }

  /** The mode a code is typed in: the last mode card waiting before it, else the mode now. */
  function typedMode() {
    for (let index = state.queue.length - 1; index >= 0; index -= 1) {
      const mode = cardMode(state.queue[index].data);
      if (mode) {
        return mode;
      }
    }
    return currentMode();
  }

  function enqueue(data) {
    state.modeWarning = null;
    state.queue.push({
      id: newId(),
      workstation: workstation(),
      data,
      mode: typedMode(),
      at: Date.now(),
    });
    saveQueue();
    render();
    flush();
  }

  function scheduleFlush() {
    if (!state.flushTimer && state.queue.length) {
      state.flushTimer = setTimeout(() => {
        state.flushTimer = null;
        flush();
      }, RETRY_MS);
    }
  }

  /**
   * Sends the queued codes one after another, in order. A code leaves the queue only once
   * the station answered it; when the station cannot be reached it stays, and the same
   * id goes again later (the station answers the first result, never runs it twice).
   */
  async function flush() {
    if (state.flushing || $("app").hidden) {
      return;
    }
    state.flushing = true;
    try {
      while (state.queue.length) {
        const entry = state.queue[0];
        // A code typed in one mode that reaches the station in another (it restarted
        // meanwhile and is back in LOOKUP) is still sent, and the clerk is told.
        const now = state.context && entry.workstation === workstation() ? state.context.mode : null;
        if (entry.mode && now && entry.mode !== now && !cardMode(entry.data) && !entry.data.startsWith("K")) {
          state.modeWarning = { typed: entry.mode, now };
        }
        let result;
        try {
          // A request the station never answers (it stopped half-way) must not hold
          // the queue: after SEND_TIMEOUT_MS it counts as not arrived, and the same id
          // goes again (run once however often it arrives).
          result = await Promise.race([
            api("/api/v1/scans", {
              method: "POST",
              body: { workstation: entry.workstation, data: entry.data, id: entry.id },
            }),
            new Promise((_, reject) => setTimeout(
              () => reject({ status: 0, code: "timeout" }), SEND_TIMEOUT_MS)),
          ]);
        } catch (error) {
          if (error.status === 0 || error.status >= 502 || error.status === 401) {
            failed(error);
            scheduleFlush();
            return;
          }
          // Answered, and refused (an unknown workstation, a code too long): said, not kept.
          reached();
          state.queue.shift();
          saveQueue();
          showLocalError(entry.data, error);
          continue;
        }
        reached();
        state.queue.shift();
        saveQueue();
        if (result && result.workstation === workstation()) {
          show(result); // usually the live event was first and this is a no-op
        } else {
          render();
        }
      }
    } finally {
      state.flushing = false;
    }
  }

  // ---- sound ---------------------------------------------------------------------------

  let audio = null;

  // Browsers let a page start sound only after a user gesture; the scanner's keystrokes
  // are one, so the context is made (or woken) on the first key.
  function wakeAudio() {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) {
        return null;
      }
      audio = audio || new Context();
      if (audio.state === "suspended") {
        audio.resume().catch(() => {});
      }
    } catch (_) {
      audio = null;
    }
    return audio;
  }

  /** Two low square-wave tones: unmistakable next to a scanner's own good-read beep. */
  function beep() {
    state.beeps += 1;
    $("result").dataset.beeps = String(state.beeps);
    const context = wakeAudio();
    if (!context) {
      return;
    }
    try {
      const start = context.currentTime;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "square";
      oscillator.frequency.setValueAtTime(440, start);
      oscillator.frequency.setValueAtTime(330, start + 0.18);
      gain.gain.setValueAtTime(0.15, start);
      gain.gain.setValueAtTime(0, start + 0.4);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.45);
    } catch (_) {
      // no sound device: the colour and the message still say it
    }
  }

  // ---- showing results -----------------------------------------------------------------

  function modeText(mode) {
    return mode ? Station.tOr("mode." + mode, String(mode)) : t("none");
  }

  function outcomeOf(result) {
    return ["ok", "warning", "error"].includes(result.outcome) ? result.outcome : "error";
  }

  function keyOf(result) {
    const message = result.message || {};
    return [result.at, result.workstation, result.input, result.outcome, message.en].join("\u0001");
  }

  /** Shows a result once (the POST answer and the live event carry the same one). */
  function show(result, { sound = true } = {}) {
    if (!result || typeof result !== "object") {
      return;
    }
    const key = keyOf(result);
    if (state.seen.has(key)) {
      return;
    }
    state.seen.add(key);
    // Newest first by the station's clock: recent results loaded after a live event
    // arrived fall in behind it.
    const all = (state.last ? [state.last] : []).concat(state.earlier);
    const at = typeof result.at === "number" ? result.at : Infinity;
    let index = all.findIndex((other) => !(typeof other.at === "number" && other.at > at));
    if (index < 0) {
      index = all.length;
    }
    all.splice(index, 0, result);
    state.last = all[0];
    state.earlier = all.slice(1, MAX_HISTORY + 1);
    if (!result.local && result.context) {
      setContext(result.context, typeof result.at === "number" ? result.at : 0);
    }
    render();
    if (sound && index === 0 && outcomeOf(result) === "error") {
      beep();
    }
  }

  function setText(id, value) {
    $(id).textContent = value == null || value === "" ? t("none") : String(value);
  }

  function currentMode() {
    if (state.context && state.context.mode) {
      return state.context.mode;
    }
    return state.last && state.last.mode ? state.last.mode : null;
  }

  function renderContext() {
    const mode = currentMode();
    const banner = $("mode-banner");
    banner.dataset.mode = mode ? String(mode) : "none";
    $("mode").textContent = modeText(mode);
    const context = state.context || {};
    const rows = [
      ["context-operator", context.operator],
      ["context-shelf", context.shelf],
      ["context-borrower", context.borrower],
      ["context-approver", context.approver],
      ["context-receiver", context.receiver],
      ["context-handed", context.handed ? fill("context.handed.count", { n: context.handed }) : null],
    ];
    for (const [id, value] of rows) {
      setText(id, value);
      // Only what this mode holds is shown (the operator always).
      const shown = id === "context-operator" || (value != null && value !== "");
      $(id).hidden = !shown;
      $(id).previousElementSibling.hidden = !shown;
    }
    const progress = $("audit-progress");
    const audit = context.audit && typeof context.audit === "object" ? context.audit : null;
    progress.hidden = !audit;
    progress.textContent = audit
      ? fill("audit.progress", { shelf: audit.shelf, found: audit.found, expected: audit.expected })
      : "";
  }

  function renderQueue() {
    const live = $("live");
    const open = state.live && state.reachable;
    live.dataset.state = open ? "open" : "closed";
    $("live-text").textContent = t(open ? "counter.live.open" : "counter.live.closed");
    // The code being sent while the station answers is not "waiting": the count shows
    // when the station cannot be reached or codes pile up.
    const queue = $("queue");
    const waiting = state.queue.length > 1 || (state.queue.length === 1 && !open);
    queue.hidden = !waiting;
    const warning = $("mode-warning");
    warning.hidden = !state.modeWarning;
    warning.textContent = state.modeWarning
      ? fill("counter.mode_changed", {
        typed: modeText(state.modeWarning.typed),
        now: modeText(state.modeWarning.now),
      })
      : "";
    queue.textContent = waiting
      ? fill("counter.queue", {
        n: state.queue.length,
        codes: state.queue.map((entry) => entry.data).join(" "),
      })
      : "";
  }

  /** The last result's stock-take report: the four lists, each line a box. */
  function renderAudit(result) {
    const section = $("audit-report");
    const report = result && result.audit && typeof result.audit === "object" ? result.audit : null;
    section.hidden = !report;
    if (!report) {
      return;
    }
    const detail = report.detail && typeof report.detail === "object" ? report.detail : {};
    const count = (list) => (Array.isArray(list) ? list.length : 0);
    $("audit-shelf").textContent = report.shelf == null ? "" : String(report.shelf);
    $("audit-summary").textContent = fill("audit.summary", {
      expected: typeof report.expected === "number" ? report.expected : "—",
      present: count(report.present),
    });
    for (const name of ["missing", "misplaced", "unknown", "duplicates"]) {
      const total = count(report[name]);
      const lines = Array.isArray(detail[name]) ? detail[name] : [];
      $("audit-" + name + "-count").textContent = String(total);
      const list = $("audit-" + name);
      Station.clear(list);
      for (const line of lines) {
        if (!line || typeof line !== "object") {
          continue;
        }
        const parts = [el("span", { className: "code", text: line.barcode == null ? "" : line.barcode })];
        if (line.archive_no) {
          parts.push(el("span", { className: "archive-no", text: line.archive_no }));
        }
        if (line.title) {
          parts.push(el("span", { className: "title", text: line.title }));
        }
        if (line.place) {
          parts.push(el("span", { className: "place", text: fill("audit.place", { place: line.place }) }));
        }
        if (line.home && line.home !== line.place) {
          parts.push(el("span", { className: "place", text: fill("audit.home", { home: line.home }) }));
        }
        list.append(el("li", {}, parts));
      }
      if (!lines.length && !total) {
        list.append(el("li", { className: "none", text: t("audit.none") }));
      }
      const more = $("audit-" + name + "-more");
      more.hidden = total <= lines.length;
      more.textContent = total > lines.length ? fill("audit.more", { n: total - lines.length }) : "";
    }
  }

  /**
   * The last result's return check: what was lent, each document with a box to tick when
   * it is missing. The list is rebuilt only for another loan, so ticks survive live
   * updates; the answer of the check route is shown under it.
   */
  function renderCheck(result) {
    const section = $("return-check");
    const check = result && result.check && typeof result.check === "object" ? result.check : null;
    section.hidden = !check;
    if (!check) {
      section.dataset.loan = "";
      return;
    }
    const loan = String(check.loan);
    const documents = Array.isArray(check.documents) ? check.documents : [];
    $("check-box").textContent = check.item == null ? "" : String(check.item);
    $("check-summary").textContent = fill("check.summary", {
      loan,
      archive_no: check.archive_no || "",
      title: check.title || "",
      borrower: check.borrower_name || t("none"),
      count: documents.length,
      pages: typeof check.pages === "number" ? check.pages : "—",
    });
    const slip = $("check-slip");
    slip.hidden = !check.slip_documents;
    slip.textContent = check.slip_documents ? fill("check.slip", { documents: check.slip_documents }) : "";
    const answer = state.checkAnswer && state.checkAnswer.loan === loan ? state.checkAnswer : null;
    $("check-answer").textContent = answer ? answer.text : "";
    $("check-answer").dataset.code = answer ? answer.code : "";
    const closed = Boolean(answer && answer.state === "complete");
    $("check-missing").disabled = closed;
    $("check-complete").disabled = closed;
    // Rebuilt for another loan (or another language), keeping what was ticked.
    const words = t("check.missing");
    if (section.dataset.loan === loan && section.dataset.words === words) {
      return;
    }
    const missing = new Set(Array.isArray(check.missing) ? check.missing.map(Number) : []);
    if (section.dataset.loan === loan) {
      for (const box of $("check-list").querySelectorAll("input[type=checkbox]")) {
        if (box.checked) {
          missing.add(Number(box.dataset.position));
        }
      }
    } else {
      $("check-note").value = "";
    }
    section.dataset.loan = loan;
    section.dataset.words = words;
    const list = $("check-list");
    Station.clear(list);
    for (const doc of documents) {
      if (!doc || typeof doc !== "object") {
        continue;
      }
      const position = Number(doc.position);
      const id = "check-doc-" + position;
      const box = el("input", { attrs: { type: "checkbox", id, "data-position": String(position) } });
      box.checked = missing.has(position);
      const parts = [
        box,
        el("label", { attrs: { for: id }, text: t("check.missing") }),
        el("span", { className: "position", text: String(position) + "." }),
        el("span", { className: "name", text: doc.name == null ? "" : String(doc.name) }),
        el("span", { className: "pages", text: fill("check.pages", { pages: doc.pages }) }),
      ];
      if (doc.original === false) {
        parts.push(el("span", { className: "copy", text: t("check.copy") }));
      }
      list.append(el("li", { attrs: { "data-position": String(position) } }, parts));
    }
  }

  /** Sends the check of the shown return: the ticked documents are missing. */
  async function sendCheck(all) {
    const section = $("return-check");
    const loan = section.dataset.loan;
    if (!loan) {
      return;
    }
    const missing = all
      ? []
      : Array.from($("check-list").querySelectorAll("input[type=checkbox]"))
        .filter((box) => box.checked)
        .map((box) => Number(box.dataset.position));
    const note = $("check-note").value.trim();
    const body = { missing };
    if (note) {
      body.note = note;
    }
    try {
      const answer = await api("/api/v1/loans/" + encodeURIComponent(loan) + "/check", { method: "POST", body });
      state.checkAnswer = {
        loan,
        state: answer && answer.state,
        code: answer && answer.code ? String(answer.code) : "",
        text: pick(answer && answer.message),
      };
      if (all) {
        for (const box of $("check-list").querySelectorAll("input[type=checkbox]")) {
          box.checked = false;
        }
      }
    } catch (error) {
      state.checkAnswer = {
        loan,
        state: "error",
        code: error && error.code ? String(error.code) : "",
        text: error && error.bilingual ? pick(error.bilingual) : String(error),
      };
    }
    render();
    scanField.focus();
  }

  function render() {
    renderContext();
    renderQueue();
    renderAudit(state.last);
    renderCheck(state.last);

    const result = state.last;
    const panel = $("result");
    if (!result) {
      panel.className = "result outcome-none";
      panel.dataset.code = "";
      $("result-outcome").textContent = t("counter.waiting");
    } else {
      const outcome = outcomeOf(result);
      const item = result.item && typeof result.item === "object" ? result.item : {};
      panel.className = "result outcome-" + outcome;
      panel.dataset.code = result.code == null ? "" : String(result.code);
      $("result-outcome").textContent = t("outcome." + outcome);
      $("result-input").textContent = result.input == null ? "" : String(result.input);
      $("result-time").textContent = Station.formatTime(result.at);
      $("result-message").textContent = pick(result.message);
      setText("result-archive-no", item.archive_no);
      setText("result-title", item.title);
      setText("result-place", item.place);
      $("result-status").textContent = item.status ? Station.statusText(item.status) : t("none");
      setText("result-holder", item.holder);
      setText("result-due", item.due);
    }

    const list = $("history");
    Station.clear(list);
    for (const earlier of state.earlier) {
      const outcome = outcomeOf(earlier);
      const item = earlier.item && typeof earlier.item === "object" ? earlier.item : {};
      const parts = [
        el("span", { className: "badge", text: t("outcome." + outcome) }),
        el("span", { className: "time", text: Station.formatTime(earlier.at) }),
        el("span", { className: "code", text: earlier.input == null ? "" : earlier.input }),
        el("span", { className: "message", text: pick(earlier.message) }),
      ];
      if (item.archive_no) {
        parts.push(el("span", { className: "archive-no", text: item.archive_no }));
      }
      list.append(el("li", { className: "outcome-" + outcome }, parts));
    }
  }

  /** A failure of our own (the request never became a scan) shown like a refused scan. */
  function showLocalError(input, error) {
    show({
      workstation: workstation(),
      input,
      outcome: "error",
      mode: currentMode(),
      message: error.bilingual || { zh: String(error), en: String(error) },
      item: null,
      audit: null,
      at: Date.now(),
      local: true,
    });
  }

  // ---- the live stream -----------------------------------------------------------------

  function disconnect() {
    if (state.retry) {
      clearTimeout(state.retry);
      state.retry = null;
    }
    if (state.source) {
      state.source.close();
      state.source = null;
    }
    state.live = false;
  }

  function connect() {
    disconnect();
    // Pages signed in with a token name it in the address (EventSource sends no headers);
    // a session cookie goes by itself.
    const token = typeof Station.token === "function" ? Station.token() : "";
    const url = "/api/v1/live?workstation=" + encodeURIComponent(workstation()) +
      (token ? "&token=" + encodeURIComponent(token) : "");
    const source = new EventSource(url);
    state.source = source;
    source.addEventListener("open", () => {
      state.live = true;
      state.reachable = true;
      render();
      // Back (or first) online: what happened meanwhile, the context now, then the codes
      // kept while the station could not be reached.
      loadRecent().then(loadContext).then(flush);
    });
    source.addEventListener("scan", (event) => {
      let result;
      try {
        result = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      show(result);
    });
    source.addEventListener("error", () => {
      // The stream dropped: the station stopped or cannot be reached. Red at once.
      state.live = false;
      render();
      // A dropped connection is retried by the browser itself; a refused one (the token
      // was revoked, the station answered an error) closes, and is retried here: the
      // recent-results call then tells a revoked token apart and signs out.
      if (source.readyState === EventSource.CLOSED && state.source === source) {
        state.retry = setTimeout(connect, RECONNECT_MS);
      }
    });
  }

  /** The workstation's recent results: the list after a reload. */
  async function loadRecent() {
    const asked = workstation();
    let recent;
    try {
      recent = await api("/api/v1/scans/recent?limit=" + (MAX_HISTORY + 1) +
        "&workstation=" + encodeURIComponent(asked));
    } catch (error) {
      failed(error);
      return;
    }
    reached();
    if (asked !== workstation() || !Array.isArray(recent)) {
      return;
    }
    for (const result of recent) {
      show(result, { sound: false });
    }
  }

  /** The workstation's context as the station holds it now (after a reload, a restart). */
  async function loadContext() {
    const asked = workstation();
    let list;
    try {
      list = await api("/api/v1/workstations");
    } catch (error) {
      failed(error);
      return;
    }
    reached();
    const mine = Array.isArray(list) ? list.find((entry) => entry && entry.name === asked) : null;
    if (mine && asked === workstation()) {
      setContext(mine.context, latestAt());
      render();
    }
  }

  function resetView() {
    state.seen.clear();
    state.last = null;
    state.earlier = [];
    state.context = null;
    state.contextAt = -Infinity;
    render();
  }

  // ---- scanning and the keyboard -------------------------------------------------------

  function submitScan() {
    const text = scanField.value.trim();
    scanField.value = "";
    scanField.focus();
    if (text) {
      enqueue(text);
    }
  }

  function renderCards() {
    const box = $("card-buttons");
    Station.clear(box);
    for (const [name, code] of CARDS) {
      const button = el("button", {
        className: "mode-card",
        text: t("card." + name),
        attrs: { type: "button", "data-card": name, "data-mode": name },
      });
      button.addEventListener("click", () => {
        enqueue(code);
        scanField.focus();
      });
      box.append(button);
    }
  }

  $("check-missing").addEventListener("click", () => sendCheck(false));
  $("check-complete").addEventListener("click", () => sendCheck(true));
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitScan();
  });
  scanField.addEventListener("keydown", (event) => {
    wakeAudio();
    // Scanners programmed with a Tab suffix: treat it as the end of the code.
    if (event.key === "Tab" && scanField.value.trim()) {
      event.preventDefault();
      submitScan();
    }
  });
  // The shortcuts listed on the page: F2 the command cards, F4 UNDO, F8 DONE, F9 CANCEL,
  // Esc clears the field.
  document.addEventListener("keydown", (event) => {
    if ($("app").hidden) {
      return;
    }
    if (event.key === "F2") {
      event.preventDefault();
      $("cards").hidden = !$("cards").hidden;
      scanField.focus();
    } else if (Object.prototype.hasOwnProperty.call(SHORTCUTS, event.key)) {
      event.preventDefault();
      enqueue(SHORTCUTS[event.key]);
      scanField.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      scanField.value = "";
      $("cards").hidden = true;
      scanField.focus();
    }
  });
  // Keep the focus in the scan field: clicks elsewhere on the page and blurs that leave
  // nothing focused bring it back; the workstation choice stays usable.
  scanField.addEventListener("blur", () => {
    setTimeout(() => {
      const active = document.activeElement;
      if (!$("app").hidden && (!active || active === document.body)) {
        scanField.focus();
      }
    }, 0);
  });
  document.addEventListener("click", (event) => {
    if ($("app").hidden) {
      return;
    }
    const target = event.target;
    if (!(target instanceof Element) || !target.closest("input, select, textarea, label")) {
      scanField.focus();
    }
  });
  workstationField.addEventListener("change", () => {
    localStorage.setItem(WORKSTATION_KEY, workstation());
    resetView();
    connect();
    loadContext();
    scanField.focus();
  });
  // Another tab of this page may have sent the queue meanwhile.
  window.addEventListener("storage", (event) => {
    if (event.key === QUEUE_KEY) {
      state.queue = loadQueue();
      render();
    }
  });

  Station.onLanguage(() => {
    renderCards();
    render();
  });
  Station.init({
    onLogin: async () => {
      resetView();
      await loadWorkstations();
      connect();
      render();
      flush();
      scanField.focus();
    },
    onLogout: () => {
      disconnect();
      resetView();
    },
  });
  renderCards();
  render();
})();
