// The pick page (取件): make a pick list (pasted lines, a CSV, a search), see it grouped by
// room, aisle and rack in walking order, follow the ticks live. Phone width first. Data
// goes into the page only through textContent and attributes.
"use strict";

(() => {
  const { $, el, t, pick, clear } = Station;
  const POLL_MS = 2000;

  Station.addTexts({
    "pick.title": ["档案工作站 · 取件", "Archive station · Pick boxes"],
    "pick.create": ["新建取件单", "New pick list"],
    "pick.lines_label": ["档案号或条码，每行一个", "Archive numbers or barcodes, one a line"],
    "pick.make": ["生成取件单", "Make the pick list"],
    "pick.csv_label": ["或上传 CSV", "or upload a CSV"],
    "pick.csv_header": ["首行是表头", "first row is a header"],
    "pick.search_label": ["或按检索", "or from a search"],
    "pick.search_hint": ["客户名或档案号", "customer or archive number"],
    "pick.lists": ["取件单", "Pick lists"],
    "pick.list": ["取件单", "Pick list"],
    "pick.pdf": ["打印 PDF", "Print (PDF)"],
    "pick.away": ["不在架上", "Not on a shelf"],
    "pick.progress": ["已取 {picked} / {total} 盒 · 开启通道 {aisles} 次", "{picked} / {total} picked · {aisles} aisles to open"],
    "pick.state.open": ["进行中", "open"],
    "pick.state.done": ["已完成", "done"],
    "pick.no_file": ["请先选择文件", "choose a file first"],
    "pick.picked": ["已取", "picked"],
  });

  const fill = (key, values) =>
    t(key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

  let current = null; // the last answer of GET /api/v1/picklists/{id}
  let lists = [];
  let problem = null;
  let problems = [];
  let polling = null;

  function showProblem(message, lines) {
    problem = message;
    problems = lines || [];
    $("create-problem").textContent = message ? pick(message) : "";
    const list = $("line-problems");
    clear(list);
    for (const line of problems) {
      list.append(el("li", { attrs: { "data-code": line.error }, text: pick(line.message) }));
    }
  }

  async function create(body) {
    showProblem(null);
    try {
      const list = await Station.api("POST", "/api/v1/picklists", body);
      await loadLists();
      show(list);
    } catch (error) {
      const lines = error.body && error.body.lines;
      showProblem(error.bilingual, lines);
    }
  }

  function renderLists() {
    const node = $("lists");
    clear(node);
    for (const list of lists) {
      const link = el("a", {
        attrs: { href: "#" + list.id, "data-id": String(list.id) },
        text: "#" + list.id + " · " + list.source + " · " + list.picked + "/" + list.total + " · " + t("pick.state." + list.state),
      });
      link.addEventListener("click", (event) => {
        event.preventDefault();
        open(list.id);
      });
      node.append(el("li", {}, [link]));
    }
  }

  async function loadLists() {
    lists = await Station.api("GET", "/api/v1/picklists");
    renderLists();
  }

  function lineNode(line) {
    const item = el("li", {
      className: line.picked ? "picked" : "",
      attrs: { "data-barcode": line.barcode, "data-picked": String(line.picked) },
    }, [
      el("span", { className: "tick", text: line.picked ? "✓" : "○" }),
      el("strong", { text: line.archive_no }),
      el("span", { className: "title", text: line.title }),
      el("span", { className: "path code", text: line.path || "" }),
    ]);
    return item;
  }

  function render() {
    if (!current) {
      return;
    }
    $("list-card").hidden = false;
    $("list-id").textContent = "#" + current.id + " " + current.barcode;
    $("pdf").setAttribute("href", "/api/v1/picklists/" + current.id + "/pdf");
    $("progress").max = Math.max(current.total, 1);
    $("progress").value = current.picked;
    $("progress-text").textContent = fill("pick.progress", {
      picked: current.picked,
      total: current.total,
      aisles: current.aisles,
    }) + " · " + t("pick.state." + current.state);
    const groups = $("groups");
    clear(groups);
    let room = null;
    for (const group of current.groups) {
      if (group.room !== room) {
        room = group.room;
        groups.append(el("h3", { className: "room", text: room }));
      }
      const list = el("ul", { className: "lines" });
      for (const line of group.lines) {
        list.append(lineNode(line));
      }
      groups.append(el("section", {
        className: "group " + group.place.kind,
        attrs: { "data-kind": group.place.kind },
      }, [el("h4", { text: pick(group.label) }), list]));
    }
    const away = $("away");
    clear(away);
    $("away-title").hidden = current.away.length === 0;
    for (const entry of current.away) {
      const node = lineNode(entry.line);
      node.append(el("em", { attrs: { "data-code": entry.code }, text: pick(entry.why) }));
      away.append(node);
    }
  }

  function show(list) {
    current = list;
    render();
    // The list of lists says the same progress and state as the list shown.
    const listed = lists.find((entry) => entry.id === list.id);
    if (listed && (listed.picked !== list.picked || listed.state !== list.state)) {
      listed.picked = list.picked;
      listed.state = list.state;
      renderLists();
    }
    schedule();
  }

  async function open(id) {
    try {
      show(await Station.api("GET", "/api/v1/picklists/" + id));
    } catch (error) {
      showProblem(error.bilingual);
    }
  }

  // Live ticks: the open list is read again every POLL_MS while it is open.
  function schedule() {
    if (polling) {
      clearTimeout(polling);
    }
    if (!current || current.state !== "open") {
      return;
    }
    polling = setTimeout(async () => {
      try {
        const fresh = await Station.api("GET", "/api/v1/picklists/" + current.id);
        if (current && fresh.id === current.id) {
          show(fresh);
        }
      } catch (_) {
        schedule();
      }
    }, POLL_MS);
  }

  $("lines-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const lines = $("lines").value.split(/\r?\n/);
    create({ lines });
  });
  $("csv-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("csv").files[0];
    if (!file) {
      showProblem({ zh: t("pick.no_file"), en: t("pick.no_file") });
      return;
    }
    create({ csv: await file.text(), header: $("csv-header").checked });
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    create({ search: { q: $("q").value } });
  });
  Station.onLanguage(() => {
    render();
    renderLists();
    showProblem(problem, problems);
  });
  Station.init({
    onLogin: () => {
      loadLists().catch((error) => showProblem(error.bilingual));
    },
    onLogout: () => {
      if (polling) {
        clearTimeout(polling);
      }
    },
  });
})();
