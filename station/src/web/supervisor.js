// The supervisor page: find a box by barcode, archive number or customer, see its place,
// status, holder and history; see what stands on a shelf; see the devices' state.
"use strict";

(() => {
  const { $, el, t, pick, api, apiAll } = Station;
  const BARCODE = /^[A-Za-z][0-9]{10}$/;

  Station.addTexts({
    "supervisor.title": ["档案工作站 · 主管", "Archive station · Supervisor"],
    "find.title": ["查找档案盒", "Find a box"],
    "find.by": ["按", "By"],
    "find.by.auto": ["自动识别", "detect"],
    "find.by.barcode": ["条码", "barcode"],
    "find.by.archive_no": ["档案号", "archive number"],
    "find.by.customer": ["客户名称（前缀）", "customer (prefix)"],
    "find.placeholder": ["条码、档案号或客户名称", "barcode, archive number or customer"],
    "find.button": ["查找", "Find"],
    "find.empty": ["请输入要查找的内容", "enter what to look for"],
    "find.searching": ["正在查找…", "searching…"],
    "find.none": ["没有找到", "nothing found"],
    "find.count": ["找到 {n} 个", "{n} found"],
    "find.more": ["（只显示前 {n} 个）", "(showing the first {n})"],
    "find.not_box": ["这个条码不是档案盒或权证", "this barcode is not a box or a certificate"],
    "open": ["查看", "Open"],
    "detail.title": ["档案盒", "Box"],
    "detail.open_shelf": ["查看此层位", "show this shelf"],
    "detail.holder_from_history": ["（据历史记录）", "(from the history)"],
    "field.barcode": ["条码", "Barcode"],
    "field.kind": ["类型", "Kind"],
    "field.archive_no": ["档案号", "Archive no."],
    "field.title": ["题名", "Title"],
    "field.customer": ["客户", "Customer"],
    "field.category": ["类别", "Category"],
    "field.year": ["年度", "Year"],
    "field.retention": ["保管期限", "Retention"],
    "field.status": ["状态", "Status"],
    "field.place": ["位置", "Place"],
    "field.home": ["应在位置", "Home"],
    "field.holder": ["借阅人", "Holder"],
    "field.due": ["应还日期", "Due"],
    "history.title": ["历史", "History"],
    "history.at": ["时间", "When"],
    "history.kind": ["事件", "Event"],
    "history.station": ["工作站", "Station"],
    "history.actor": ["操作人", "Actor"],
    "history.changes": ["变更", "Changes"],
    "history.none": ["没有记录", "no events"],
    "shelf.title": ["层位视图", "Shelf view"],
    "shelf.barcode": ["层位条码", "Shelf barcode"],
    "shelf.button": ["查看", "Show"],
    "shelf.empty": ["这个位置是空的", "nothing stands here"],
    "shelf.count": ["共 {n} 件", "{n} items"],
    "devices.title": ["设备状态", "Devices"],
    "devices.refresh": ["刷新", "Refresh"],
    "devices.none": ["没有配置设备", "no devices configured"],
    "devices.name": ["名称", "Name"],
    "devices.kind": ["类型", "Kind"],
    "devices.workstation": ["工作站", "Workstation"],
    "devices.port": ["端口", "Port"],
    "devices.connected": ["连接", "Connected"],
    "devices.since": ["自", "Since"],
    "devices.last_scan": ["最近扫描", "Last scan"],
    "devices.last_problem": ["最近问题", "Last problem"],
    "devices.problem_since": ["起于", "since"],
    "devices.problem_ended": ["已于此时恢复", "over; recovered"],
    "devices.yes": ["已连接", "connected"],
    "devices.no": ["未连接", "disconnected"],
    "devices.disabled": ["已停用", "disabled"],
    "overdue.title": ["逾期借阅", "Overdue loans"],
    "handovers.title": ["逾期移交", "Late handovers"],
    "overdue.none": ["没有逾期借阅", "no overdue loans"],
    "overdue.archive_no": ["档案号", "Archive no."],
    "overdue.item_title": ["题名", "Title"],
    "overdue.borrower": ["借阅人", "Borrower"],
    "overdue.due": ["应还日期", "Due"],
    "handovers.none": ["没有逾期或今日到期的移交", "no late handovers, none due today"],
    "handovers.id": ["移交单", "Handover"],
    "handovers.items": ["档案", "Items"],
    "handovers.deadline": ["期限", "Deadline"],
    "handovers.state": ["状态", "State"],
    "handovers.warning": ["今日到期", "due today"],
    "handovers.overdue": ["已逾期", "overdue"],
    "event.Registered": ["登记", "registered"],
    "event.Imported": ["导入", "imported"],
    "event.Edited": ["修改", "edited"],
    "event.Moved": ["移动", "moved"],
    "event.LoanOpened": ["借出", "lent"],
    "event.LoanApproved": ["批准借阅", "loan approved"],
    "event.LoanReturned": ["归还", "returned"],
    "event.HandoverStarted": ["开始移交", "handover started"],
    "event.HandoverConfirmed": ["确认移交", "handover confirmed"],
    "event.StatusChanged": ["状态变更", "status changed"],
    "event.NumberAllocated": ["分配档案号", "number allocated"],
    "event.Undone": ["撤销", "undone"],
    "event.FlaggedMissing": ["标记缺失", "flagged missing"],
    "event.PrintQueued": ["加入打印队列", "print queued"],
    "event.PrintDelayed": ["打印延迟", "print delayed"],
    "event.Printed": ["已打印", "printed"],
    "event.PrintCancelled": ["取消打印", "print cancelled"],
    "event.AccessDenied": ["拒绝访问", "access denied"],
    "change.place": ["位置", "place"],
    "change.status": ["状态", "status"],
    "change.borrower": ["借阅人", "borrower"],
    "change.due": ["应还日期", "due"],
    "change.title": ["题名", "title"],
    "change.customer": ["客户", "customer"],
    "change.archive_no": ["档案号", "archive no."],
    "change.job": ["打印任务", "print job"],
    "change.attempts": ["尝试次数", "attempts"],
    "change.reprint": ["重印（原任务：原因）", "reprint (of job: reason)"],
    "change.redelivery": ["重新投递，第几次投递（可能重复打印）", "re-delivery, delivery no. (may have printed twice)"],
    "change.interrupted": ["此前中断的投递", "earlier deliveries interrupted"],
  });

  const view = {
    search: null, // {kind: "status"|"error", key|message, n}
    results: [],
    item: null,
    holder: null,
    history: null,
    historyError: null,
    shelf: null, // {barcode, path, items, error}
    devices: null,
    devicesError: null,
  };

  const none = () => t("none");
  const fill = (template, n) => template.replace("{n}", String(n));
  const orNone = (value) => (value == null || value === "" ? none() : String(value));

  function statusLine(node, entry) {
    if (!entry) {
      node.textContent = "";
      node.classList.remove("problem");
      return;
    }
    node.classList.toggle("problem", Boolean(entry.error));
    node.textContent = entry.error ? pick(entry.error) : entry.text();
  }

  // ---- search --------------------------------------------------------------------------

  async function search(by, text) {
    view.results = [];
    view.item = null;
    view.search = { text: () => t("find.searching") };
    render();
    try {
      let boxes = [];
      const mode = by === "auto" ? (BARCODE.test(text) ? "barcode" : "archive_no") : by;
      if (mode === "barcode") {
        const item = await api("/api/v1/items/" + encodeURIComponent(text.toUpperCase()));
        if (item && item.kind === "location") {
          view.search = null;
          render();
          $("shelf-barcode").value = item.barcode;
          await showShelf(item.barcode);
          return;
        }
        if (!item || (item.kind !== "box" && item.kind !== "certificate")) {
          view.search = { text: () => t("find.not_box") };
          render();
          return;
        }
        boxes = [item];
      } else if (mode === "archive_no") {
        boxes = await api("/api/v1/boxes?archive_no=" + encodeURIComponent(text));
        if (by === "auto" && Array.isArray(boxes) && boxes.length === 0) {
          boxes = await api("/api/v1/boxes?limit=50&customer=" + encodeURIComponent(text));
        }
      } else {
        boxes = await api("/api/v1/boxes?limit=50&customer=" + encodeURIComponent(text));
      }
      view.results = Array.isArray(boxes) ? boxes : [];
      const n = view.results.length;
      view.search = n === 0
        ? { text: () => t("find.none") }
        : { text: () => fill(t("find.count"), n) + (n >= 50 ? " " + fill(t("find.more"), 50) : "") };
      render();
      if (n === 1) {
        await openItem(view.results[0]);
      }
    } catch (error) {
      view.search = { error: error.bilingual };
      render();
    }
  }

  // ---- one box -------------------------------------------------------------------------

  async function openItem(item) {
    view.item = item;
    view.holder = null;
    view.history = null;
    view.historyError = null;
    render();
    let events;
    try {
      events = await apiAll("/api/v1/items/" + encodeURIComponent(item.barcode) + "/history");
    } catch (error) {
      if (view.item === item) {
        view.historyError = error.bilingual;
        render();
      }
      return;
    }
    if (view.item !== item) {
      return;
    }
    view.history = Array.isArray(events) ? events : [];
    // The item API has no holder yet: the open loan's borrower and due date are the
    // latest ones its history recorded.
    if (item.status === "on loan") {
      const holder = {};
      for (const event of view.history) {
        for (const change of event.changes || []) {
          if (change.field === "borrower" && change.after) {
            holder.barcode = change.after;
            holder.name = null;
          }
          if (change.field === "due" && change.after) {
            holder.due = change.after;
          }
        }
      }
      view.holder = holder.barcode ? holder : null;
      if (view.holder) {
        try {
          const person = await api("/api/v1/items/" + encodeURIComponent(holder.barcode));
          holder.name = person && person.name ? person.name : null;
        } catch (_) {
          // the barcode alone still says who
        }
      }
    }
    render();
  }

  function renderDetail() {
    const item = view.item;
    $("detail").hidden = !item;
    if (!item) {
      return;
    }
    $("detail-barcode").textContent = orNone(item.barcode);
    $("detail-archive-no").textContent = orNone(item.archive_no);
    $("detail-title").textContent = orNone(item.title);
    $("detail-customer").textContent = orNone(item.customer);
    $("detail-category").textContent = orNone(item.category);
    $("detail-year").textContent = orNone(item.year);
    $("detail-retention").textContent = orNone(item.retention);
    $("detail-status").textContent = Station.statusText(item.status);
    $("detail-place").textContent = item.place ? orNone(item.place.path || item.place.barcode) : none();
    $("detail-place-shelf").hidden = !(item.place && item.place.barcode);
    $("detail-home").textContent = item.home ? orNone(item.home.path || item.home.barcode) : none();
    const holder = view.holder;
    if (holder) {
      const who = holder.name ? holder.name + " (" + holder.barcode + ")" : holder.barcode;
      $("detail-holder").textContent = who + " " + t("detail.holder_from_history");
      $("detail-due").textContent = orNone(holder.due);
    } else {
      $("detail-holder").textContent = none();
      $("detail-due").textContent = none();
    }

    const body = $("history").tBodies[0];
    Station.clear(body);
    if (view.historyError) {
      statusLine($("history-status"), { error: view.historyError });
    } else if (view.history && view.history.length === 0) {
      statusLine($("history-status"), { text: () => t("history.none") });
    } else {
      statusLine($("history-status"), null);
    }
    for (const event of (view.history || []).slice().reverse()) {
      const changes = el("ul", { className: "changes" });
      for (const change of event.changes || []) {
        const value = (v) => (v == null ? none() : change.field === "status" ? Station.statusText(v) : String(v));
        changes.append(el("li", {
          text: Station.tOr("change." + change.field, String(change.field)) + ": " +
            value(change.before) + " → " + value(change.after),
        }));
      }
      body.append(el("tr", {}, [
        el("td", { text: orNone(event.seq) }),
        el("td", { text: Station.formatTime(event.at) }),
        el("td", { text: Station.tOr("event." + event.kind, orNone(event.kind)) }),
        el("td", { text: orNone(event.station) }),
        el("td", { text: orNone(event.actor) }),
        el("td", {}, [changes]),
      ]));
    }
  }

  function renderResults() {
    statusLine($("search-status"), view.search);
    const table = $("search-results");
    const body = table.tBodies[0];
    Station.clear(body);
    table.hidden = view.results.length === 0;
    for (const item of view.results) {
      const open = el("button", { className: "link", text: t("open"), attrs: { type: "button" } });
      open.addEventListener("click", () => openItem(item));
      const row = el("tr", {}, [
        el("td", { text: orNone(item.archive_no) }),
        el("td", { text: orNone(item.title) }),
        el("td", { text: orNone(item.customer) }),
        el("td", { text: Station.statusText(item.status) }),
        el("td", { text: item.place ? orNone(item.place.path) : none() }),
        el("td", {}, [open]),
      ]);
      if (view.item === item) {
        row.className = "chosen";
      }
      body.append(row);
    }
  }

  // ---- shelf ---------------------------------------------------------------------------

  async function showShelf(barcode) {
    const shelf = { barcode, path: null, items: null, error: null };
    view.shelf = shelf;
    render();
    try {
      const location = await api("/api/v1/items/" + encodeURIComponent(barcode));
      shelf.path = location && location.path ? location.path : null;
      const items = await apiAll("/api/v1/locations/" + encodeURIComponent(barcode) + "/items");
      shelf.items = Array.isArray(items) ? items : [];
    } catch (error) {
      shelf.error = error.bilingual;
    }
    if (view.shelf === shelf) {
      render();
    }
  }

  function renderShelf() {
    const shelf = view.shelf;
    const table = $("shelf-items");
    const body = table.tBodies[0];
    Station.clear(body);
    $("shelf-path").textContent = shelf && shelf.path ? shelf.path : "";
    if (!shelf) {
      statusLine($("shelf-status"), null);
      table.hidden = true;
      return;
    }
    if (shelf.error) {
      statusLine($("shelf-status"), { error: shelf.error });
    } else if (shelf.items) {
      const n = shelf.items.length;
      statusLine($("shelf-status"), { text: () => (n === 0 ? t("shelf.empty") : fill(t("shelf.count"), n)) });
    } else {
      statusLine($("shelf-status"), null);
    }
    table.hidden = !(shelf.items && shelf.items.length);
    for (const item of shelf.items || []) {
      const cells = [
        el("td", { className: "code", text: orNone(item.barcode) }),
        el("td", { text: Station.tOr("kind." + item.kind, orNone(item.kind)) }),
        el("td", { text: orNone(item.archive_no) }),
        el("td", { text: orNone(item.title || item.name) }),
        el("td", { text: Station.statusText(item.status) }),
      ];
      const action = el("td");
      if (item.kind === "box" || item.kind === "certificate") {
        const open = el("button", { className: "link", text: t("open"), attrs: { type: "button" } });
        open.addEventListener("click", () => {
          view.results = [];
          view.search = null;
          openItem(item);
          $("detail").scrollIntoView();
        });
        action.append(open);
      }
      cells.push(action);
      body.append(el("tr", {}, cells));
    }
  }

  // ---- devices -------------------------------------------------------------------------

  async function loadDevices() {
    try {
      const devices = await apiAll("/api/v1/devices");
      view.devices = Array.isArray(devices) ? devices : [];
      view.devicesError = null;
    } catch (error) {
      view.devicesError = error.bilingual;
    }
    render();
  }

  function renderDevices() {
    const table = $("devices");
    const body = table.tBodies[0];
    Station.clear(body);
    if (view.devicesError) {
      statusLine($("devices-status"), { error: view.devicesError });
    } else if (view.devices && view.devices.length === 0) {
      statusLine($("devices-status"), { text: () => t("devices.none") });
    } else {
      statusLine($("devices-status"), null);
    }
    table.hidden = !(view.devices && view.devices.length);
    for (const device of view.devices || []) {
      body.append(el("tr", { className: device.connected ? "connected" : "disconnected" }, [
        el("td", { text: orNone(device.name) }),
        el("td", { text: orNone(device.kind) }),
        el("td", { text: orNone(device.workstation) }),
        el("td", { className: "code", text: orNone(device.port) }),
        el("td", {
          className: "state",
          text: t(device.enabled === false ? "devices.disabled" : device.connected ? "devices.yes" : "devices.no"),
        }),
        el("td", { text: Station.formatTime(device.since) }),
        el("td", { text: Station.formatTime(device.last_scan) }),
        el("td", { className: device.last_problem && device.last_problem.ended_at == null ? "problem current" : "problem past",
          text: device.last_problem ? problemText(device.last_problem) : none() }),
      ]));
    }
  }

  // A device's last problem: current ("since …") or past ("over; recovered …").
  function problemText(problem) {
    const when = problem.ended_at == null
      ? `${t("devices.problem_since")} ${Station.formatTime(problem.at)}`
      : `${t("devices.problem_ended")} ${Station.formatTime(problem.ended_at)}`;
    return `${pick(problem.text)} (${when})`;
  }

  async function loadLists() {
    try {
      const loans = await apiAll("/api/v1/loans?overdue=true");
      view.overdue = Array.isArray(loans) ? loans : [];
      view.overdueError = null;
    } catch (error) {
      view.overdueError = error.bilingual;
    }
    try {
      const handovers = await apiAll("/api/v1/handovers");
      view.late = (Array.isArray(handovers) ? handovers : []).filter((h) => h.state !== "normal");
      view.lateError = null;
    } catch (error) {
      view.lateError = error.bilingual;
    }
    render();
  }

  function renderList(table, statusNode, rows, error, noneKey, cells) {
    const body = table.tBodies[0];
    Station.clear(body);
    if (error) {
      statusLine(statusNode, { error });
    } else if (rows && rows.length === 0) {
      statusLine(statusNode, { text: () => t(noneKey) });
    } else {
      statusLine(statusNode, null);
    }
    table.hidden = !(rows && rows.length);
    for (const row of rows || []) {
      body.append(el("tr", {}, cells(row).map((text) => el("td", { text }))));
    }
  }

  function renderLists() {
    renderList($("overdue-table"), $("overdue-status"), view.overdue, view.overdueError,
      "overdue.none", (loan) => [
        orNone(loan.archive_no), orNone(loan.title),
        orNone(loan.borrower_name || loan.borrower), orNone(loan.due)]);
    renderList($("handovers-table"), $("handovers-status"), view.late, view.lateError,
      "handovers.none", (handover) => [
        String(handover.id), (handover.items || []).join(" "), orNone(handover.deadline),
        t(handover.state === "overdue" ? "handovers.overdue" : "handovers.warning")]);
  }

  function render() {
    renderResults();
    renderDetail();
    renderShelf();
    renderDevices();
    renderLists();
  }

  // ---- wiring --------------------------------------------------------------------------

  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("search-text").value.trim();
    if (!text) {
      view.search = { text: () => t("find.empty") };
      render();
      return;
    }
    search($("search-by").value, text);
  });
  $("shelf-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const barcode = $("shelf-barcode").value.trim().toUpperCase();
    if (barcode) {
      showShelf(barcode);
    }
  });
  $("detail-place-shelf").addEventListener("click", () => {
    const item = view.item;
    if (item && item.place && item.place.barcode) {
      $("shelf-barcode").value = item.place.barcode;
      showShelf(item.place.barcode);
    }
  });
  $("devices-refresh").addEventListener("click", loadDevices);

  Station.onLanguage(render);
  Station.init({
    onLogin: () => {
      loadDevices();
      loadLists();
      $("search-text").focus();
    },
    onLogout: () => {
      view.search = null;
      view.results = [];
      view.item = null;
      view.shelf = null;
      view.devices = null;
      view.overdue = null;
      view.late = null;
      render();
    },
  });
})();
