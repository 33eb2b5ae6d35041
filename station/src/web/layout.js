// Defining the room on the supervisor page (supervisors and administrators): lay out a
// block of racks with a preview of its shelves, add a room, safe, drawer or counter, edit
// a capacity or a rack's mobile flag, retire an empty location. Everything the station
// answers goes into the page as text.
(() => {
  "use strict";
  const { $ } = Station;

  Station.addTexts({
    "layout.title": ["布置库房", "Define the room"],
    "layout.block": ["整块布置密集架", "Lay out a block of racks"],
    "layout.room": ["库房", "Room"],
    "layout.racks": ["列", "Racks"],
    "layout.sides": ["面", "Sides"],
    "layout.sections": ["节数", "Sections"],
    "layout.shelves": ["层数", "Shelves"],
    "layout.capacity": ["每层容量（盒）", "Boxes per shelf"],
    "layout.capacity.one": ["容量", "Capacity"],
    "layout.mobile": ["密集架（可移动）", "Mobile dense shelving"],
    "layout.submit": ["布置", "Lay out"],
    "layout.preview": ["将布置 {shelves} 个层位（{racks} 列 × {sides} 面 × {sections} 节 × {per} 层）",
      "{shelves} shelves ({racks} racks × {sides} sides × {sections} sections × {per} shelves)"],
    "layout.preview.bad": ["请填写有效的列号、面、节数和层数", "Enter valid racks, sides, sections and shelves"],
    "layout.done": ["{room}：新建 {created} 个位置，已存在 {existing} 个，共 {shelves} 个层位",
      "{room}: {created} locations created, {existing} existed, {shelves} shelves"],
    "layout.done.retired": ["已停用、未恢复：{paths}", "retired, left so: {paths}"],
    "layout.add": ["新建库房、保险柜、抽屉或柜台", "Add a room, safe, drawer or counter"],
    "layout.kind": ["类型", "Kind"],
    "layout.kind.room": ["库房", "room"],
    "layout.kind.safe": ["保险柜", "safe"],
    "layout.kind.drawer": ["抽屉", "drawer"],
    "layout.kind.counter": ["柜台", "counter"],
    "layout.name": ["名称", "Name"],
    "layout.parent": ["所在位置（条码或路径）", "Stands in (barcode or path)"],
    "layout.add.submit": ["新建", "Add"],
    "layout.added": ["已新建 {path}（条码 {barcode}）", "{path} added (barcode {barcode})"],
    "layout.existed": ["{path} 已存在（条码 {barcode}），未做改动", "{path} exists already (barcode {barcode}); nothing changed"],
    "layout.edit": ["修改容量或密集架", "Edit a capacity or a rack"],
    "layout.location": ["位置条码", "Location barcode"],
    "layout.unchanged": ["不变", "unchanged"],
    "layout.yes": ["是", "yes"],
    "layout.no": ["否", "no"],
    "layout.edit.submit": ["修改", "Save"],
    "layout.edited": ["已修改 {path}", "{path} changed"],
    "layout.retire": ["停用位置（须已清空）", "Retire a location (once empty)"],
    "layout.reason": ["原因", "Reason"],
    "layout.retire.submit": ["停用", "Retire"],
    "layout.retired": ["{path} 已停用（共 {count} 个位置）", "{path} retired ({count} locations)"],
  });

  // What the page says last: a text key with its values, or a message from the station.
  let said = null;

  function fill(key, values) {
    let text = Station.t(key);
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function say(key, values, bad) {
    said = { key, values, bad };
    render();
  }

  function sayError(error) {
    said = { message: error.bilingual || { zh: String(error), en: String(error) }, code: error.code, bad: true };
    render();
  }

  function sides() {
    const letters = $("layout-sides").value.split(/[,，\s]+/).filter(Boolean);
    return letters.every((side) => /^[A-Za-z]面?$/.test(side)) ? letters : null;
  }

  function number(id) {
    const value = Number($(id).value);
    return Number.isInteger(value) && value > 0 ? value : null;
  }

  function block() {
    const first = number("layout-first");
    const last = number("layout-last");
    const sections = number("layout-sections");
    const shelves = number("layout-shelves");
    const letters = sides();
    if (!first || !last || last < first || !sections || !shelves || !letters || letters.length === 0) {
      return null;
    }
    const capacity = $("layout-capacity").value === "" ? null : Number($("layout-capacity").value);
    return {
      room: $("layout-room").value.trim(),
      first_rack: first,
      last_rack: last,
      sides: letters,
      sections,
      shelves,
      capacity: Number.isInteger(capacity) && capacity >= 0 ? capacity : null,
      mobile: $("layout-mobile").checked,
    };
  }

  function render() {
    const b = block();
    const preview = $("layout-preview");
    if (b) {
      const racks = b.last_rack - b.first_rack + 1;
      preview.textContent = fill("layout.preview", {
        shelves: racks * b.sides.length * b.sections * b.shelves,
        racks,
        sides: b.sides.length,
        sections: b.sections,
        per: b.shelves,
      });
      preview.dataset.shelves = String(racks * b.sides.length * b.sections * b.shelves);
    } else {
      preview.textContent = Station.t("layout.preview.bad");
      preview.dataset.shelves = "";
    }
    const status = $("layout-status");
    if (!said) {
      status.textContent = "";
      delete status.dataset.code;
      return;
    }
    let text = said.message ? Station.pick(said.message) : fill(said.key, said.values);
    if (said.retired) {
      text += (Station.language() === "en" ? "; " : "；") + fill("layout.done.retired", { paths: said.retired.join(", ") });
    }
    status.textContent = text;
    status.className = said.bad ? "problem" : "status";
    if (said.code) {
      status.dataset.code = said.code;
    } else {
      delete status.dataset.code;
    }
  }

  // Only supervisors and administrators define the room.
  function showForRole() {
    const who = Station.person();
    const allowed = !!who && (who.role === "supervisor" || who.role === "admin");
    $("layout").hidden = !allowed;
    if (!allowed) {
      said = null;
    }
    render();
  }

  async function submit(event, work) {
    event.preventDefault();
    try {
      await work();
    } catch (error) {
      sayError(error);
    }
  }

  $("layout-block").addEventListener("input", render);
  $("layout-block").addEventListener("submit", (event) => submit(event, async () => {
    const b = block();
    if (!b) {
      say("layout.preview.bad", {}, true);
      return;
    }
    const done = await Station.api("POST", "/api/v1/locations/layout", b);
    say("layout.done", { room: b.room, created: done.created, existing: done.existing, shelves: done.shelves });
    if (done.retired.length > 0) {
      said.retired = done.retired;
      render();
    }
  }));
  $("layout-add").addEventListener("submit", (event) => submit(event, async () => {
    const capacity = $("layout-add-capacity").value;
    const body = {
      kind: $("layout-kind").value,
      name: $("layout-name").value.trim(),
      parent: $("layout-parent").value.trim() || null,
      capacity: capacity === "" ? null : Number(capacity),
    };
    const done = await Station.api("POST", "/api/v1/locations/add", body);
    say(done.created ? "layout.added" : "layout.existed", { path: done.location.path, barcode: done.location.barcode });
  }));
  $("layout-edit").addEventListener("submit", (event) => submit(event, async () => {
    const body = {};
    if ($("layout-edit-capacity").value !== "") {
      body.capacity = Number($("layout-edit-capacity").value);
    }
    if ($("layout-edit-mobile").value !== "") {
      body.mobile = $("layout-edit-mobile").value === "true";
    }
    const barcode = encodeURIComponent($("layout-edit-location").value.trim().toUpperCase());
    const done = await Station.api("POST", "/api/v1/locations/" + barcode + "/edit", body);
    say("layout.edited", { path: done.path });
  }));
  $("layout-retire").addEventListener("submit", (event) => submit(event, async () => {
    const barcode = encodeURIComponent($("layout-retire-location").value.trim().toUpperCase());
    const done = await Station.api("POST", "/api/v1/locations/" + barcode + "/retire", {
      reason: $("layout-retire-reason").value.trim(),
    });
    say("layout.retired", { path: done.location.path, count: done.retired });
  }));

  Station.onLanguage(render);
  // The page signs in and out through common.js: follow #app being shown or hidden.
  new MutationObserver(showForRole).observe($("app"), { attributes: true, attributeFilter: ["hidden"] });
  showForRole();
})();
