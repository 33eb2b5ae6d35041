// The contents-entry page (资料清单): a box found by a scan or a typed barcode (or archive
// number), its contents list (册内资料清单) entered row by row from the keyboard — Enter moves
// to the next field and, at a row's end, opens a new row; Ctrl+Enter saves; Alt+↑/↓ moves a
// row, Ctrl+Delete removes it; an Enter that confirms Chinese input (IME composing) does
// neither —, the box's own expiry date (合同到期日), the category's checklist with what the
// saved list lacks. Saving sends the whole list (PUT /api/v1/boxes/{barcode}/contents); a
// refusal changes nothing and is shown with its code, the offending field marked. Data goes
// into the page only through textContent and attributes.
"use strict";

(() => {
  const { $, el, t, pick, clear } = Station;

  Station.addTexts({
    "contents.title": ["档案工作站 · 资料清单", "Archive station · Contents lists"],
    "contents.find": ["扫描或输入档案盒条码（或档案号）", "Scan or type a box's barcode (or archive number)"],
    "contents.find_hint": ["条码，回车打开", "barcode, Enter opens"],
    "contents.open": ["打开", "Open"],
    "contents.discard": ["档案盒 {box} 的清单有未保存的修改。放弃修改并打开 {next}？（再扫一次同一条码也可放弃）",
      "Box {box}'s list has unsaved changes. Discard them and open {next}? (Scanning the same code again discards too.)"],
    "contents.discard_yes": ["放弃修改并打开", "Discard and open"],
    "contents.discard_no": ["继续编辑", "Keep editing"],
    "contents.not_found": ["没有找到档案盒 {code}", "no box found for {code}"],
    "contents.box": ["档案盒", "Box"],
    "contents.category": ["类别：", "Category: "],
    "contents.checklist": ["典型资料清单：", "Checklist: "],
    "contents.no_checklist": ["（该类别没有，不要求必备资料）", "(none for this category: nothing is required)"],
    "contents.state": ["状态：", "State: "],
    "contents.state.complete": ["资料齐全", "complete"],
    "contents.state.incomplete": ["资料不齐", "incomplete"],
    "contents.state.awaiting_supplement": ["待补充资料（移交单 {handover}）", "waiting for supplements (handover {handover})"],
    "contents.totals": ["共 {count} 份资料，{pages} 页（含封面）", "{count} documents, {pages} pages (covers included)"],
    "contents.box_expiry": ["本盒合同到期日", "The box's contract expiry"],
    "contents.readonly": ["只读：你无权编辑资料清单", "Read only: you may not edit contents lists"],
    "contents.key.next": ["下一格（行末新增一行）", "next field (a new row at a row's end)"],
    "contents.key.save": ["保存", "save"],
    "contents.key.move": ["上移 / 下移本行", "move the row up / down"],
    "contents.key.remove": ["删除本行", "remove the row"],
    "contents.col.position": ["序号", "No."],
    "contents.col.name": ["资料名称", "Document"],
    "contents.col.type": ["类型", "Type"],
    "contents.col.pages": ["页数", "Pages"],
    "contents.col.date": ["日期", "Date"],
    "contents.col.original": ["原件", "Original"],
    "contents.col.signed": ["已签字", "Signed"],
    "contents.col.expiry": ["合同到期日", "Contract expiry"],
    "contents.col.actions": ["操作", "Actions"],
    "contents.up": ["上移", "Move up"],
    "contents.down": ["下移", "Move down"],
    "contents.remove": ["删除", "Remove"],
    "contents.signature": ["需{who}", "needs {who}"],
    "contents.add": ["新增一行", "Add a row"],
    "contents.save": ["保存（Ctrl+Enter）", "Save (Ctrl+Enter)"],
    "contents.dirty": ["有未保存的修改", "unsaved changes"],
    "contents.saving": ["正在保存…", "saving…"],
    "contents.saved": ["已保存：{count} 份资料，{pages} 页", "saved: {count} documents, {pages} pages"],
    "contents.refused": ["未保存（清单未做任何改动）：", "Not saved (the list is unchanged): "],
    "contents.completeness": ["完整性（以已保存的清单为准）", "Completeness (of the saved list)"],
    "contents.complete": ["必备资料齐全，均已签字", "every required document is there and signed"],
    "contents.incomplete": ["缺 {missing} 项，未签字 {unsigned} 项", "{missing} missing, {unsigned} unsigned"],
    "contents.missing": ["缺少的必备资料", "Required documents missing"],
    "contents.unsigned": ["未签字的必备资料", "Required documents not signed"],
    "contents.items": ["典型资料清单项目", "The checklist's items"],
    "contents.required": ["必备", "required"],
    "contents.optional": ["可选", "optional"],
    "contents.present": ["已有", "present"],
    "contents.none": ["无", "none"],
  });

  // The fields of a row, in the order Enter walks them.
  const FIELDS = ["name", "doc_type", "pages", "date", "original", "signed", "expiry"];
  const LABELS = {
    name: "contents.col.name",
    doc_type: "contents.col.type",
    pages: "contents.col.pages",
    date: "contents.col.date",
    original: "contents.col.original",
    signed: "contents.col.signed",
    expiry: "contents.col.expiry",
  };

  let box = null; // the station's last answer for the box shown (GET or PUT)
  let checklists = []; // GET /api/v1/checklists
  let saved = ""; // the body the station holds, as JSON: what "unsaved" compares with
  let readOnly = false;
  let saving = false;
  let pending = null; // a code waiting for "discard and open"
  let findSaid = null; // {key, values} or {message, code}
  let saveSaid = null; // {key, values, bad} or {message, code, bad}

  const fill = (key, values) =>
    t(key).replace(/\{(\w+)\}/g, (_, name) => String(values && values[name] != null ? values[name] : ""));

  function checklist() {
    const name = box && box.completeness.checklist;
    return checklists.find((list) => list.name === name) || null;
  }

  function itemOf(kind) {
    const list = checklist();
    return list ? list.items.find((item) => item.name === kind.trim()) || null : null;
  }

  // ---- dates ----------------------------------------------------------------------------

  /** 20240315, 2024.3.15, 2024/3/15, 2024年3月15日 → 2024-03-15; anything else as typed. */
  function normaliseDate(text) {
    const trimmed = text.trim();
    const match = /^(\d{4})(\d{2})(\d{2})$/.exec(trimmed) ||
      /^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?$/.exec(trimmed);
    if (!match) {
      return trimmed;
    }
    return match[1] + "-" + match[2].padStart(2, "0") + "-" + match[3].padStart(2, "0");
  }

  function isDate(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) {
      return false;
    }
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    return date.getUTCFullYear() === Number(match[1]) && date.getUTCMonth() === Number(match[2]) - 1 &&
      date.getUTCDate() === Number(match[3]);
  }

  // ---- rows -----------------------------------------------------------------------------

  function input(field, attrs) {
    return el("input", { attrs: Object.assign({ "data-field": field, spellcheck: "false", autocomplete: "off" }, attrs) });
  }

  function cell(field, child) {
    return el("td", { attrs: { "data-col": field, "data-label": t(LABELS[field]) } }, [child]);
  }

  function button(action, text, key) {
    return el("button", {
      text,
      attrs: { type: "button", tabindex: "-1", "data-action": action, "data-title": key, title: t(key), "aria-label": t(key) },
    });
  }

  /** A row for `doc` (a document of the station's answer, or null for a new row). */
  function rowNode(doc) {
    const name = input("name", { type: "text", maxlength: "100" });
    const type = input("doc_type", { type: "text", maxlength: "100", list: "doc-types" });
    const pages = input("pages", { type: "text", inputmode: "numeric", size: "5" });
    const date = input("date", { type: "text", inputmode: "numeric", placeholder: "YYYY-MM-DD", size: "10" });
    const original = input("original", { type: "checkbox" });
    const signed = input("signed", { type: "checkbox" });
    const expiry = input("expiry", { type: "text", inputmode: "numeric", placeholder: "YYYY-MM-DD", size: "10" });
    name.value = doc ? doc.name : "";
    type.value = doc ? doc.doc_type : "";
    pages.value = doc ? String(doc.pages) : "";
    date.value = doc && doc.date ? doc.date : "";
    original.checked = doc ? doc.original !== false : true;
    expiry.value = doc && doc.expiry ? doc.expiry : "";
    // The signature as recorded (null: not recorded); the box shows when the type wants one.
    const recorded = doc && typeof doc.signed === "boolean" ? doc.signed : null;
    signed.checked = recorded === true;
    const row = el("tr", { attrs: { "data-recorded": recorded === null ? "" : String(recorded) } }, [
      el("td", { className: "position", attrs: { "data-col": "position", "data-label": t("contents.col.position") } }),
      cell("name", name),
      cell("doc_type", type),
      cell("pages", pages),
      cell("date", date),
      cell("original", original),
      el("td", { attrs: { "data-col": "signed", "data-label": t(LABELS.signed) } }, [
        signed, el("span", { className: "who hint" }),
      ]),
      cell("expiry", expiry),
      el("td", { className: "actions", attrs: { "data-col": "actions" } }, [
        button("up", "↑", "contents.up"),
        button("down", "↓", "contents.down"),
        button("remove", "×", "contents.remove"),
      ]),
    ]);
    refreshRow(row);
    return row;
  }

  function field(row, name) {
    return row.querySelector("[data-field='" + name + "']");
  }

  /** Whether the row wants a signature (its type's checklist item names one). */
  function refreshRow(row) {
    const kind = field(row, "doc_type").value.trim() || field(row, "name").value.trim();
    const item = itemOf(kind);
    const wanted = !!(item && item.signature);
    const signed = field(row, "signed");
    const showBox = wanted || row.dataset.recorded !== "";
    signed.hidden = !showBox;
    signed.disabled = readOnly;
    const who = row.querySelector(".who");
    who.textContent = wanted ? fill("contents.signature", { who: item.signature }) : "";
    row.dataset.signature = wanted ? "wanted" : "";
  }

  function rows() {
    return Array.from($("rows").children);
  }

  function renumber() {
    rows().forEach((row, index) => {
      row.querySelector(".position").textContent = String(index + 1);
    });
  }

  function blank(row) {
    return ["name", "doc_type", "pages", "date", "expiry"].every((name) => field(row, name).value.trim() === "");
  }

  /** A new row after `after` (else at the end), for typing. */
  function addRow(after) {
    const row = rowNode(null);
    if (after && after.nextElementSibling) {
      after.after(row);
    } else {
      $("rows").append(row);
    }
    setEditable(row);
    renumber();
    return row;
  }

  function setEditable(scope) {
    for (const node of scope.querySelectorAll("input, button[data-action]")) {
      node.disabled = readOnly;
    }
  }

  /** A row's document as the API takes it (pages and dates as typed when they are not). */
  function documentOf(row) {
    const pages = field(row, "pages").value.trim();
    const date = normaliseDate(field(row, "date").value);
    const expiry = normaliseDate(field(row, "expiry").value);
    const signed = field(row, "signed");
    return {
      name: field(row, "name").value.trim(),
      doc_type: field(row, "doc_type").value.trim(),
      pages: pages === "" ? 0 : /^\d+$/.test(pages) ? Number(pages) : pages,
      date: date === "" ? null : date,
      original: field(row, "original").checked,
      expiry: expiry === "" ? null : expiry,
      signed: signed.hidden
        ? (row.dataset.recorded === "" ? null : row.dataset.recorded === "true")
        : signed.checked,
    };
  }

  /** The rows that are entered (a wholly empty row is left out) with their documents. */
  function entries() {
    return rows().filter((row) => !blank(row)).map((row) => ({ row, doc: documentOf(row) }));
  }

  function body() {
    const expiry = normaliseDate($("box-expiry").value);
    return { documents: entries().map((entry) => entry.doc), expiry: expiry === "" ? null : expiry };
  }

  function dirty() {
    return !!box && JSON.stringify(body()) !== saved;
  }

  // ---- showing ----------------------------------------------------------------------------

  function renderTotals() {
    const list = entries();
    const pages = list.reduce((sum, entry) => sum + (typeof entry.doc.pages === "number" ? entry.doc.pages : 0), 0);
    const totals = $("totals");
    totals.textContent = fill("contents.totals", { count: list.length, pages });
    totals.dataset.count = String(list.length);
    totals.dataset.pages = String(pages);
    $("dirty").hidden = !dirty();
  }

  function renderSaid() {
    const find = $("find-problem");
    find.textContent = findSaid ? (findSaid.message ? pick(findSaid.message) : fill(findSaid.key, findSaid.values)) : "";
    if (findSaid && findSaid.code) {
      find.dataset.code = findSaid.code;
    } else {
      delete find.dataset.code;
    }
    const status = $("save-status");
    if (!saveSaid) {
      status.textContent = "";
      delete status.dataset.code;
      delete status.dataset.state;
      return;
    }
    if (saveSaid.message) {
      // Both languages: the current one first, the other after it, and the code.
      const other = Station.language() === "en" ? saveSaid.message.zh : saveSaid.message.en;
      status.textContent = t("contents.refused") + pick(saveSaid.message) + " / " + (other || "") + " [" + saveSaid.code + "]";
    } else {
      status.textContent = fill(saveSaid.key, saveSaid.values);
    }
    status.className = saveSaid.bad ? "problem" : "status";
    status.dataset.state = saveSaid.state || "";
    if (saveSaid.code) {
      status.dataset.code = saveSaid.code;
    } else {
      delete status.dataset.code;
    }
  }

  function renderDiscard() {
    $("discard").hidden = !pending;
    $("discard-text").textContent = pending && box ? fill("contents.discard", { box: box.archive_no || box.barcode, next: pending }) : "";
  }

  function lackItem(lack, unsigned) {
    const text = (lack.part ? lack.part + " · " : "") + lack.name +
      (unsigned && lack.signature ? "（" + fill("contents.signature", { who: lack.signature }) + "）" : "");
    return el("li", { attrs: { "data-name": lack.name }, text });
  }

  function renderBox() {
    $("box-card").hidden = !box;
    $("check-card").hidden = !box;
    if (!box) {
      return;
    }
    $("box-archive-no").textContent = box.archive_no;
    $("box-barcode").textContent = box.barcode;
    $("box-category").textContent = box.category || t("none");
    $("box-checklist").textContent = box.completeness.checklist || t("contents.no_checklist");
    const state = $("box-state");
    state.textContent = fill("contents.state." + box.state, { handover: box.supplement ? box.supplement.handover : "" });
    state.dataset.state = box.state;
    state.className = "state-" + box.state;
    $("readonly").hidden = !readOnly;
    const list = checklist();
    const types = $("doc-types");
    clear(types);
    for (const item of list ? list.items : []) {
      types.append(el("option", { attrs: { value: item.name } }));
    }
    // The completeness is the station's answer for the saved list.
    const completeness = box.completeness;
    const line = $("complete-line");
    line.textContent = completeness.complete
      ? t("contents.complete")
      : fill("contents.incomplete", { missing: completeness.missing.length, unsigned: completeness.unsigned.length });
    line.className = completeness.complete ? "ok" : "problem";
    line.dataset.complete = String(completeness.complete);
    for (const [id, lacks, unsigned] of [["missing", completeness.missing, false], ["unsigned", completeness.unsigned, true]]) {
      const node = $(id);
      clear(node);
      for (const lack of lacks) {
        node.append(lackItem(lack, unsigned));
      }
      if (lacks.length === 0) {
        node.append(el("li", { className: "hint", text: t("contents.none") }));
      }
    }
    const missing = new Set(completeness.missing.map((lack) => lack.name));
    const unsigned = new Set(completeness.unsigned.map((lack) => lack.name));
    const present = new Set(box.documents.map((doc) => (doc.doc_type || "").trim() || doc.name.trim()));
    const items = $("items");
    clear(items);
    for (const item of list ? list.items : []) {
      const state = missing.has(item.name) ? "missing" : unsigned.has(item.name) ? "unsigned" : present.has(item.name) ? "present" : "";
      const words = [item.required ? t("contents.required") : t("contents.optional")];
      if (item.signature) {
        words.push(fill("contents.signature", { who: item.signature }));
      }
      if (state === "present") {
        words.push(t("contents.present"));
      }
      items.append(el("li", {
        className: state,
        attrs: { "data-name": item.name, "data-state": state, "data-required": String(item.required) },
      }, [
        el("span", { className: "part hint", text: item.part }),
        el("strong", { text: item.name }),
        el("span", { className: "words", text: words.join(" · ") }),
      ]));
    }
  }

  function renderLabels() {
    for (const node of $("rows").querySelectorAll("td[data-col]")) {
      const key = node.dataset.col === "position" ? "contents.col.position" : LABELS[node.dataset.col];
      if (key) {
        node.dataset.label = t(key);
      }
    }
    for (const node of $("rows").querySelectorAll("button[data-title]")) {
      node.setAttribute("title", t(node.dataset.title));
      node.setAttribute("aria-label", t(node.dataset.title));
    }
    rows().forEach(refreshRow);
  }

  /** Shows the station's answer: the rows, the box's expiry, the completeness. */
  function show(answer, focus) {
    box = answer;
    pending = null;
    const tbody = $("rows");
    clear(tbody);
    for (const doc of answer.documents) {
      tbody.append(rowNode(doc));
    }
    $("box-expiry").value = answer.expiry || "";
    $("box-expiry").disabled = readOnly;
    if (!readOnly) {
      // The next document goes into an empty row at the end.
      addRow();
    }
    setEditable(tbody);
    renumber();
    renderBox();
    saved = JSON.stringify(body());
    renderTotals();
    renderDiscard();
    if (focus) {
      focus();
    }
  }

  function focusField(row, name) {
    const node = row && field(row, name);
    if (node && !node.hidden && !node.disabled) {
      node.focus();
      if (node.type === "text") {
        node.select();
      }
      return true;
    }
    return false;
  }

  function clearMarks() {
    for (const node of document.querySelectorAll("[aria-invalid]")) {
      node.removeAttribute("aria-invalid");
    }
    for (const row of rows()) {
      delete row.dataset.bad;
    }
  }

  /** Marks the fields a refusal `code` is about (the station refuses the first one; every
   * field that breaks the same rule is marked) and focuses the first. */
  function mark(code, list) {
    const bad = [];
    const badText = (text) => [...text].length > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(text);
    for (const { row, doc } of list) {
      const fields = [];
      if (code === "contents.bad_pages" && !(typeof doc.pages === "number" && doc.pages >= 1 && doc.pages <= 100000)) {
        fields.push("pages");
      }
      if (code === "contents.no_name" && doc.name === "") {
        fields.push("name");
      }
      if (code === "contents.bad_text") {
        if (badText(doc.name)) {
          fields.push("name");
        }
        if (badText(doc.doc_type)) {
          fields.push("doc_type");
        }
      }
      if (code.startsWith("request.")) {
        if (typeof doc.pages !== "number") {
          fields.push("pages");
        }
        for (const name of ["date", "expiry"]) {
          if (doc[name] !== null && !isDate(doc[name])) {
            fields.push(name);
          }
        }
      }
      if (fields.length > 0) {
        row.dataset.bad = fields.join(" ");
        for (const name of fields) {
          field(row, name).setAttribute("aria-invalid", "true");
          bad.push(field(row, name));
        }
      }
    }
    const expiry = normaliseDate($("box-expiry").value);
    if (code.startsWith("request.") && expiry !== "" && !isDate(expiry)) {
      $("box-expiry").setAttribute("aria-invalid", "true");
      bad.push($("box-expiry"));
    }
    if (bad.length > 0) {
      bad[0].focus();
    }
  }

  // ---- loading and saving -------------------------------------------------------------------

  async function load(code) {
    const wanted = code.trim();
    if (!wanted) {
      return;
    }
    if (dirty() && pending !== wanted) {
      // Asked first; the same code scanned again (into the emptied field) gives the changes up.
      pending = wanted;
      $("box-code").value = "";
      renderDiscard();
      $("discard-yes").focus();
      return;
    }
    pending = null;
    renderDiscard();
    findSaid = null;
    saveSaid = null;
    clearMarks();
    renderSaid();
    const path = (barcode) => "/api/v1/boxes/" + encodeURIComponent(barcode) + "/contents";
    let answer;
    try {
      if (checklists.length === 0) {
        checklists = await Station.api("GET", "/api/v1/checklists");
      }
      let barcode = wanted.toUpperCase();
      if (!/^[A-Z]\d+$/.test(barcode)) {
        // Not a barcode: an archive number naming one box.
        const found = await Station.api("GET", "/api/v1/boxes?archive_no=" + encodeURIComponent(wanted));
        const exact = (found || []).filter((item) => item.archive_no === wanted);
        if (exact.length !== 1) {
          findSaid = { key: "contents.not_found", values: { code: wanted } };
          renderSaid();
          $("box-code").select();
          return;
        }
        barcode = exact[0].barcode;
      }
      answer = await Station.api("GET", path(barcode));
    } catch (error) {
      findSaid = error.status === 404 ? { key: "contents.not_found", values: { code: wanted }, code: error.code } : { message: error.bilingual, code: error.code };
      renderSaid();
      $("box-code").select();
      return;
    }
    $("box-code").value = "";
    show(answer, () => {
      const first = rows()[0];
      focusField(first, "name");
    });
  }

  async function save() {
    if (!box || saving || readOnly) {
      return;
    }
    clearMarks();
    // Dates typed short are saved in full.
    for (const node of document.querySelectorAll("#rows [data-field='date'], #rows [data-field='expiry'], #box-expiry")) {
      node.value = normaliseDate(node.value);
    }
    const list = entries();
    const request = body();
    const active = document.activeElement;
    const activeRow = active && active.closest ? active.closest("#rows tr") : null;
    const place = activeRow ? { index: rows().indexOf(activeRow), field: active.dataset.field } : null;
    saving = true;
    saveSaid = { key: "contents.saving" };
    renderSaid();
    try {
      const answer = await Station.api("PUT", "/api/v1/boxes/" + encodeURIComponent(box.barcode) + "/contents", request);
      saveSaid = { key: "contents.saved", values: { count: answer.document_count, pages: answer.pages }, state: "saved" };
      show(answer, () => {
        // The cursor goes back where it was, else into the empty row at the end.
        const all = rows();
        const row = place && place.index < all.length - 1 ? all[place.index] : all[all.length - 1];
        if (!focusField(row, place && place.index < all.length - 1 ? place.field || "name" : "name")) {
          $("box-code").focus();
        }
      });
    } catch (error) {
      saveSaid = { message: error.bilingual, code: error.code, bad: true, state: "refused" };
      if (error.status === 403) {
        // Not allowed to edit (the route's role): what was typed stays, read only.
        readOnly = true;
        setEditable($("rows"));
        $("box-expiry").disabled = true;
        renderBox();
      } else {
        mark(error.code || "", list);
      }
    } finally {
      saving = false;
      renderSaid();
      renderTotals();
    }
  }

  // ---- keys -------------------------------------------------------------------------------

  /** An Enter (or other key) that confirms text an input method is composing (Chinese). */
  function composing(event) {
    return event.isComposing || event.keyCode === 229;
  }

  function focusables(row) {
    return FIELDS.map((name) => field(row, name)).filter((node) => node && !node.hidden && !node.disabled);
  }

  function moveRow(row, by, fieldName) {
    const target = by < 0 ? row.previousElementSibling : row.nextElementSibling;
    if (!target) {
      return;
    }
    if (by < 0) {
      target.before(row);
    } else {
      target.after(row);
    }
    renumber();
    renderTotals();
    focusField(row, fieldName || "name");
  }

  function removeRow(row, fieldName) {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    if (rows().length === 0) {
      addRow();
    }
    renumber();
    renderTotals();
    focusField(next && next.isConnected ? next : rows()[0], fieldName || "name");
  }

  $("rows").addEventListener("keydown", (event) => {
    if (composing(event) || readOnly) {
      return;
    }
    const node = event.target;
    const row = node.closest("tr");
    if (!row || !node.dataset.field) {
      return;
    }
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      if (node.dataset.field === "date" || node.dataset.field === "expiry") {
        node.value = normaliseDate(node.value);
      }
      const order = focusables(row);
      const next = order[order.indexOf(node) + 1];
      if (next) {
        next.focus();
        if (next.type === "text") {
          next.select();
        }
        return;
      }
      // The row's end: the next row, or a new one.
      focusField(row.nextElementSibling || addRow(row), "name");
      renderTotals();
    } else if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      moveRow(row, event.key === "ArrowUp" ? -1 : 1, node.dataset.field);
    } else if ((event.ctrlKey || event.metaKey) && event.key === "Delete") {
      event.preventDefault();
      removeRow(row, node.dataset.field);
    }
  });

  $("rows").addEventListener("click", (event) => {
    const action = event.target.closest("button[data-action]");
    if (!action || readOnly) {
      return;
    }
    const row = action.closest("tr");
    if (action.dataset.action === "up") {
      moveRow(row, -1);
    } else if (action.dataset.action === "down") {
      moveRow(row, 1);
    } else {
      removeRow(row);
    }
  });

  $("rows").addEventListener("input", (event) => {
    const row = event.target.closest("tr");
    if (row && (event.target.dataset.field === "name" || event.target.dataset.field === "doc_type")) {
      refreshRow(row);
    }
    if (row && event.target.dataset.field === "signed") {
      row.dataset.recorded = String(event.target.checked);
    }
    renderTotals();
  });
  $("rows").addEventListener("change", (event) => {
    const node = event.target;
    if (node.dataset.field === "date" || node.dataset.field === "expiry") {
      node.value = normaliseDate(node.value);
    }
    renderTotals();
  });
  $("box-expiry").addEventListener("input", renderTotals);
  $("box-expiry").addEventListener("change", () => {
    $("box-expiry").value = normaliseDate($("box-expiry").value);
    renderTotals();
  });
  $("box-expiry").addEventListener("keydown", (event) => {
    if (composing(event) || event.key !== "Enter" || event.ctrlKey || event.metaKey) {
      return;
    }
    event.preventDefault();
    $("box-expiry").value = normaliseDate($("box-expiry").value);
    focusField(rows()[0], "name");
  });

  // Ctrl+Enter (or Ctrl+S) saves from anywhere on the page.
  document.addEventListener("keydown", (event) => {
    if (composing(event) || !box) {
      return;
    }
    const ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && (event.key === "Enter" || event.key === "s" || event.key === "S")) {
      event.preventDefault();
      save();
    }
  });

  $("find-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load($("box-code").value);
  });
  $("discard-yes").addEventListener("click", () => {
    const code = pending;
    if (code) {
      saved = JSON.stringify(body());
      load(code);
    }
  });
  $("discard-no").addEventListener("click", () => {
    pending = null;
    $("box-code").value = "";
    renderDiscard();
    focusField(rows()[0], "name");
  });
  $("add-row").addEventListener("click", () => {
    const all = rows();
    const last = all[all.length - 1];
    focusField(last && blank(last) ? last : addRow(), "name");
  });
  $("save").addEventListener("click", save);

  // Leaving the page with unsaved changes asks first.
  window.addEventListener("beforeunload", (event) => {
    if (dirty()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  Station.onLanguage(() => {
    renderLabels();
    renderBox();
    renderTotals();
    renderSaid();
    renderDiscard();
  });
  Station.init({
    onLogin: () => {
      $("box-code").focus();
      Station.api("GET", "/api/v1/checklists")
        .then((lists) => {
          checklists = lists || [];
          if (box) {
            renderBox();
            rows().forEach(refreshRow);
          }
        })
        .catch((error) => {
          findSaid = { message: error.bilingual, code: error.code };
          renderSaid();
        });
    },
    onLogout: () => {
      box = null;
      saved = "";
      pending = null;
      readOnly = false;
      clear($("rows"));
      renderBox();
      renderDiscard();
    },
  });
})();
