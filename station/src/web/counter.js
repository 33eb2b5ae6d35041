// The counter page: a scan field that keeps focus (so a keyboard-wedge scanner works), the
// workstation's results live over Server-Sent Events, the last one large and coloured, a
// beep for errors.
"use strict";

(() => {
  const { $, el, t, pick, api } = Station;
  const WORKSTATION_KEY = "station.workstation";
  const MAX_HISTORY = 12;
  const RECONNECT_MS = 3000;

  Station.addTexts({
    "counter.title": ["档案工作站 · 柜台", "Archive station · Counter"],
    "counter.workstation": ["工作站", "Workstation"],
    "counter.mode": ["当前模式", "Mode"],
    "counter.scan": ["扫描或输入条码，按回车", "Scan or type a code, then Enter"],
    "counter.scan.placeholder": ["扫描条码…", "scan a code…"],
    "counter.waiting": ["等待扫描", "waiting for a scan"],
    "counter.earlier": ["此前的扫描", "Earlier scans"],
    "counter.live.open": ["实时连接", "live"],
    "counter.live.closed": ["未连接", "not connected"],
    "counter.sending": ["正在发送…", "sending…"],
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
    "field.archive_no": ["档案号", "Archive no."],
    "field.title": ["题名", "Title"],
    "field.place": ["位置", "Place"],
    "field.status": ["状态", "Status"],
    "field.holder": ["借阅人", "Holder"],
    "field.due": ["应还日期", "Due"],
  });

  const state = {
    source: null,
    retry: null,
    seen: new Set(),
    last: null,
    earlier: [],
    mode: null,
    live: false,
    beeps: 0,
  };
  const scanField = $("scan");
  const workstationField = $("workstation");
  workstationField.value = localStorage.getItem(WORKSTATION_KEY) || "counter";

  function workstation() {
    return workstationField.value.trim() || "counter";
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
    if (state.last.mode) {
      state.mode = state.last.mode;
    }
    render();
    if (sound && index === 0 && outcomeOf(result) === "error") {
      beep();
    }
  }

  function setText(id, value) {
    $(id).textContent = value == null || value === "" ? t("none") : String(value);
  }

  function render() {
    $("mode").textContent = modeText(state.mode);
    const live = $("live");
    live.dataset.state = state.live ? "open" : "closed";
    $("live-text").textContent = t(state.live ? "counter.live.open" : "counter.live.closed");

    const result = state.last;
    const panel = $("result");
    if (!result) {
      panel.className = "result outcome-none";
      $("result-outcome").textContent = t("counter.waiting");
    } else {
      const outcome = outcomeOf(result);
      const item = result.item && typeof result.item === "object" ? result.item : {};
      panel.className = "result outcome-" + outcome;
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
      mode: state.mode,
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
    const url = "/api/v1/live?workstation=" + encodeURIComponent(workstation()) +
      "&token=" + encodeURIComponent(Station.token());
    const source = new EventSource(url);
    state.source = source;
    source.addEventListener("open", () => {
      state.live = true;
      render();
      loadRecent();
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

  /** The workstation's recent results: the current mode and the list after a reload. */
  async function loadRecent() {
    const asked = workstation();
    let recent;
    try {
      recent = await api("/api/v1/scans/recent?limit=" + (MAX_HISTORY + 1) +
        "&workstation=" + encodeURIComponent(asked));
    } catch (_) {
      return;
    }
    if (asked !== workstation() || !Array.isArray(recent)) {
      return;
    }
    for (const result of recent) {
      show(result, { sound: false });
    }
  }

  function resetView() {
    state.seen.clear();
    state.last = null;
    state.earlier = [];
    state.mode = null;
    render();
  }

  // ---- scanning ------------------------------------------------------------------------

  async function submitScan() {
    const text = scanField.value.trim();
    scanField.value = "";
    scanField.focus();
    if (!text) {
      return;
    }
    try {
      const result = await api("/api/v1/scans", {
        method: "POST",
        body: { workstation: workstation(), data: text },
      });
      show(result); // usually the live event was first and this is a no-op
    } catch (error) {
      if (error.status !== 401) {
        showLocalError(text, error);
      }
    }
  }

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
  // Keep the focus in the scan field: clicks elsewhere on the page and blurs that leave
  // nothing focused bring it back; the other fields stay usable.
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
    scanField.focus();
  });

  Station.onLanguage(render);
  Station.init({
    onLogin: () => {
      resetView();
      connect();
      scanField.focus();
    },
    onLogout: () => {
      disconnect();
      resetView();
    },
  });
  render();
})();
