// The 待办 page (issue #14): the signed-in person's pending archive tasks with their
// state (正常 / 预警 / 超期, in words and colour), due time and the one-click step that is
// theirs; supervisors switch to the archive room's or everyone's open tasks, sorted by
// lateness (most late first) or by due date. Everything the station answers goes into
// the page as text.
(() => {
  "use strict";
  const { $, el } = Station;

  Station.addTexts({
    "tasks.title": ["档案工作站 · 待办", "Archive station · My work"],
    "tasks.heading.mine": ["我的待办", "My pending work"],
    "tasks.heading.room": ["库房的待办", "The archive room's pending work"],
    "tasks.heading.all": ["全部待办（团队）", "Everyone's pending work (team)"],
    "tasks.scope": ["范围", "Show"],
    "tasks.scope.mine": ["我的", "mine"],
    "tasks.scope.room": ["库房", "archive room"],
    "tasks.scope.all": ["全部（团队）", "everyone (team)"],
    "tasks.sort": ["排序", "Sort"],
    "tasks.sort.late": ["超期最久在前", "most late first"],
    "tasks.sort.due": ["按截止时间（最早在前）", "by due date (earliest first)"],
    "tasks.sort.due_desc": ["按截止时间（最晚在前）", "by due date (latest first)"],
    "tasks.reload": ["刷新", "Refresh"],
    "tasks.col.customer": ["客户 / 档案号 / 档案盒", "Customer / archive no. / box"],
    "tasks.col.business": ["业务环节", "Business step"],
    "tasks.col.step": ["当前步骤", "Current step"],
    "tasks.col.owner": ["负责", "Whose"],
    "tasks.col.due": ["截止", "Due"],
    "tasks.col.state": ["状态", "State"],
    "tasks.col.action": ["操作", "Action"],
    "tasks.empty": ["没有待办的档案工作。", "No pending archive work."],
    "tasks.summary": ["共 {total} 项：超期 {overdue} · 预警 {warning} · 正常 {normal}",
      "{total} in all: {overdue} overdue · {warning} warning · {normal} normal"],
    "tasks.state.normal": ["正常", "normal"],
    "tasks.state.warning": ["预警", "warning"],
    "tasks.state.overdue": ["超期", "overdue"],
    "tasks.late": ["已超期 {time}", "{time} late"],
    "tasks.left": ["剩余 {time}", "{time} left"],
    "tasks.days": ["{d} 天 {h} 小时", "{d} d {h} h"],
    "tasks.hours": ["{h} 小时 {m} 分", "{h} h {m} min"],
    "tasks.minutes": ["{m} 分钟", "{m} min"],
    "tasks.room": ["库房", "archive room"],
    "tasks.me": ["我", "me"],
    "tasks.do": ["完成：{step}", "Done: {step}"],
    "tasks.done": ["任务 {id}「{step}」已完成", "Task {id}: “{step}” done"],
    "tasks.refused": ["任务 {id}：{message}", "Task {id}: {message}"],
  });

  let tasks = [];
  // What the page says last: {key, values} or a refusal {id, message, code}.
  let said = null;

  function fill(key, values) {
    let text = Station.t(key);
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function duration(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    const hours = Math.floor(minutes / 60);
    if (hours >= 24) {
      return fill("tasks.days", { d: Math.floor(hours / 24), h: hours % 24 });
    }
    if (hours >= 1) {
      return fill("tasks.hours", { h: hours, m: minutes % 60 });
    }
    return fill("tasks.minutes", { m: minutes });
  }

  function scope() {
    return $("scope").value;
  }

  function sorted() {
    const due = (task) => (typeof task.due_at === "number" ? task.due_at : Number.MAX_SAFE_INTEGER);
    const list = tasks.slice();
    if ($("sort").value === "due-desc") {
      list.sort((a, b) => due(b) - due(a) || b.id - a.id);
    } else if ($("sort").value === "due") {
      list.sort((a, b) => due(a) - due(b) || a.id - b.id);
    } else {
      const late = (task) => (typeof task.late_ms === "number" ? task.late_ms : Number.MIN_SAFE_INTEGER);
      list.sort((a, b) => late(b) - late(a) || a.id - b.id);
    }
    return list;
  }

  function cell(labelKey, children) {
    return el("td", { attrs: { "data-label": Station.t(labelKey) } }, children);
  }

  function ownerText(task) {
    const me = Station.person();
    // My own steps (their owner's badge may come masked to a clerk).
    if (scope() === "mine") {
      return Station.t("tasks.me");
    }
    if (!task.owner) {
      return Station.t("tasks.room");
    }
    if (me && task.owner === me.barcode) {
      return Station.t("tasks.me");
    }
    return task.owner;
  }

  function row(task) {
    const label = task.step_label || { zh: task.step, en: task.step };
    const other = Station.language() === "en" ? label.zh : label.en;
    const subject = [task.customer, task.archive_no, task.box].map((part) => part || Station.t("none")).join(" / ");
    const late = typeof task.late_ms === "number" ? task.late_ms : 0;
    const button = el("button", {
      className: "primary",
      text: fill("tasks.do", { step: Station.pick(label) }),
      attrs: { type: "button", "data-task": task.id, "data-step": task.step },
    });
    button.addEventListener("click", () => advance(task, button));
    return el("tr", { attrs: { "data-task": task.id, "data-state": task.state || "", "data-step": task.step } }, [
      cell("tasks.col.customer", [el("span", { text: subject })]),
      cell("tasks.col.business", [el("span", { text: task.business_step })]),
      cell("tasks.col.step", [
        el("span", { className: "step", text: Station.pick(label) }),
        el("span", { className: "other", text: other, attrs: { lang: Station.language() === "en" ? "zh-CN" : "en" } }),
      ]),
      cell("tasks.col.owner", [el("span", { text: ownerText(task) })]),
      cell("tasks.col.due", [
        el("span", { className: "due", text: task.due || Station.t("none") }),
        " ",
        el("span", {
          className: "late",
          text: fill(late >= 0 ? "tasks.late" : "tasks.left", { time: duration(late) }),
          attrs: { "data-late": String(late >= 0) },
        }),
      ]),
      cell("tasks.col.state", [el("span", {
        className: "state-badge",
        text: Station.t("tasks.state." + (task.state || "normal")),
        attrs: { "data-state": task.state || "" },
      })]),
      cell("tasks.col.action", [button]),
    ]);
  }

  function render() {
    $("tasks-heading").textContent = Station.t("tasks.heading." + scope());
    const count = (state) => tasks.filter((task) => task.state === state).length;
    $("tasks-summary").textContent = fill("tasks.summary", {
      total: tasks.length, overdue: count("overdue"), warning: count("warning"), normal: count("normal"),
    });
    $("tasks").replaceChildren(...sorted().map(row));
    $("tasks-empty").hidden = tasks.length > 0;
    $("tasks-table").hidden = tasks.length === 0;
    const status = $("tasks-status");
    if (!said) {
      status.textContent = "";
      delete status.dataset.code;
      return;
    }
    if (said.code) {
      status.textContent = fill("tasks.refused", { id: said.id, message: Station.pick(said.message) }) + " (" + said.code + ")";
      status.dataset.code = said.code;
      status.className = "problem";
    } else {
      status.textContent = fill(said.key, said.values);
      delete status.dataset.code;
      status.className = "status";
    }
  }

  async function load() {
    try {
      const answer = await Station.api("GET", "/api/v1/tasks?scope=" + encodeURIComponent(scope()));
      tasks = Array.isArray(answer) ? answer : [];
    } catch (error) {
      tasks = [];
      said = { id: "—", message: error.bilingual, code: error.code };
    }
    render();
  }

  async function advance(task, button) {
    button.disabled = true;
    const label = task.step_label || { zh: task.step, en: task.step };
    try {
      await Station.api("POST", "/api/v1/tasks/" + encodeURIComponent(task.id) + "/advance", { step: task.step });
      said = { key: "tasks.done", values: { id: task.id, step: Station.pick(label) } };
    } catch (error) {
      said = { id: task.id, message: error.bilingual, code: error.code };
    }
    await load();
    Station.refreshInbox();
  }

  // Only supervisors and administrators see everyone's open tasks.
  function showForRole() {
    const who = Station.person();
    const team = !!who && (who.role === "supervisor" || who.role === "admin");
    const all = $("scope").querySelector("option[value='all']");
    all.hidden = !team;
    all.disabled = !team;
    if (!team && scope() === "all") {
      $("scope").value = "mine";
    }
  }

  $("scope").addEventListener("change", () => {
    said = null;
    load();
  });
  $("sort").addEventListener("change", render);
  $("tasks-reload").addEventListener("click", load);
  Station.onLanguage(render);

  Station.init({
    onLogin: () => {
      showForRole();
      said = null;
      load();
    },
    onLogout: () => {
      tasks = [];
      said = null;
      render();
    },
  });
})();
