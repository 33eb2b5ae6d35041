// The desk page for clerks and supervisors: register a box with its label printed at once
// on the chosen workstation's printer, edit a box, reprint its label with a reason, the
// print queue (cancel with a reason), the shelf labels under a location (to a printer or
// as A4 sheets), and the exports and reports as downloads.
"use strict";

(() => {
  const { $, el, t, clear, formatTime, pick } = Station;
  const { call, all, show, result, row, button, confirmIn, fill } = Office;
  const BARCODE = /^[A-Za-z][0-9]{10}$/;

  Station.addTexts({
    "desk.title": ["档案工作站 · 日常", "Archive station · Desk"],
    "register.title": ["登记档案盒", "Register a box"],
    "register.numbering": ["编号", "Numbering"],
    "register.by_hand": ["手工填写档案号", "archive number by hand"],
    "register.scheme": ["方案 {name}（{template}）", "scheme {name} ({template})"],
    "register.home_hint": ["例如：1号库房/05列/A面/3节/4层", "e.g. 1号库房/05列/A面/3节/4层 (room/rack/side/section/shelf)"],
    "register.workstation": ["打印工作站", "Print at workstation"],
    "register.print": ["立即打印标签", "Print its label now"],
    "register.submit": ["登记", "Register"],
    "register.done": ["已登记 {barcode}，档案号 {archive_no}", "Registered {barcode}, archive number {archive_no}"],
    "register.label_sent": ["标签已送往打印机 {printer}（{where}），任务 {jobs}", "Label sent to printer {printer} ({where}), job {jobs}"],
    "register.no_label": ["未打印标签", "no label printed"],
    "field.archive_no": ["档案号", "Archive no."],
    "field.title": ["题名", "Title"],
    "field.customer": ["客户", "Customer"],
    "field.category": ["类别", "Category"],
    "field.year": ["年度", "Year"],
    "field.home": ["应在层位", "Home shelf"],
    "field.retention": ["保管期限", "Retention"],
    "edit.title": ["修改档案盒 · 重印标签", "Edit a box · reprint its label"],
    "edit.find": ["条码或档案号", "Barcode or archive number"],
    "edit.find_button": ["查找", "Find"],
    "edit.not_found": ["没有找到 {text}", "{text} not found"],
    "edit.not_box": ["{text} 不是档案盒", "{text} is not a box"],
    "edit.box": ["档案盒", "Box"],
    "edit.save": ["保存修改", "Save changes"],
    "edit.saved": ["已保存 {barcode}", "Saved {barcode}"],
    "reprint.title": ["重印标签", "Reprint the label"],
    "reprint.reason": ["原因（必填）", "Reason (required)"],
    "reprint.reason_hint": ["例如：标签破损", "e.g. label torn"],
    "reprint.submit": ["重印", "Reprint"],
    "reprint.done": ["重印已送往打印机 {printer}，任务 {jobs}", "Reprint sent to printer {printer}, job {jobs}"],
    "reprint.reason_needed": ["请填写重印原因", "give the reason for the reprint"],
    "labels.at": ["时间", "When"],
    "labels.event": ["事件", "Event"],
    "labels.job": ["任务", "Job"],
    "labels.detail": ["说明", "Detail"],
    "labels.PrintQueued": ["已排队", "queued"],
    "labels.Printed": ["已打印", "printed"],
    "labels.PrintDelayed": ["打印延迟", "delayed"],
    "labels.PrintCancelled": ["已取消", "cancelled"],
    "labels.reprint": ["重印自任务 {job}：{reason}", "reprint of job {job}: {reason}"],
    "queue.title": ["打印队列", "Print queue"],
    "queue.refresh": ["刷新", "Refresh"],
    "queue.empty": ["队列为空：所有标签都已打印", "the queue is empty: every label is printed"],
    "queue.printer": ["打印机", "Printer"],
    "queue.subject": ["内容", "Label"],
    "queue.state": ["状态", "State"],
    "queue.next": ["下次尝试", "Next attempt"],
    "queue.pending": ["等待打印", "waiting"],
    "queue.failed": ["失败 {n} 次：{error}", "failed {n} times: {error}"],
    "queue.cancel": ["取消", "Cancel"],
    "queue.reason": ["取消原因", "Reason"],
    "queue.confirm": ["确定取消任务 {id}？", "Cancel job {id}?"],
    "queue.cancelled": ["任务 {id} 已取消", "Job {id} cancelled"],
    "shelves.title": ["层位标签", "Shelf labels"],
    "shelves.under": ["位置（路径或条码）", "Location (path or barcode)"],
    "shelves.under_hint": ["例如：2号库房/01列", "e.g. 2号库房/01列"],
    "shelves.to": ["打印到", "Print to"],
    "shelves.sheet": ["A4 标签页（PDF 下载）", "A4 sheets (PDF download)"],
    "shelves.submit": ["打印层位标签", "Print shelf labels"],
    "shelves.queued": ["{count} 张层位标签已按走位顺序送往打印机 {printer}", "{count} shelf labels sent to printer {printer} in walking order"],
    "shelves.under_needed": ["请填写位置的路径或条码", "give the location's path or barcode"],
    "downloads.title": ["导出与报表", "Exports and reports"],
    "downloads.ledger_xlsx": ["档案台账（Excel）", "Ledger (Excel)"],
    "downloads.ledger_csv": ["档案台账（CSV）", "Ledger (CSV)"],
    "downloads.loans_xlsx": ["借阅清单（Excel）", "Loans (Excel)"],
    "downloads.loans_csv": ["借阅清单（CSV）", "Loans (CSV)"],
  });

  const state = { workstations: [], devices: [], schemes: [], box: null, labels: [] };
  for (const id of ["register-status", "register-label", "find-status", "edit-status",
    "reprint-status", "queue-status", "download-status", "shelves-status"]) {
    result($(id));
  }
  const fail = (node) => (error) => show(node, { error });
  const done = (node, text, values) => show(node, { ok: true, text, values });

  // ---- choices ---------------------------------------------------------------------

  function fillWorkstations() {
    for (const id of ["reg-workstation", "reprint-workstation"]) {
      const select = $(id);
      const was = select.value;
      clear(select);
      for (const workstation of state.workstations) {
        const text = workstation.printer ? workstation.name + " → " + workstation.printer : workstation.name;
        select.append(el("option", { text, attrs: { value: workstation.name } }));
      }
      if (was) {
        select.value = was;
      }
    }
  }

  /** Where shelf labels go: each workstation's printer, or A4 sheets as a PDF. */
  function fillShelfTargets() {
    const select = $("shelves-to");
    const was = select.value;
    clear(select);
    for (const workstation of state.workstations.filter((w) => w.printer)) {
      select.append(el("option", {
        text: workstation.name + " → " + workstation.printer,
        attrs: { value: "ws:" + workstation.name },
      }));
    }
    select.append(el("option", { text: t("shelves.sheet"), attrs: { value: "sheet" } }));
    if (was && [...select.options].some((option) => option.value === was)) {
      select.value = was;
    }
  }

  function fillSchemes() {
    const select = $("reg-scheme");
    const was = select.value;
    clear(select);
    for (const scheme of state.schemes.filter((s) => !s.retired)) {
      select.append(el("option", {
        text: fill(t("register.scheme"), { name: scheme.name, template: scheme.template }),
        attrs: { value: scheme.name },
      }));
    }
    select.append(el("option", { text: t("register.by_hand"), attrs: { value: "" } }));
    if (was !== null && [...select.options].some((option) => option.value === was)) {
      select.value = was;
    }
    numberingFields();
  }

  function numberingFields() {
    $("reg-archive-no-label").hidden = $("reg-scheme").value !== "";
  }
  $("reg-scheme").addEventListener("change", numberingFields);

  async function loadChoices() {
    const [workstations, devices, schemes, locations] = await Promise.all([
      call("GET", "/api/v1/workstations"),
      all("/api/v1/devices"),
      all("/api/v1/schemes"),
      all("/api/v1/locations").catch(() => []),
    ]);
    state.workstations = workstations;
    state.devices = devices;
    state.schemes = schemes;
    fillWorkstations();
    fillShelfTargets();
    fillSchemes();
    const places = $("location-paths");
    clear(places);
    for (const location of locations) {
      if (location.kind !== "shelf" && location.path) {
        places.append(el("option", { attrs: { value: location.path } }));
      }
    }
    const list = $("shelf-paths");
    clear(list);
    for (const location of locations) {
      if (location.kind === "shelf" && location.path) {
        list.append(el("option", { attrs: { value: location.path } }));
      }
    }
  }

  /** Where a printer puts its labels: its connection (a folder, a queue, an address). */
  function printerWhere(name) {
    const device = state.devices.find((d) => d.kind === "printer" && d.name === name);
    return device && device.port ? device.port : name;
  }

  async function sentTo(jobs) {
    // The device list is read again: a printer added since the page opened is named too.
    state.devices = await all("/api/v1/devices").catch(() => state.devices);
    const printer = [...new Set(jobs.map((job) => job.printer))].join(", ");
    return { printer, where: printerWhere(jobs.length ? jobs[0].printer : ""), jobs: jobs.map((job) => "#" + job.id).join(", ") };
  }

  // ---- register --------------------------------------------------------------------

  $("register-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("register-status");
    const label = $("register-label");
    show(status, { text: "office.working" });
    show(label, null);
    const scheme = $("reg-scheme").value;
    const year = $("reg-year").value.trim();
    const body = {
      title: $("reg-title").value.trim(),
      customer: $("reg-customer").value.trim(),
      category: $("reg-category").value.trim(),
    };
    if (scheme) {
      body.scheme = scheme;
    } else if ($("reg-archive-no").value.trim()) {
      body.archive_no = $("reg-archive-no").value.trim();
    }
    if (year) {
      body.year = Number(year);
    }
    if ($("reg-home").value.trim()) {
      body.home = $("reg-home").value.trim();
    }
    const workstation = $("reg-workstation").value;
    if ($("reg-print").checked && workstation) {
      body.print_at = workstation;
    }
    try {
      const registered = await call("POST", "/api/v1/boxes/register", body);
      done(status, "register.done", { barcode: registered.barcode, archive_no: registered.archive_no || t("none") });
      if (registered.label_jobs && registered.label_jobs.length) {
        const ws = state.workstations.find((w) => w.name === workstation);
        const printer = ws && ws.printer ? ws.printer : "";
        const jobs = registered.label_jobs.map((id) => ({ id, printer }));
        done(label, "register.label_sent", await sentTo(jobs));
      } else {
        show(label, { text: "register.no_label" });
      }
      for (const id of ["reg-archive-no", "reg-title", "reg-customer", "reg-category"]) {
        $(id).value = "";
      }
      $("reg-title").focus();
      loadQueue();
    } catch (error) {
      fail(status)(error);
    }
  });

  // ---- find, edit, reprint ---------------------------------------------------------

  async function findBox(text) {
    if (BARCODE.test(text)) {
      return call("GET", "/api/v1/items/" + encodeURIComponent(text.toUpperCase()));
    }
    const boxes = await call("GET", "/api/v1/boxes?archive_no=" + encodeURIComponent(text) + "&limit=20");
    return (boxes || []).find((box) => box.archive_no === text) || null;
  }

  function drawBox() {
    const box = state.box;
    $("box-panel").hidden = !box;
    if (!box) {
      return;
    }
    $("box-barcode").textContent = box.barcode;
    $("box-archive-no").textContent = box.archive_no || "";
    $("edit-title").value = box.title || "";
    $("edit-customer").value = box.customer || "";
    $("edit-category").value = box.category || "";
    $("edit-year").value = box.year == null ? "" : String(box.year);
    $("edit-retention").value = box.retention || "";
  }

  function drawLabels() {
    const body = $("box-labels").tBodies[0];
    clear(body);
    for (const event of state.labels.slice().reverse()) {
      const change = (field) => event.changes.find((c) => c.field === field) || null;
      const job = change("job");
      const reprint = change("reprint");
      const detail = reprint
        ? fill(t("labels.reprint"), { job: "#" + (reprint.before || ""), reason: reprint.after || "" })
        : (change("reason") ? change("reason").after : (change("printer") ? change("printer").after : ""));
      body.append(row([
        ["labels.at", formatTime(event.at)],
        ["labels.event", t("labels." + event.kind)],
        ["labels.job", job ? "#" + [job.after, job.before].find((v) => /^[0-9]+$/.test(v || "")) : ""],
        ["labels.detail", detail],
      ]));
    }
  }

  async function loadLabels() {
    const history = await all("/api/v1/items/" + encodeURIComponent(state.box.barcode) + "/history");
    state.labels = history.filter((event) => String(event.kind).startsWith("Print"));
    drawLabels();
  }

  /** The newest job that printed this box's label (the one a reprint replaces). */
  function lastJob() {
    for (const event of state.labels.slice().reverse()) {
      const job = event.changes.find((c) => c.field === "job");
      if (event.kind === "PrintQueued" && job && job.after) {
        return Number(job.after);
      }
    }
    return null;
  }

  $("find-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("find-text").value.trim();
    const status = $("find-status");
    show(status, { text: "office.working" });
    state.box = null;
    drawBox();
    if (!text) {
      show(status, null);
      return;
    }
    try {
      const box = await findBox(text);
      if (!box) {
        show(status, { problem: true, text: "edit.not_found", values: { text } });
        return;
      }
      if (box.kind !== "box") {
        show(status, { problem: true, text: "edit.not_box", values: { text } });
        return;
      }
      show(status, null);
      state.box = box;
      drawBox();
      await loadLabels();
      $("edit-title").focus();
    } catch (error) {
      fail(status)(error);
    }
  });


  $("edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("edit-status");
    show(status, { text: "office.working" });
    const year = $("edit-year").value.trim();
    const body = {
      title: $("edit-title").value.trim(),
      customer: $("edit-customer").value.trim(),
      category: $("edit-category").value.trim(),
    };
    if (year) {
      body.year = Number(year);
    }
    if ($("edit-retention").value.trim() && $("edit-retention").value.trim() !== (state.box.retention || "")) {
      body.retention = $("edit-retention").value.trim();
    }
    try {
      state.box = await call("POST", "/api/v1/boxes/" + encodeURIComponent(state.box.barcode) + "/edit", body);
      drawBox();
      done(status, "edit.saved", { barcode: state.box.barcode });
    } catch (error) {
      fail(status)(error);
    }
  });

  $("reprint-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("reprint-status");
    show(status, { text: "office.working" });
    const reason = $("reprint-reason").value.trim();
    if (!reason) {
      show(status, { problem: true, text: "reprint.reason_needed" });
      $("reprint-reason").focus();
      return;
    }
    const body = { barcodes: [state.box.barcode], reason };
    const original = lastJob();
    if (original != null) {
      body.reprint_of = original;
    }
    const workstation = $("reprint-workstation").value;
    if (workstation) {
      body.workstation = workstation;
    }
    try {
      const jobs = await call("POST", "/api/v1/labels", body);
      done(status, "reprint.done", await sentTo(jobs));
      $("reprint-reason").value = "";
      await loadLabels();
      loadQueue();
    } catch (error) {
      fail(status)(error);
    }
  });

  // ---- shelf labels ----------------------------------------------------------------

  $("shelves-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("shelves-status");
    const under = $("shelves-under").value.trim();
    if (!under) {
      show(status, { problem: true, text: "shelves.under_needed" });
      return;
    }
    show(status, { text: "office.working" });
    const to = $("shelves-to").value;
    try {
      if (to === "sheet") {
        const file = "shelf-labels.pdf";
        const bytes = await Office.download("/api/v1/labels/shelves.pdf?under=" + encodeURIComponent(under),
          file, $("shelves-link"));
        done(status, "office.downloaded", { file, bytes });
      } else {
        const workstation = to.replace(/^ws:/, "");
        const jobs = await call("POST", "/api/v1/labels/shelves", { under, workstation });
        const ws = state.workstations.find((w) => w.name === workstation);
        // A ZPL printer gets a job per label, a PDF printer one job for all of them.
        const count = jobs.reduce((n, job) => n + String(job.subject || "").split(",").length, 0);
        done(status, "shelves.queued", { count, printer: ws ? ws.printer : workstation });
        loadQueue();
      }
    } catch (error) {
      fail(status)(error);
    }
  });

  // ---- queue -----------------------------------------------------------------------

  async function loadQueue() {
    const status = $("queue-status");
    try {
      const jobs = await all("/api/v1/labels/queue");
      const body = $("queue").tBodies[0];
      clear(body);
      $("queue").hidden = jobs.length === 0;
      $("queue-empty").hidden = jobs.length !== 0;
      for (const job of jobs) {
        const actions = el("div", { className: "actions" });
        actions.append(button("queue.cancel", () => {
          const reason = el("input", { attrs: { required: "", "data-i18n-placeholder": "queue.reason", placeholder: t("queue.reason"), "aria-label": t("queue.reason") } });
          const box = confirmIn(actions, fill(t("queue.confirm"), { id: "#" + job.id }), async () => {
            show(status, { text: "office.working" });
            try {
              await call("POST", "/api/v1/labels/" + job.id + "/cancel", { reason: reason.value.trim() });
              done(status, "queue.cancelled", { id: "#" + job.id });
              await loadQueue();
              if (state.box) {
                await loadLabels();
              }
            } catch (error) {
              fail(status)(error);
            }
          }, el("span", {}, [reason]));
          reason.addEventListener("keydown", (key) => {
            if (key.key === "Enter") {
              key.preventDefault();
              box.querySelector("[data-action='confirm']").click();
            }
          });
        }, { "data-job": String(job.id) }));
        const failed = job.last_error
          ? fill(t("queue.failed"), { n: job.attempts, error: pick(job.last_error) })
          : t("queue.pending");
        body.append(row([
          ["labels.job", "#" + job.id],
          ["queue.printer", job.printer],
          ["queue.subject", job.subject],
          ["queue.state", failed],
          ["queue.next", formatTime(job.next_attempt_at)],
          ["", actions],
        ], job.last_error ? "failed" : ""));
      }
    } catch (error) {
      fail(status)(error);
    }
  }
  $("queue-refresh").addEventListener("click", loadQueue);

  // ---- downloads -------------------------------------------------------------------

  for (const node of document.querySelectorAll("#downloads button[data-file]")) {
    node.addEventListener("click", async () => {
      const file = node.dataset.file;
      const status = $("download-status");
      show(status, { text: "office.working" });
      try {
        const bytes = await Office.download("/api/v1/reports/" + file, file, $("download-link"));
        done(status, "office.downloaded", { file, bytes });
      } catch (error) {
        fail(status)(error);
      }
    });
  }

  // ---- the page --------------------------------------------------------------------

  let role = "clerk";
  function roleParts() {
    const reports = Office.atLeast(role, "supervisor");
    $("downloads").hidden = !reports;
    $("downloads-role").hidden = reports;
    if (!reports) {
      Office.roleNotice($("downloads-role"), "office.section_needs_role", "supervisor", role);
    }
  }

  Station.onLanguage(() => {
    fillSchemes();
    fillShelfTargets();
    roleParts();
    drawLabels();
    loadQueue();
  });

  Station.init({
    onLogin: async () => {
      try {
        role = await Office.role();
        roleParts();
        await loadChoices();
        await loadQueue();
        $("reg-title").focus();
      } catch (error) {
        fail($("register-status"))(error);
      }
    },
    onLogout: () => {
      state.box = null;
      drawBox();
    },
  });
})();
