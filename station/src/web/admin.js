// The admin page: people (add, edit, mark left, password, PIN, badge label), tokens
// (create — the secret shown once —, list, revoke), numbering schemes (add with a live
// preview, retire) and devices (list, add, enable, disable, remove). Only what the API
// offers; every refusal shows the server's own message in the page's language.
"use strict";

(() => {
  const { $, el, t, clear, formatTime } = Station;
  const { call, all, show, result, row, button, confirmIn, fill } = Office;

  Station.addTexts({
    "admin.title": ["档案工作站 · 管理", "Archive station · Admin"],
    "people.title": ["人员", "People"],
    "people.name": ["姓名", "Name"],
    "people.badge": ["工牌", "Badge"],
    "people.role": ["角色", "Role"],
    "people.borrow": ["可直接借阅", "May borrow directly"],
    "people.state": ["状态", "State"],
    "people.active": ["在职", "active"],
    "people.left": ["已离职", "left"],
    "people.add": ["添加人员", "Add person"],
    "people.added": ["已添加 {name}，工牌 {badge}", "Added {name}, badge {badge}"],
    "people.manage": ["管理", "Manage"],
    "people.save": ["保存", "Save"],
    "people.saved": ["已保存 {name}", "Saved {name}"],
    "people.password": ["新密码", "New password"],
    "people.set_password": ["重设密码", "Reset password"],
    "people.password_set": ["已为 {name} 重设密码", "Password of {name} reset"],
    "people.pin": ["柜台 PIN", "Counter PIN"],
    "people.set_pin": ["设置 PIN", "Set PIN"],
    "people.pin_set": ["已为 {name} 设置 PIN", "PIN of {name} set"],
    "people.workstation": ["打印工作站", "Print at workstation"],
    "people.print_badge": ["打印工牌", "Print badge"],
    "people.replace_badge": ["补发工牌（挂失）", "Replace badge (lost)"],
    "people.confirm_replace": ["为 {name} 补发新工牌？旧工牌立即作废，扫描时会被拒绝。",
      "Issue {name} a new badge? The old badge stops working at once and is refused when scanned."],
    "people.badge_replaced": ["{name} 的新工牌 {badge} 已生效，旧工牌已作废；请打印新工牌",
      "{name}'s new badge {badge} works now, the old one no longer does: print the new badge"],
    "people.badge_printed": ["工牌已送往打印机 {printer}（任务 {jobs}）", "Badge sent to printer {printer} (job {jobs})"],
    "people.mark_left": ["标记为已离职", "Mark as left"],
    "people.mark_back": ["恢复在职", "Mark as active again"],
    "people.confirm_left": ["确定将 {name} 标记为已离职？其工牌和令牌将立即失效。",
      "Mark {name} as left? Their badge and tokens stop working at once."],
    "people.marked_left": ["{name} 已标记为离职", "{name} is marked as left"],
    "people.marked_back": ["{name} 已恢复在职", "{name} is active again"],
    "tokens.title": ["访问令牌", "Access tokens"],
    "tokens.person": ["持有人", "Owner"],
    "tokens.label": ["用途", "Purpose"],
    "tokens.label_hint": ["例如：财务系统对接", "e.g. accounting system"],
    "tokens.create": ["创建令牌", "Create token"],
    "tokens.shown_once": ["令牌只显示这一次，请立即复制保存：", "The token is shown this once only; copy it now:"],
    "tokens.copy": ["复制", "Copy"],
    "tokens.copied": ["已复制", "copied"],
    "tokens.copy_failed": ["无法自动复制，请手动选中复制", "could not copy; select it and copy by hand"],
    "tokens.created": ["创建时间", "Created"],
    "tokens.state": ["状态", "State"],
    "tokens.live": ["有效", "live"],
    "tokens.revoked_at": ["已撤销（{at}）", "revoked ({at})"],
    "tokens.revoke": ["撤销", "Revoke"],
    "tokens.confirm_revoke": ["确定撤销令牌 #{id}（{name}）？使用它的程序将无法再访问。",
      "Revoke token #{id} ({name})? Programs using it lose access."],
    "tokens.revoked": ["令牌 #{id} 已撤销", "Token #{id} revoked"],
    "tokens.made": ["已为 {name} 创建令牌 #{id}", "Token #{id} created for {name}"],
    "schemes.title": ["编号方案", "Numbering schemes"],
    "schemes.name": ["名称", "Name"],
    "schemes.template": ["模板", "Template"],
    "schemes.preview": ["下一个编号", "Next number"],
    "schemes.add": ["添加方案", "Add scheme"],
    "schemes.hint": ["模板中用 {year} 表示年度，{seq} 或 {seq:04} 表示流水号。",
      "In the template {year} is the year and {seq} or {seq:04} the running number."],
    "schemes.origin": ["来源", "Defined in"],
    "schemes.state": ["状态", "State"],
    "schemes.in_use": ["使用中", "in use"],
    "schemes.retired": ["已停用", "retired"],
    "schemes.retire": ["停用", "Retire"],
    "schemes.confirm_retire": ["确定停用方案 {name}？之后不再分配新编号。", "Retire scheme {name}? It gives no new numbers afterwards."],
    "schemes.added": ["已添加方案 {name}", "Scheme {name} added"],
    "schemes.retired_now": ["方案 {name} 已停用", "Scheme {name} retired"],
    "origin.config": ["配置文件", "station.toml"],
    "origin.station": ["工作站", "the station"],
    "devices.title": ["设备", "Devices"],
    "devices.kind": ["类型", "Kind"],
    "devices.printer": ["打印机", "printer"],
    "devices.scanner": ["扫描枪", "scanner"],
    "devices.name": ["名称", "Name"],
    "devices.language": ["语言", "Language"],
    "devices.dpi": ["分辨率 (dpi)", "Resolution (dpi)"],
    "devices.connect": ["连接", "Connection"],
    "devices.port": ["端口", "Port"],
    "devices.workstation": ["工作站", "Workstation"],
    "devices.where": ["端口 / 工作站", "Port / workstation"],
    "devices.state": ["状态", "State"],
    "devices.origin": ["来源", "Defined in"],
    "devices.add": ["添加设备", "Add device"],
    "devices.added": ["已添加设备 {name}", "Device {name} added"],
    "devices.enable": ["启用", "Enable"],
    "devices.disable": ["停用", "Disable"],
    "devices.remove": ["移除", "Remove"],
    "devices.confirm_remove": ["确定移除设备 {name}？", "Remove device {name}?"],
    "devices.enabled_now": ["设备 {name} 已启用", "Device {name} enabled"],
    "devices.disabled_now": ["设备 {name} 已停用", "Device {name} disabled"],
    "devices.removed": ["设备 {name} 已移除", "Device {name} removed"],
    "devices.connected": ["已连接", "connected"],
    "devices.disconnected": ["未连接", "disconnected"],
    "devices.off": ["已停用", "disabled"],
  });

  const state = { people: [], tokens: [], schemes: [], devices: [], workstations: [], chosen: null };
  const statuses = ["person-add-status", "person-status", "token-status", "token-copied",
    "scheme-status", "scheme-preview", "device-status"].map((id) => result($(id)));
  void statuses;

  const fail = (node) => (error) => show(node, { error });
  const done = (node, text, values) => show(node, { ok: true, text, values });

  // ---- people ----------------------------------------------------------------------

  async function loadPeople() {
    state.people = await all("/api/v1/people");
    drawPeople();
    drawTokenPeople();
  }

  function drawPeople() {
    const body = $("people").tBodies[0];
    clear(body);
    for (const person of state.people) {
      const manage = button("people.manage", () => choose(person.barcode), { "data-badge": person.barcode || "" });
      body.append(row([
        ["people.name", person.name],
        ["people.badge", el("span", { className: "code", text: person.badge || person.barcode || t("none") })],
        ["people.role", t("role." + person.role)],
        ["people.borrow", t(person.borrow_directly ? "office.yes" : "office.no")],
        ["people.state", t(person.active ? "people.active" : "people.left")],
        ["", el("div", { className: "actions" }, [manage])],
      ], person.active ? "" : "left"));
    }
  }

  function chosen() {
    return state.people.find((person) => person.barcode === state.chosen) || null;
  }

  function choose(barcode) {
    state.chosen = barcode;
    const person = chosen();
    if (!person) {
      $("person-panel").hidden = true;
      return;
    }
    $("person-panel").hidden = false;
    $("panel-name").textContent = person.name;
    $("panel-badge").textContent = person.badge || person.barcode;
    $("edit-name").value = person.name;
    $("edit-role").value = person.role;
    $("edit-borrow").checked = person.borrow_directly;
    $("person-left").hidden = !person.active;
    $("person-back").hidden = person.active;
    show($("person-status"), null);
    $("edit-name").focus();
  }

  function replacePerson(view) {
    const index = state.people.findIndex((person) => person.barcode === view.barcode);
    if (index >= 0) {
      state.people[index] = view;
    } else {
      state.people.push(view);
    }
    drawPeople();
    drawTokenPeople();
  }

  $("person-add-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("person-add-status");
    show(status, { text: "office.working" });
    try {
      const view = await call("POST", "/api/v1/people/add", {
        name: $("person-name").value.trim(),
        role: $("person-role").value,
        borrow_directly: $("person-borrow").checked,
      });
      replacePerson(view);
      done(status, "people.added", { name: view.name, badge: view.barcode });
      $("person-name").value = "";
      $("person-borrow").checked = false;
      $("person-name").focus();
    } catch (error) {
      fail(status)(error);
    }
  });

  $("person-edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const person = chosen();
    if (!person) {
      return;
    }
    const status = $("person-status");
    show(status, { text: "office.working" });
    try {
      const view = await call("POST", "/api/v1/people/" + encodeURIComponent(person.barcode) + "/edit", {
        name: $("edit-name").value.trim(),
        role: $("edit-role").value,
        borrow_directly: $("edit-borrow").checked,
      });
      replacePerson(view);
      done(status, "people.saved", { name: view.name });
    } catch (error) {
      fail(status)(error);
    }
  });

  async function setActive(active) {
    const person = chosen();
    const status = $("person-status");
    show(status, { text: "office.working" });
    try {
      const view = await call("POST", "/api/v1/people/" + encodeURIComponent(person.barcode) + "/edit", { active });
      replacePerson(view);
      choose(view.barcode);
      done(status, active ? "people.marked_back" : "people.marked_left", { name: view.name });
    } catch (error) {
      fail(status)(error);
    }
  }

  $("person-left").addEventListener("click", () => {
    const person = chosen();
    if (person) {
      confirmIn($("person-left-holder"), fill(t("people.confirm_left"), { name: person.name }), () => setActive(false));
    }
  });
  $("person-back").addEventListener("click", () => setActive(true));

  // Password and PIN: the sign-in routes (`POST /api/v1/people/{barcode}/password`
  // {"password"} and `/pin` {"pin"}); the station's policy answers, the page shows it.
  for (const [form, input, what, done_key] of [
    ["person-password-form", "edit-password", "password", "people.password_set"],
    ["person-pin-form", "edit-pin", "pin", "people.pin_set"],
  ]) {
    $(form).addEventListener("submit", async (event) => {
      event.preventDefault();
      const person = chosen();
      const status = $("person-status");
      show(status, { text: "office.working" });
      try {
        await call("POST", "/api/v1/people/" + encodeURIComponent(person.barcode) + "/" + what, { [what]: $(input).value });
        $(input).value = "";
        done(status, done_key, { name: person.name });
      } catch (error) {
        fail(status)(error);
      }
    });
  }

  // A lost badge: `POST /api/v1/people/{barcode}/badge` issues a new code; the person
  // keeps their own code in every record, the list shows the new one.
  $("person-replace-badge").addEventListener("click", () => {
    const person = chosen();
    if (!person) {
      return;
    }
    confirmIn($("person-left-holder"), fill(t("people.confirm_replace"), { name: person.name }), async () => {
      const status = $("person-status");
      show(status, { text: "office.working" });
      try {
        const answer = await call("POST", "/api/v1/people/" + encodeURIComponent(person.barcode) + "/badge");
        person.badge = answer.badge;
        drawPeople();
        $("panel-badge").textContent = answer.badge;
        done(status, "people.badge_replaced", { name: person.name, badge: answer.badge });
      } catch (error) {
        fail(status)(error);
      }
    });
  });

  $("person-badge-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const person = chosen();
    const status = $("person-status");
    const workstation = $("badge-workstation").value;
    show(status, { text: "office.working" });
    try {
      const jobs = await call("POST", "/api/v1/labels", {
        barcodes: [person.barcode],
        workstation: workstation || undefined,
      });
      done(status, "people.badge_printed", {
        printer: jobs.map((job) => job.printer).join(", "),
        jobs: jobs.map((job) => job.id).join(", "),
      });
    } catch (error) {
      fail(status)(error);
    }
  });

  // ---- tokens ----------------------------------------------------------------------

  function drawTokenPeople() {
    const select = $("token-person");
    const was = select.value;
    clear(select);
    for (const person of state.people.filter((p) => p.active && p.barcode)) {
      select.append(el("option", { text: person.name + " · " + person.barcode, attrs: { value: person.barcode } }));
    }
    if (was) {
      select.value = was;
    }
  }

  async function loadTokens() {
    state.tokens = await all("/api/v1/tokens");
    drawTokens();
  }

  function drawTokens() {
    const body = $("tokens").tBodies[0];
    clear(body);
    for (const token of state.tokens.slice().reverse()) {
      const actions = el("div", { className: "actions" });
      if (token.revoked_at == null) {
        actions.append(button("tokens.revoke", () => {
          confirmIn(actions, fill(t("tokens.confirm_revoke"), { id: token.id, name: token.person_name }), async () => {
            show($("token-status"), { text: "office.working" });
            try {
              await call("POST", "/api/v1/tokens/" + token.id + "/revoke");
              done($("token-status"), "tokens.revoked", { id: token.id });
              await loadTokens();
            } catch (error) {
              fail($("token-status"))(error);
            }
          });
        }, { "data-token": String(token.id) }));
      }
      body.append(row([
        ["", "#" + token.id],
        ["tokens.person", token.person_name + " · " + token.person],
        ["tokens.label", token.label],
        ["tokens.created", formatTime(token.created_at)],
        ["tokens.state", token.revoked_at == null ? t("tokens.live") : fill(t("tokens.revoked_at"), { at: formatTime(token.revoked_at) })],
        ["", actions],
      ], token.revoked_at == null ? "" : "revoked"));
    }
  }

  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("token-status");
    show(status, { text: "office.working" });
    $("token-secret-box").hidden = true;
    $("token-secret").textContent = "";
    try {
      const made = await call("POST", "/api/v1/tokens/create", {
        person: $("token-person").value,
        label: $("token-label").value.trim(),
      });
      $("token-secret").textContent = made.secret;
      $("token-secret-box").hidden = false;
      show($("token-copied"), null);
      const person = state.people.find((p) => p.barcode === made.person);
      done(status, "tokens.made", { id: made.id, name: person ? person.name : made.person });
      $("token-label").value = "";
      $("token-copy").focus();
      await loadTokens();
    } catch (error) {
      fail(status)(error);
    }
  });

  // Copies by selecting the secret and the browser's copy command (works without a
  // clipboard permission); where that is refused the secret stays selected for Ctrl+C.
  $("token-copy").addEventListener("click", () => {
    const range = document.createRange();
    range.selectNodeContents($("token-secret"));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (_) {
      copied = false;
    }
    show($("token-copied"), copied ? { ok: true, text: "tokens.copied" } : { text: "tokens.copy_failed" });
  });

  // ---- schemes ---------------------------------------------------------------------

  async function loadSchemes() {
    state.schemes = await all("/api/v1/schemes");
    const body = $("schemes").tBodies[0];
    clear(body);
    for (const scheme of state.schemes) {
      const actions = el("div", { className: "actions" });
      if (scheme.origin === "station" && !scheme.retired) {
        actions.append(button("schemes.retire", () => {
          confirmIn(actions, fill(t("schemes.confirm_retire"), { name: scheme.name }), async () => {
            show($("scheme-status"), { text: "office.working" });
            try {
              await call("POST", "/api/v1/schemes/" + encodeURIComponent(scheme.name) + "/retire");
              done($("scheme-status"), "schemes.retired_now", { name: scheme.name });
              await loadSchemes();
            } catch (error) {
              fail($("scheme-status"))(error);
            }
          });
        }, { "data-scheme": scheme.name }));
      }
      body.append(row([
        ["schemes.name", scheme.name],
        ["schemes.template", el("span", { className: "code", text: scheme.template })],
        ["schemes.origin", t("origin." + scheme.origin)],
        ["schemes.state", t(scheme.retired ? "schemes.retired" : "schemes.in_use")],
        ["", actions],
      ], scheme.retired ? "retired" : ""));
    }
  }

  // The preview asks the station (one rule for templates: the server's), a moment after
  // the last key; an older answer never overwrites a newer one.
  let previewTimer = null;
  let previewAsked = 0;
  function preview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const template = $("scheme-template").value;
      const asked = ++previewAsked;
      const output = $("scheme-preview");
      if (!template) {
        show(output, null);
        return;
      }
      try {
        const answer = await call("GET", "/api/v1/schemes/preview?template=" + encodeURIComponent(template));
        if (asked === previewAsked) {
          show(output, { message: { zh: answer.next, en: answer.next } });
        }
      } catch (error) {
        if (asked === previewAsked) {
          fail(output)(error);
        }
      }
    }, 250);
  }
  $("scheme-template").addEventListener("input", preview);

  $("scheme-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("scheme-status");
    show(status, { text: "office.working" });
    try {
      const added = await call("POST", "/api/v1/schemes/add", {
        name: $("scheme-name").value.trim(),
        template: $("scheme-template").value.trim(),
      });
      done(status, "schemes.added", { name: added.name });
      $("scheme-name").value = "";
      $("scheme-template").value = "";
      show($("scheme-preview"), null);
      await loadSchemes();
    } catch (error) {
      fail(status)(error);
    }
  });

  // ---- devices ---------------------------------------------------------------------

  async function loadDevices() {
    state.devices = await all("/api/v1/devices");
    const body = $("devices").tBodies[0];
    clear(body);
    for (const device of state.devices) {
      const name = device.name;
      const actions = el("div", { className: "actions" });
      const change = (what, key) => async () => {
        show($("device-status"), { text: "office.working" });
        try {
          await call("POST", "/api/v1/devices/" + encodeURIComponent(name) + "/" + what);
          done($("device-status"), key, { name });
          await loadDevices();
        } catch (error) {
          fail($("device-status"))(error);
        }
      };
      actions.append(device.enabled
        ? button("devices.disable", change("disable", "devices.disabled_now"), { "data-device": name, "data-action": "disable" })
        : button("devices.enable", change("enable", "devices.enabled_now"), { "data-device": name, "data-action": "enable" }));
      if (device.origin === "station") {
        actions.append(button("devices.remove", () => {
          confirmIn(actions, fill(t("devices.confirm_remove"), { name }), change("remove", "devices.removed"));
        }, { "data-device": name, "data-action": "remove" }));
      }
      const stateText = !device.enabled ? t("devices.off") : t(device.connected ? "devices.connected" : "devices.disconnected");
      const problem = device.last_problem && device.last_problem.ended_at == null
        ? " — " + Station.pick(device.last_problem.message || device.last_problem)
        : "";
      body.append(row([
        ["devices.name", name],
        ["devices.kind", t("devices." + device.kind)],
        ["devices.where", [device.port, device.workstation].filter(Boolean).join(" · ")],
        ["devices.state", stateText + problem],
        ["devices.origin", t("origin." + device.origin)],
        ["", actions],
      ], device.enabled ? (device.connected ? "connected" : "disconnected") : "disabled"));
    }
  }

  function kindFields() {
    const kind = $("device-kind").value;
    for (const label of document.querySelectorAll("#device-form [data-for]")) {
      label.hidden = label.dataset.for !== kind;
    }
  }
  $("device-kind").addEventListener("change", kindFields);

  $("device-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("device-status");
    show(status, { text: "office.working" });
    const kind = $("device-kind").value;
    const name = $("device-name").value.trim();
    const body = kind === "printer"
      ? { kind, name, language: $("device-language").value, dpi: Number($("device-dpi").value), connect: $("device-connect").value.trim() }
      : { kind, name, port: $("device-port").value.trim(), workstation: $("device-workstation").value };
    try {
      await call("POST", "/api/v1/devices/add", body);
      done(status, "devices.added", { name });
      $("device-name").value = "";
      await loadDevices();
    } catch (error) {
      fail(status)(error);
    }
  });

  async function loadWorkstations() {
    state.workstations = await call("GET", "/api/v1/workstations");
    for (const id of ["badge-workstation", "device-workstation"]) {
      const select = $(id);
      clear(select);
      for (const workstation of state.workstations) {
        const text = workstation.printer ? workstation.name + " → " + workstation.printer : workstation.name;
        select.append(el("option", { text, attrs: { value: workstation.name } }));
      }
    }
  }

  // ---- the page --------------------------------------------------------------------

  async function start() {
    const mine = await Office.role();
    const allowed = Office.atLeast(mine, "admin");
    $("no-role").hidden = allowed;
    $("admin-parts").hidden = !allowed;
    if (!allowed) {
      Office.roleNotice($("no-role-text"), "office.needs_role", "admin", mine);
      Station.onLanguage(() => Office.roleNotice($("no-role-text"), "office.needs_role", "admin", mine));
      return;
    }
    kindFields();
    await Promise.all([loadPeople(), loadTokens(), loadSchemes(), loadDevices(), loadWorkstations()])
      .catch(fail($("person-add-status")));
    $("person-name").focus();
  }

  Station.onLanguage(() => {
    drawPeople();
    drawTokens();
    if (state.schemes.length) {
      loadSchemes().catch(() => {});
    }
    if (state.devices.length) {
      loadDevices().catch(() => {});
    }
  });

  Station.init({
    onLogin: () => {
      start().catch(fail($("person-add-status")));
    },
    onLogout: () => {
      state.people = [];
      state.tokens = [];
      state.chosen = null;
      $("person-panel").hidden = true;
      $("token-secret-box").hidden = true;
      $("token-secret").textContent = "";
    },
  });
})();
