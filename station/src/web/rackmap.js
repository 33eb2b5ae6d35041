// The rack map of the supervisor page: the room overview (every rack's fill, so that one
// sees where space is left; safes and counters), a rack drawn as it stands (per side, its
// sections as columns and its shelves as rows, the top shelf on top), each shelf coloured
// by fill with its count, boxes on loan and missing written out (colour is never the only
// sign); a click on a shelf lists it in the shelf view. A box opened from the search is
// located: its shelf is marked on the map and its place is written out in words next to
// it. And the room's statistics (fill by room and rack, boxes by category and year) with
// their CSV and Excel downloads. Everything comes from /api/v1/map (tallies: no box is
// read); data goes into the page only as text and attributes.
"use strict";

(() => {
  const { $, el, t, pick, api } = Station;

  Station.addTexts({
    "map.title": ["货架图", "Rack map"],
    "map.overview": ["库房概览", "Rooms"],
    "map.loading": ["正在读取…", "loading…"],
    "map.no_rooms": ["还没有库房", "no rooms yet"],
    "map.pick_rack": ["点一列货架查看货架图", "pick a rack to see its map"],
    "map.boxes_of": ["{boxes}/{capacity} 盒", "{boxes}/{capacity} boxes"],
    "map.boxes": ["{boxes} 盒", "{boxes} boxes"],
    "map.percent": ["{n}%", "{n}%"],
    "map.free": ["余 {n} 盒", "{n} free"],
    "map.on_loan": ["借出 {n}", "{n} out"],
    "map.missing": ["缺失 {n}", "{n} missing"],
    "map.mobile": ["密集架", "mobile"],
    "map.fixed": ["固定架", "fixed"],
    "map.retired": ["已停用", "retired"],
    "map.hidden": ["（仅主管可见）", "(supervisors only)"],
    "map.items": ["{n} 件", "{n} items"],
    "map.places": ["保险柜与柜台", "Safes and counters"],
    "map.here": ["在此", "here"],
    "map.where": ["位置", "Where"],
    "map.where_home": ["借出中，应在", "on loan; belongs at"],
    "map.where_nowhere": ["尚未上架", "not shelved yet"],
    "map.shelf_title": ["{path}：{boxes} 盒，容量 {capacity}，借出 {on_loan}，缺失 {missing}",
      "{path}: {boxes} boxes, capacity {capacity}, {on_loan} on loan, {missing} missing"],
    "map.legend": ["颜色：", "Colours:"],
    "map.legend.empty": ["空", "empty"],
    "map.legend.low": ["低于 50%", "under 50%"],
    "map.legend.mid": ["50–79%", "50–79%"],
    "map.legend.high": ["80–99%", "80–99%"],
    "map.legend.full": ["满", "full"],
    "map.legend.unknown": ["容量未知", "no capacity"],
    "map.refresh": ["刷新", "Refresh"],
    "kind.room": ["库房", "room"],
    "kind.rack": ["列", "rack"],
    "kind.side": ["面", "side"],
    "kind.section": ["节", "section"],
    "kind.shelf": ["层", "shelf"],
    "kind.safe": ["保险柜", "safe"],
    "kind.drawer": ["抽屉", "drawer"],
    "kind.counter": ["柜台", "counter"],
    "stats.title": ["库房统计", "Statistics of the room"],
    "stats.fill": ["使用率（按库房与列）", "Fill by room and rack"],
    "stats.categories": ["盒数（按类别与年度）", "Boxes by category and year"],
    "stats.room": ["库房", "Room"],
    "stats.rack": ["列", "Rack"],
    "stats.boxes": ["盒数", "Boxes"],
    "stats.capacity": ["容量", "Capacity"],
    "stats.used": ["使用率", "Used"],
    "stats.category": ["类别", "Category"],
    "stats.year": ["年度", "Year"],
    "stats.no_category": ["（无类别）", "(no category)"],
    "stats.all": ["全部", "all"],
    "stats.fill_csv": ["使用率 CSV", "Fill CSV"],
    "stats.fill_xlsx": ["使用率 Excel", "Fill Excel"],
    "stats.categories_csv": ["类别年度 CSV", "Categories CSV"],
    "stats.categories_xlsx": ["类别年度 Excel", "Categories Excel"],
  });

  const state = {
    overview: null, // GET /api/v1/map
    overviewError: null,
    rack: null, // GET /api/v1/map/racks/{barcode}
    rackBarcode: null,
    rackError: null,
    where: null, // GET /api/v1/map/where/{barcode}
    whereError: null,
    categories: null,
    categoriesError: null,
    downloadError: null,
  };

  const format = (key, values) =>
    t(key).replace(/\{(\w+)\}/g, (_, name) => (values[name] == null ? "—" : String(values[name])));

  // The fill class of a figure: empty, low (< 50 %), mid (50–79 %), high (80–99 %), full
  // (≥ 100 %), unknown (no capacity recorded, boxes there).
  function fillClass(fill) {
    if (!fill || fill.boxes == null) {
      return "fill-hidden";
    }
    if (fill.boxes === 0) {
      return "fill-empty";
    }
    if (!fill.capacity) {
      return "fill-unknown";
    }
    const share = fill.boxes / fill.capacity;
    if (share >= 1) {
      return "fill-full";
    }
    if (share >= 0.8) {
      return "fill-high";
    }
    return share >= 0.5 ? "fill-mid" : "fill-low";
  }

  // "12/40 盒 · 30%" (or "12 盒" without a capacity; "（仅主管可见）" when hidden).
  function fillText(fill) {
    if (!fill || fill.boxes == null) {
      return t("map.hidden");
    }
    if (!fill.capacity) {
      return format("map.boxes", fill);
    }
    return format("map.boxes_of", fill) + " · " + format("map.percent", { n: fill.percent });
  }

  // The marks of boxes on loan and missing, as words.
  function marks(fill) {
    const out = [];
    if (fill && fill.on_loan) {
      out.push(el("span", { className: "mark on-loan", text: format("map.on_loan", { n: fill.on_loan }) }));
    }
    if (fill && fill.missing) {
      out.push(el("span", { className: "mark missing", text: format("map.missing", { n: fill.missing }) }));
    }
    return out;
  }

  function bar(fill) {
    const share = fill && fill.capacity && fill.boxes != null ? Math.min(100, Math.round((fill.boxes * 100) / fill.capacity)) : 0;
    const inner = el("span", { className: "bar-fill " + fillClass(fill) });
    inner.style.width = share + "%";
    return el("span", { className: "fill-bar", attrs: { "aria-hidden": "true" } }, [inner]);
  }

  // ---- loading ---------------------------------------------------------------------

  async function load() {
    state.overviewError = null;
    try {
      state.overview = await api("/api/v1/map");
    } catch (error) {
      state.overview = null;
      state.overviewError = error.bilingual;
    }
    try {
      const categories = await api("/api/v1/map/categories");
      state.categories = Array.isArray(categories) ? categories : [];
      state.categoriesError = null;
    } catch (error) {
      state.categoriesError = error.bilingual;
    }
    if (!state.rackBarcode && state.overview) {
      const first = (state.overview.rooms || []).find((room) => (room.racks || []).length);
      if (first) {
        await openRack(first.racks[0].barcode);
        return;
      }
    } else if (state.rackBarcode) {
      await openRack(state.rackBarcode);
      return;
    }
    render();
  }

  async function openRack(barcode) {
    state.rackBarcode = barcode;
    state.rackError = null;
    try {
      const rack = await api("/api/v1/map/racks/" + encodeURIComponent(barcode));
      if (state.rackBarcode === barcode) {
        state.rack = rack;
      }
    } catch (error) {
      state.rack = null;
      state.rackError = error.bilingual;
    }
    render();
  }

  // Marks where the box `item` is: its shelf on the map (its rack drawn), its place in
  // words next to the map.
  async function locate(item) {
    if (!item || !item.barcode || item.kind === "location") {
      return;
    }
    state.whereError = null;
    let where;
    try {
      where = await api("/api/v1/map/where/" + encodeURIComponent(item.barcode));
    } catch (error) {
      state.where = null;
      state.whereError = error.bilingual;
      render();
      return;
    }
    state.where = where;
    if (where && where.rack && where.rack !== (state.rack && state.rack.barcode)) {
      await openRack(where.rack);
    } else {
      render();
    }
  }

  function reset() {
    for (const key of Object.keys(state)) {
      state[key] = null;
    }
    render();
  }

  function listShelf(barcode) {
    const input = $("shelf-barcode");
    const form = $("shelf-form");
    if (input && form) {
      input.value = barcode;
      form.requestSubmit();
      $("shelf").scrollIntoView();
    }
  }

  // ---- drawing ---------------------------------------------------------------------

  function renderWhere() {
    const node = $("map-where");
    Station.clear(node);
    node.classList.toggle("problem", Boolean(state.whereError));
    if (state.whereError) {
      node.textContent = pick(state.whereError);
      return;
    }
    const where = state.where;
    if (!where) {
      return;
    }
    node.append(el("span", { className: "where-box code", text: where.archive_no || where.barcode }), " ");
    if (!where.levels || !where.levels.length) {
      node.append(t("map.where_nowhere"));
      return;
    }
    if (where.at === "home") {
      node.append(el("span", { className: "where-note", text: t("map.where_home") }), " ");
    }
    const words = el("span", { className: "where-path", attrs: { "data-path": where.levels[where.levels.length - 1].path } });
    where.levels.forEach((level, at) => {
      if (at > 0) {
        words.append(el("span", { className: "arrow", text: " → " }));
      }
      words.append(el("span", { className: "level", text: level.name, attrs: { title: t("kind." + level.kind) } }));
    });
    node.append(words);
  }

  function renderOverview() {
    const box = $("map-overview");
    Station.clear(box);
    if (state.overviewError) {
      box.append(el("p", { className: "problem", text: pick(state.overviewError) }));
      return;
    }
    const overview = state.overview;
    if (!overview) {
      return;
    }
    if (!(overview.rooms || []).length && !(overview.places || []).length) {
      box.append(el("p", { className: "status", text: t("map.no_rooms") }));
    }
    for (const room of overview.rooms || []) {
      const head = el("h3", { className: "room-head" }, [
        el("span", { className: "room-name", text: room.name }),
        " ",
        el("span", { className: "room-fill", text: fillText(room.fill) }),
      ]);
      if (room.fill && room.fill.capacity && room.fill.boxes != null) {
        head.append(" ", el("span", { className: "free", text: format("map.free", { n: Math.max(0, room.fill.capacity - room.fill.boxes) }) }));
      }
      const racks = el("ul", { className: "racks" });
      for (const rack of room.racks || []) {
        const button = el("button", {
          className: "rack-tile " + fillClass(rack.fill),
          attrs: {
            type: "button",
            "data-barcode": rack.barcode,
            "aria-pressed": String(rack.barcode === state.rackBarcode),
          },
        }, [
          el("span", { className: "rack-name", text: rack.name }),
          el("span", { className: "rack-kind", text: t(rack.mobile ? "map.mobile" : "map.fixed") + (rack.retired ? " · " + t("map.retired") : "") }),
          bar(rack.fill),
          el("span", { className: "rack-fill", text: fillText(rack.fill) }),
          ...marks(rack.fill),
        ]);
        button.addEventListener("click", () => openRack(rack.barcode));
        racks.append(el("li", {}, [button]));
      }
      box.append(el("div", { className: "room", attrs: { "data-barcode": room.barcode } }, [head, racks, places(room.places)]));
    }
    if ((overview.places || []).length) {
      box.append(el("div", { className: "room" }, [el("h3", { text: t("map.places") }), places(overview.places)]));
    }
  }

  function places(list) {
    const out = el("ul", { className: "places" });
    for (const place of list || []) {
      const count = place.items == null ? t("map.hidden") : format("map.items", { n: place.items });
      out.append(el("li", { attrs: { "data-barcode": place.barcode } }, [
        el("span", { className: "place-kind", text: t("kind." + place.kind) }),
        " ",
        el("span", { className: "place-name", text: place.name }),
        " ",
        el("span", { className: "place-count", text: count }),
      ]));
    }
    return out;
  }

  function renderRack() {
    const box = $("map-rack");
    Station.clear(box);
    if (state.rackError) {
      box.append(el("p", { className: "problem", text: pick(state.rackError) }));
      return;
    }
    const rack = state.rack;
    if (!rack) {
      if (state.overview) {
        box.append(el("p", { className: "status", text: t("map.pick_rack") }));
      }
      return;
    }
    const located = state.where && state.where.shelf;
    box.append(el("h3", { className: "rack-head", attrs: { "data-barcode": rack.barcode } }, [
      el("span", { text: rack.path }),
      " ",
      el("span", { className: "rack-kind", text: t(rack.mobile ? "map.mobile" : "map.fixed") }),
      " ",
      el("span", { className: "rack-fill", text: fillText(rack.fill) }),
      ...marks(rack.fill),
    ]));
    const sides = el("div", { className: "sides" });
    for (const side of rack.sides || []) {
      const sections = side.sections || [];
      const rows = Math.max(0, ...sections.map((section) => (section.shelves || []).length));
      const grid = el("div", { className: "side-grid", attrs: { role: "grid", "aria-label": side.path } });
      grid.style.gridTemplateColumns = "repeat(" + Math.max(1, sections.length) + ", minmax(3.4rem, 1fr))";
      grid.append(...sections.map((section) => el("div", { className: "section-head", attrs: { role: "columnheader" }, text: section.name })));
      // The top shelf on top, as the rack stands.
      for (let row = rows - 1; row >= 0; row -= 1) {
        for (const section of sections) {
          const shelf = (section.shelves || [])[row];
          if (!shelf) {
            grid.append(el("div", { className: "shelf-gap" }));
            continue;
          }
          grid.append(shelfCell(shelf, located === shelf.barcode));
        }
      }
      sides.append(el("div", { className: "side" }, [
        el("h4", {}, [el("span", { text: side.name }), " ", el("span", { className: "side-fill", text: fillText(side.fill) })]),
        el("div", { className: "side-scroll" }, [grid]),
      ]));
    }
    box.append(sides);
  }

  function shelfCell(shelf, here) {
    const fill = shelf.fill || {};
    const classes = ["shelf-cell", fillClass(fill)];
    if (here) {
      classes.push("located");
    }
    if (shelf.retired) {
      classes.push("retired");
    }
    const count = fill.capacity ? fill.boxes + "/" + fill.capacity : String(fill.boxes);
    const children = [
      el("span", { className: "shelf-name", text: shelf.name }),
      el("span", { className: "shelf-count", text: count }),
    ];
    if (fill.capacity) {
      children.push(el("span", { className: "shelf-percent", text: format("map.percent", { n: fill.percent }) }));
    }
    children.push(...marks(fill));
    if (shelf.retired) {
      children.push(el("span", { className: "mark retired", text: t("map.retired") }));
    }
    if (here) {
      children.push(el("span", { className: "mark here", text: "▶ " + t("map.here") }));
    }
    const attrs = {
      type: "button",
      role: "gridcell",
      "data-barcode": shelf.barcode,
      "data-path": shelf.path,
      title: format("map.shelf_title", {
        path: shelf.path,
        boxes: fill.boxes,
        capacity: fill.capacity || "—",
        on_loan: fill.on_loan,
        missing: fill.missing,
      }),
    };
    if (here) {
      attrs["aria-current"] = "location";
    }
    const button = el("button", { className: classes.join(" "), attrs }, children);
    button.addEventListener("click", () => listShelf(shelf.barcode));
    return button;
  }

  function legend() {
    const box = $("map-legend");
    Station.clear(box);
    box.append(t("map.legend"));
    for (const name of ["empty", "low", "mid", "high", "full", "unknown"]) {
      box.append(" ", el("span", { className: "swatch fill-" + name, text: t("map.legend." + name) }));
    }
  }

  function cell(text, label, className) {
    return el("td", { className: className || "", text, attrs: { "data-label": label } });
  }

  function renderStats() {
    const fillBody = $("stats-fill").tBodies[0];
    Station.clear(fillBody);
    const rooms = (state.overview && state.overview.rooms) || [];
    $("stats-fill").hidden = !rooms.length;
    const fillRow = (room, rack, fill, className) => {
      fillBody.append(el("tr", { className }, [
        cell(room, t("stats.room")),
        cell(rack, t("stats.rack")),
        cell(fill.boxes == null ? "—" : String(fill.boxes), t("stats.boxes"), "number"),
        cell(String(fill.capacity || "—"), t("stats.capacity"), "number"),
        cell(fill.percent == null ? "—" : fill.percent + "%", t("stats.used"), "number"),
      ]));
    };
    for (const room of rooms) {
      fillRow(room.name, t("stats.all"), room.fill || {}, "room-row");
      for (const rack of room.racks || []) {
        fillRow(room.name, rack.name + (rack.mobile ? " · " + t("map.mobile") : ""), rack.fill || {}, "");
      }
    }
    const categoryBody = $("stats-categories").tBodies[0];
    Station.clear(categoryBody);
    const categories = state.categories || [];
    $("stats-categories").hidden = !categories.length;
    for (const count of categories) {
      categoryBody.append(el("tr", {}, [
        cell(count.category || t("stats.no_category"), t("stats.category")),
        cell(count.year == null ? "—" : String(count.year), t("stats.year")),
        cell(String(count.boxes), t("stats.boxes"), "number"),
      ]));
    }
    const status = $("stats-status");
    const error = state.categoriesError || state.downloadError;
    status.classList.toggle("problem", Boolean(error));
    status.textContent = error ? pick(error) : "";
  }

  function render() {
    if (!$("rackmap")) {
      return;
    }
    legend();
    renderWhere();
    renderOverview();
    renderRack();
    renderStats();
  }

  // A report fetched with the page's credentials (not a link), saved as a download.
  async function download(name) {
    state.downloadError = null;
    const error = await Station.download("/api/v1/reports/" + name, name);
    if (error) {
      state.downloadError = error;
      render();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!$("rackmap")) {
      return;
    }
    $("map-refresh").addEventListener("click", load);
    for (const name of ["fill.csv", "fill.xlsx", "categories.csv", "categories.xlsx"]) {
      const button = document.querySelector("[data-report='" + name + "']");
      if (button) {
        button.addEventListener("click", () => download(name));
      }
    }
    Station.onLanguage(render);
  });

  Station.rackMap = { load, locate, reset, openRack };
})();
