// The supervisor page: find boxes as you type (any part of a customer name or archive
// number, a barcode), sorted and paged; see a box's place, status, holder and its own
// history with names and shelf paths; what stands on a shelf; the devices' state; the
// overdue loans (days late, borrower; export and print); returns not confirmed complete
// (awaiting their check, or incomplete with what is still out). Keys: "/" search, Esc clear,
// ↓ into the results.
"use strict";

(() => {
  const { $, el, t, pick, api, apiAll } = Station;
  const BARCODE = /^[A-Za-z][0-9]{10}$/;

  Station.addTexts({
    "supervisor.title": ["档案工作站 · 主管", "Archive station · Supervisor"],
    "find.title": ["查找档案盒", "Find a box"],
    "find.by": ["按", "By"],
    "find.by.auto": ["任意部分", "any part"],
    "nav.supervisor": ["查询", "Search"],
    "nav.desk": ["日常", "Desk"],
    "nav.import": ["导入", "Import"],
    "nav.admin": ["管理", "Admin"],
    "find.sort": ["排序", "Sort"],
    "find.sort.archive_no": ["档案号", "archive number"],
    "find.sort.customer": ["客户", "customer"],
    "find.sort.year": ["年度", "year"],
    "find.more_button": ["显示更多", "Show more"],
    "find.shortcuts": ["快捷键：/ 搜索　Esc 清空搜索　↓ 结果中第一个档案盒",
      "Keys: / search · Esc clear the search · ↓ first box in the results"],
    "find.by.barcode": ["条码", "barcode"],
    "find.by.archive_no": ["档案号", "archive number"],
    "find.by.customer": ["客户名称（前缀）", "customer (prefix)"],
    "find.placeholder": ["客户名称、档案号的任意部分或条码", "any part of a customer or archive number, or a barcode"],
    "find.button": ["查找", "Find"],
    "find.empty": ["请输入要查找的内容", "enter what to look for"],
    "find.searching": ["正在查找…", "searching…"],
    "find.none": ["没有找到", "nothing found"],
    "find.count": ["找到 {n} 个", "{n} found"],
    "find.more": ["（还有更多）", "(there are more)"],
    "find.not_box": ["这个条码不是档案盒或权证", "this barcode is not a box or a certificate"],
    "open": ["查看", "Open"],
    "detail.title": ["档案盒", "Box"],
    "detail.open_shelf": ["查看此层位", "show this shelf"],
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
    "returns.title": ["归还待核对或不全", "Returns not confirmed complete"],
    "returns.none": ["没有待核对或不全的归还", "every return is confirmed complete"],
    "returns.loan": ["借阅", "Loan"],
    "returns.archive_no": ["档案号", "Archive no."],
    "returns.borrower": ["借阅人", "Borrower"],
    "returns.returned_at": ["归还时间", "Returned"],
    "returns.state": ["状态", "State"],
    "returns.missing": ["仍缺", "Still out"],
    "returns.awaiting": ["待核对", "awaiting check"],
    "returns.incomplete": ["归还不全", "incomplete"],
    "returns.document": ["{position}. {name}（{pages} 页）", "{position}. {name} ({pages} pages)"],
    "handovers.title": ["逾期移交", "Late handovers"],
    "overdue.none": ["没有逾期借阅", "no overdue loans"],
    "overdue.archive_no": ["档案号", "Archive no."],
    "overdue.item_title": ["题名", "Title"],
    "overdue.borrower": ["借阅人", "Borrower"],
    "overdue.due": ["应还日期", "Due"],
    "overdue.days_late": ["逾期天数", "Days late"],
    "overdue.days": ["{n} 天", "{n} days"],
    "overdue.csv": ["下载 CSV", "Download CSV"],
    "overdue.xlsx": ["下载 Excel", "Download Excel"],
    "overdue.print": ["打印", "Print"],
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
    "change.box": ["档案盒", "box"],
    "change.home": ["应在位置", "home"],
    "change.category": ["类别", "category"],
    "change.year": ["年度", "year"],
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
    more: false, // whether the search has more results after those shown
    overdue: null,
    overdueError: null,
    // Returns awaiting their check or incomplete (GET /api/v1/returns/unchecked).
    returns: null,
    returnsError: null,
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

  // Results per page of a search as you type.
  const PAGE = 50;
  // How long typing must pause before a search goes out (ms).
  const DEBOUNCE = 250;
  // The number of the latest search asked: an answer to an older one is dropped.
  let searchSeq = 0;
  let debounceTimer = null;

  // The search box's query: `by` (auto: as you type; barcode, archive_no, customer: on
  // Enter), the text, and for "auto" the sort. `more` continues after the last result.
  async function search(by, text, { more = false, submitted = false } = {}) {
    const seq = ++searchSeq;
    if (!more) {
      view.results = [];
      view.more = false;
      view.item = null;
    }
    view.search = { text: () => t("find.searching") };
    render();
    try {
      let boxes = [];
      const mode = by === "auto" ? (BARCODE.test(text) ? "barcode" : "any") : by;
      if (mode === "barcode") {
        const item = await api("/api/v1/items/" + encodeURIComponent(text.toUpperCase()));
        if (seq !== searchSeq) {
          return;
        }
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
      } else if (mode === "any") {
        let path = "/api/v1/boxes?limit=" + PAGE + "&sort=" + encodeURIComponent($("search-sort").value) +
          "&q=" + encodeURIComponent(text);
        const last = view.results[view.results.length - 1];
        if (more && last) {
          path += "&after=" + encodeURIComponent(last.barcode);
        }
        boxes = await api(path);
        if (seq !== searchSeq) {
          return; // a newer query was typed meanwhile
        }
        boxes = Array.isArray(boxes) ? boxes : [];
        view.more = boxes.length === PAGE;
        boxes = more ? view.results.concat(boxes) : boxes;
      } else if (mode === "archive_no") {
        boxes = await api("/api/v1/boxes?archive_no=" + encodeURIComponent(text));
      } else {
        boxes = await api("/api/v1/boxes?limit=50&customer=" + encodeURIComponent(text));
      }
      if (seq !== searchSeq) {
        return;
      }
      view.results = Array.isArray(boxes) ? boxes : [];
      const n = view.results.length;
      view.search = n === 0
        ? { text: () => t("find.none") }
        : { text: () => fill(t("find.count"), n) + (view.more ? " " + t("find.more") : "") };
      render();
      if (n === 1 && (submitted || mode !== "any")) {
        await openItem(view.results[0]);
      }
    } catch (error) {
      if (seq === searchSeq) {
        view.search = { error: error.bilingual };
        render();
      }
    }
  }

  // The search box as it stands now; `submitted` when Enter or the button asked for it.
  function searchNow(submitted) {
    clearTimeout(debounceTimer);
    const text = $("search-text").value.trim();
    if (!text) {
      ++searchSeq;
      view.results = [];
      view.more = false;
      view.search = submitted ? { text: () => t("find.empty") } : null;
      render();
      return;
    }
    search($("search-by").value, text, { submitted });
  }

  // ---- one box -------------------------------------------------------------------------

  async function openItem(item) {
    view.item = item;
    view.history = null;
    view.historyError = null;
    render();
    if (Station.rackMap) {
      Station.rackMap.locate(item); // its shelf marked on the rack map (rackmap.js)
    }
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
    render();
  }

  // Opens the item with `barcode` (from a list that names it only by its barcode).
  async function openBarcode(barcode) {
    try {
      const item = await api("/api/v1/items/" + encodeURIComponent(barcode));
      if (item) {
        await openItem(item);
        $("detail").scrollIntoView();
      }
    } catch (error) {
      view.search = { error: error.bilingual };
      render();
    }
  }

  // A value of a history, as people read it: the name or shelf path the station gives
  // alongside a code, else the value itself.
  function named(field, code, name) {
    if (code == null) {
      return none();
    }
    if (field === "status") {
      return Station.statusText(code);
    }
    return name ? String(name) : String(code);
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
    $("detail-holder").textContent = orNone(item.holder);
    $("detail-due").textContent = orNone(item.due);

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
        const li = el("li", {
          text: Station.tOr("change." + change.field, String(change.field)) + ": " +
            named(change.field, change.before, change.before_name) + " → " +
            named(change.field, change.after, change.after_name),
        });
        const codes = [change.before_name && change.before, change.after_name && change.after].filter(Boolean);
        if (codes.length) {
          li.setAttribute("title", codes.join(" → "));
        }
        changes.append(li);
      }
      const actor = el("td", { text: orNone(event.actor_name || event.actor), attrs: { "data-label": t("history.actor") } });
      if (event.actor_name) {
        actor.setAttribute("title", String(event.actor));
      }
      body.append(el("tr", {}, [
        el("td", { text: orNone(event.seq), attrs: { "data-label": "#" } }),
        el("td", { text: Station.formatTime(event.at), attrs: { "data-label": t("history.at") } }),
        el("td", { text: Station.tOr("event." + event.kind, orNone(event.kind)), attrs: { "data-label": t("history.kind") } }),
        el("td", { text: orNone(event.station), attrs: { "data-label": t("history.station") } }),
        actor,
        el("td", { attrs: { "data-label": t("history.changes") } }, [changes]),
      ]));
    }
  }

  function renderResults() {
    statusLine($("search-status"), view.search);
    const table = $("search-results");
    const body = table.tBodies[0];
    Station.clear(body);
    table.hidden = view.results.length === 0;
    $("search-more").hidden = !view.more;
    $("search-sort").disabled = $("search-by").value !== "auto";
    for (const item of view.results) {
      const open = el("button", { className: "link", text: t("open"), attrs: { type: "button" } });
      open.addEventListener("click", (event) => {
        event.stopPropagation();
        openItem(item);
      });
      const cell = (key, text) => el("td", { text, attrs: { "data-label": t(key) } });
      const row = el("tr", { attrs: { "data-barcode": item.barcode } }, [
        cell("field.archive_no", orNone(item.archive_no)),
        cell("field.title", orNone(item.title)),
        cell("field.customer", orNone(item.customer)),
        cell("field.year", orNone(item.year)),
        cell("field.status", Station.statusText(item.status)),
        cell("field.place", item.place ? orNone(item.place.path) : none()),
        el("td", {}, [open]),
      ]);
      row.addEventListener("click", () => openItem(item));
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
        el("td", { className: "code", text: orNone(item.barcode), attrs: { "data-label": t("field.barcode") } }),
        el("td", { text: Station.tOr("kind." + item.kind, orNone(item.kind)), attrs: { "data-label": t("field.kind") } }),
        el("td", { text: orNone(item.archive_no), attrs: { "data-label": t("field.archive_no") } }),
        el("td", { text: orNone(item.title || item.name), attrs: { "data-label": t("field.title") } }),
        el("td", { text: Station.statusText(item.status), attrs: { "data-label": t("field.status") } }),
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
      const label = (key) => ({ "data-label": t(key) });
      body.append(el("tr", { className: device.connected ? "connected" : "disconnected" }, [
        el("td", { text: orNone(device.name), attrs: label("devices.name") }),
        el("td", { text: orNone(device.kind), attrs: label("devices.kind") }),
        el("td", { text: orNone(device.workstation), attrs: label("devices.workstation") }),
        el("td", { className: "code", text: orNone(device.port), attrs: label("devices.port") }),
        el("td", {
          className: "state",
          text: t(device.enabled === false ? "devices.disabled" : device.connected ? "devices.yes" : "devices.no"),
          attrs: label("devices.connected"),
        }),
        el("td", { text: Station.formatTime(device.since), attrs: label("devices.since") }),
        el("td", { text: Station.formatTime(device.last_scan), attrs: label("devices.last_scan") }),
        el("td", { className: device.last_problem && device.last_problem.ended_at == null ? "problem current" : "problem past",
          text: device.last_problem ? problemText(device.last_problem) : none(), attrs: label("devices.last_problem") }),
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
      const returns = await apiAll("/api/v1/returns/unchecked");
      view.returns = Array.isArray(returns) ? returns : [];
      view.returnsError = null;
    } catch (error) {
      view.returnsError = error.bilingual;
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

  // A list: one row a record, each cell [text, label key, class], the row's action on click.
  function renderList(table, statusNode, rows, error, noneKey, cells, onClick) {
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
      const tr = el("tr", {}, cells(row).map(([text, key, className]) =>
        el("td", { text, className: className || "", attrs: { "data-label": t(key) } })));
      if (onClick) {
        tr.addEventListener("click", () => onClick(row));
      }
      body.append(tr);
    }
  }

  function renderLists() {
    renderList($("overdue-table"), $("overdue-status"), view.overdue, view.overdueError,
      "overdue.none", (loan) => [
        [orNone(loan.archive_no), "overdue.archive_no"],
        [orNone(loan.title), "overdue.item_title"],
        [orNone(loan.borrower_name || loan.borrower), "overdue.borrower"],
        [orNone(loan.due), "overdue.due"],
        [fill(t("overdue.days"), loan.days_late), "overdue.days_late", "days-late"],
      ], (loan) => openBarcode(loan.item));
    renderList($("returns-table"), $("returns-status"), view.returns, view.returnsError,
      "returns.none", (check) => [
        [String(check.loan), "returns.loan"],
        [orNone(check.archive_no), "returns.archive_no"],
        [orNone(check.borrower_name), "returns.borrower"],
        [Station.formatTime(check.returned_at), "returns.returned_at"],
        [t(check.state === "incomplete" ? "returns.incomplete" : "returns.awaiting"), "returns.state",
          "return-" + (check.state === "incomplete" ? "incomplete" : "awaiting")],
        [(Array.isArray(check.outstanding) ? check.outstanding : [])
          .map((doc) => t("returns.document").replace("{position}", String(doc.position))
            .replace("{name}", String(doc.name)).replace("{pages}", String(doc.pages)))
          .join("; ") || t("none"),
        "returns.missing"],
      ], (check) => openBarcode(check.item));
    renderList($("handovers-table"), $("handovers-status"), view.late, view.lateError,
      "handovers.none", (handover) => [
        [String(handover.id), "handovers.id"],
        [(handover.items || []).join(" "), "handovers.items"],
        [orNone(handover.deadline), "handovers.deadline"],
        [t(handover.state === "overdue" ? "handovers.overdue" : "handovers.warning"), "handovers.state"],
      ]);
  }

  // Downloads a report (Station.download: with the page's credentials); a refusal is
  // shown under the list.
  async function download(name) {
    const error = await Station.download("/api/v1/reports/" + name, name);
    if (error) {
      view.overdueError = error;
      render();
    }
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
    searchNow(true);
  });
  // As you type: one search once typing pauses, not one a keystroke.
  $("search-text").addEventListener("input", () => {
    clearTimeout(debounceTimer);
    if ($("search-by").value === "auto") {
      debounceTimer = setTimeout(() => searchNow(false), DEBOUNCE);
    }
  });
  $("search-sort").addEventListener("change", () => searchNow(false));
  $("search-by").addEventListener("change", () => render());
  $("search-more").addEventListener("click", () => {
    const text = $("search-text").value.trim();
    if (text) {
      search($("search-by").value, text, { more: true });
    }
  });
  $("search-text").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      $("search-text").value = "";
      searchNow(false);
    } else if (event.key === "ArrowDown") {
      const first = document.querySelector("#search-results tbody button");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      $("search-text").focus();
      $("search-text").select();
    }
  });
  $("overdue-csv").addEventListener("click", () => download("overdue.csv"));
  $("overdue-xlsx").addEventListener("click", () => download("overdue.xlsx"));
  $("overdue-print").addEventListener("click", () => window.print());
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
      if (Station.rackMap) {
        Station.rackMap.load();
      }
      $("search-text").focus();
    },
    onLogout: () => {
      view.search = null;
      view.results = [];
      view.item = null;
      view.shelf = null;
      view.devices = null;
      view.overdue = null;
      view.returns = null;
      view.late = null;
      if (Station.rackMap) {
        Station.rackMap.reset();
      }
      render();
    },
  });
})();
