// The paper trail on the supervisor page (supervisors and administrators): loan slips
// (档案资料出借单) to approve or refuse, each printable as a PDF; and the certificate
// ledger (权证台帐) with its CSV and Excel downloads. Clerks never see this section (the
// API refuses them too). Everything the station answers goes into the page as text.
(() => {
  "use strict";
  const { $, el, clear } = Station;

  Station.addTexts({
    "slips.title": ["出借单", "Loan slips"],
    "slips.refresh": ["刷新", "Refresh"],
    "slips.id": ["单号", "No."],
    "slips.borrower": ["借阅人", "Borrower"],
    "slips.purpose": ["用途", "Purpose"],
    "slips.boxes": ["档案", "Boxes"],
    "slips.due": ["应还日期", "Due"],
    "slips.state": ["状态", "State"],
    "slips.actions": ["操作", "Actions"],
    "slips.approve": ["批准", "Approve"],
    "slips.refuse": ["拒绝", "Refuse"],
    "slips.reason": ["拒绝理由", "Reason for refusing"],
    "slips.pdf": ["打印 PDF", "Print PDF"],
    "slips.printer": ["打印机", "Printer"],
    "slips.print": ["送打印机", "Send to printer"],
    "slips.printed": ["出借单 {id} 已送打印机 {printer}", "loan slip {id} sent to {printer}"],
    "slips.none": ["没有出借单", "No loan slips"],
    "slips.approved": ["出借单 {id} 已批准", "loan slip {id} approved"],
    "slips.refused": ["出借单 {id} 已拒绝", "loan slip {id} refused"],
    "ledger.title": ["权证台帐", "Certificate ledger"],
    "ledger.csv": ["下载 CSV", "Download CSV"],
    "ledger.xlsx": ["下载 Excel", "Download Excel"],
    "ledger.name": ["权证名称", "Certificate"],
    "ledger.number": ["权证号", "Number"],
    "ledger.archive_no": ["档案号", "Archive no."],
    "ledger.safe": ["保险柜", "Safe"],
    "ledger.status": ["状态", "Status"],
    "ledger.holder": ["持有人", "Holder"],
    "ledger.handovers": ["移交日期", "Handed over"],
    "ledger.none": ["没有权证", "No certificates"],
  });

  let slips = [];
  let certificates = [];
  // The station's printers by name: a slip can be sent to one (a label printer is refused).
  let printers = [];
  // What the slips section says last: a text key with values, or a station message.
  let said = null;

  function fill(key, values) {
    let text = Station.t(key);
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function cell(text, label) {
    return el("td", { text: text == null ? "" : text, attrs: { "data-label": Station.t(label) } });
  }

  function renderStatus() {
    const status = $("slips-status");
    if (!said) {
      status.textContent = slips.length === 0 ? Station.t("slips.none") : "";
      status.className = "status";
      delete status.dataset.code;
      return;
    }
    status.textContent = said.message ? Station.pick(said.message) : fill(said.key, said.values);
    status.className = said.bad ? "problem" : "status";
    if (said.code) {
      status.dataset.code = said.code;
    } else {
      delete status.dataset.code;
    }
  }

  function renderSlips() {
    const body = $("slips-table").querySelector("tbody");
    clear(body);
    for (const slip of slips) {
      const boxes = slip.boxes
        .map((b) => (b.documents ? b.archive_no + " (" + b.documents + ")" : b.archive_no))
        .join(Station.language() === "en" ? "; " : "；");
      const actions = el("td", { attrs: { "data-label": Station.t("slips.actions") } });
      if (slip.state === "requested") {
        const approve = el("button", { text: Station.t("slips.approve"), attrs: { type: "button", "data-approve": slip.id } });
        approve.addEventListener("click", () => decide(slip.id, "approve"));
        const reason = el("input", { attrs: { "data-reason": slip.id, placeholder: Station.t("slips.reason") } });
        const refuse = el("button", { text: Station.t("slips.refuse"), attrs: { type: "button", "data-refuse": slip.id } });
        refuse.addEventListener("click", () => decide(slip.id, "refuse", reason.value));
        actions.append(approve, " ", reason, " ", refuse);
      }
      const pdf = el("a", {
        text: Station.t("slips.pdf"),
        attrs: { href: "/api/v1/loanslips/" + slip.id + "/pdf", target: "_blank", rel: "noopener" },
      });
      actions.append(" ", pdf);
      if (printers.length > 0) {
        const printer = el("select", { attrs: { "data-print-printer": slip.id, "aria-label": Station.t("slips.printer") } },
          printers.map((name) => el("option", { text: name, attrs: { value: name } })));
        const send = el("button", { text: Station.t("slips.print"), attrs: { type: "button", "data-print": slip.id } });
        send.addEventListener("click", () => sendToPrinter(slip.id, printer.value));
        actions.append(" ", printer, " ", send);
      }
      const colon = Station.language() === "en" ? ": " : "：";
      const state = Station.pick(slip.state_text) + (slip.reason ? colon + slip.reason : "");
      const row = el("tr", { attrs: { "data-slip": slip.id, "data-state": slip.state } }, [
        cell(slip.code, "slips.id"),
        cell(slip.borrower_name, "slips.borrower"),
        cell(slip.purpose, "slips.purpose"),
        cell(boxes, "slips.boxes"),
        cell(slip.due, "slips.due"),
        cell(state, "slips.state"),
        actions,
      ]);
      body.append(row);
    }
    $("slips-table").hidden = slips.length === 0;
    renderStatus();
  }

  function renderLedger() {
    const body = $("ledger-table").querySelector("tbody");
    clear(body);
    for (const row of certificates) {
      const dates = row.handovers
        .map((h) => (h.confirmed ? h.started + " → " + h.confirmed : h.started + " →"))
        .join("；");
      const status = Station.language() === "en" ? row.status : row.status_zh;
      body.append(el("tr", { attrs: { "data-certificate": row.barcode } }, [
        cell(row.name, "ledger.name"),
        cell(row.number, "ledger.number"),
        cell(row.archive_no, "ledger.archive_no"),
        cell(row.safe || "", "ledger.safe"),
        cell(status, "ledger.status"),
        cell(row.holder || "", "ledger.holder"),
        cell(dates, "ledger.handovers"),
      ]));
    }
    $("ledger-table").hidden = certificates.length === 0;
    $("ledger-status").textContent = certificates.length === 0 ? Station.t("ledger.none") : "";
  }

  function fail(error) {
    said = { message: error.bilingual || { zh: String(error), en: String(error) }, code: error.code, bad: true };
    renderStatus();
  }

  async function load() {
    try {
      printers = await Station.apiAll("/api/v1/devices")
        .then((devices) => devices.filter((device) => device.kind === "printer").map((device) => device.name))
        .catch(() => []);
      slips = await Station.api("GET", "/api/v1/loanslips");
      renderSlips();
      certificates = await Station.api("GET", "/api/v1/certificates/ledger");
      renderLedger();
    } catch (error) {
      fail(error);
    }
  }

  async function decide(id, how, reason) {
    try {
      const body = how === "refuse" ? { reason: (reason || "").trim() } : undefined;
      await Station.api("POST", "/api/v1/loanslips/" + id + "/" + how, body);
      said = { key: how === "refuse" ? "slips.refused" : "slips.approved", values: { id } };
      slips = await Station.api("GET", "/api/v1/loanslips");
      renderSlips();
    } catch (error) {
      fail(error);
    }
  }

  async function sendToPrinter(id, printer) {
    try {
      await Station.api("POST", "/api/v1/loanslips/" + id + "/print", { printer });
      said = { key: "slips.printed", values: { id, printer } };
      renderStatus();
    } catch (error) {
      fail(error);
    }
  }

  async function download(name) {
    try {
      const response = await fetch("/api/v1/reports/" + name, { cache: "no-store", credentials: "same-origin" });
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { attrs: { href: url, download: name } });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      $("ledger-status").textContent = String(error);
    }
  }

  // Only supervisors and administrators see loan slips to decide and the certificates.
  function showForRole() {
    const who = Station.person();
    const allowed = !!who && (who.role === "supervisor" || who.role === "admin") && !$("app").hidden;
    $("paper").hidden = !allowed;
    if (allowed) {
      load();
    } else {
      slips = [];
      certificates = [];
      said = null;
    }
  }

  $("slips-refresh").addEventListener("click", () => {
    said = null;
    load();
  });
  $("ledger-csv").addEventListener("click", () => download("certificates.csv"));
  $("ledger-xlsx").addEventListener("click", () => download("certificates.xlsx"));
  Station.onLanguage(() => {
    renderSlips();
    renderLedger();
  });
  new MutationObserver(showForRole).observe($("app"), { attributes: true, attributeFilter: ["hidden"] });
  showForRole();
})();
