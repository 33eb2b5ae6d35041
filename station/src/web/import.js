// The import page: upload a ledger (CSV or .xlsx), follow its import's progress, read the
// per-line report. Data goes into the page only through textContent and attributes.
"use strict";

(() => {
  const { $, el, t, pick } = Station;
  const POLL_MS = 400;

  Station.addTexts({
    "import.title": ["档案工作站 · 导入台帐", "Archive station · Import a ledger"],
    "import.upload_title": ["上传台帐", "Upload a ledger"],
    "import.formats": [
      "CSV（UTF-8 或 GB18030）或 Excel .xlsx（读第一个工作表），最大 64 MiB。按表头识别列：档案号、题名、客户名称为必需；存放位置、类别、年度、保管期限、条码、合同到期日可选。",
      "CSV (UTF-8 or GB18030) or Excel .xlsx (its first sheet), at most 64 MiB. Columns are found by their headers: archive number, title and customer are required; location, category, year, retention, barcode and contract expiry date are optional.",
    ],
    "import.file": ["文件", "File"],
    "import.upload": ["上传并导入", "Upload and import"],
    "import.no_file": ["请先选择文件", "choose a file first"],
    "import.location_title": ["没有存放位置列", "No location column"],
    "import.anyway": ["仍然导入（不带位置）", "Import anyway, without locations"],
    "import.progress_title": ["导入进度", "Progress"],
    "import.rows": ["{done} / {total} 行", "{done} / {total} rows"],
    "import.state.running": ["正在导入…", "importing…"],
    "import.state.done": ["完成", "done"],
    "import.state.failed": ["失败", "failed"],
    "import.summary": [
      "新建 {imported} · 已存在 {unchanged} · 错误行 {bad}",
      "created {imported} · unchanged {unchanged} · bad rows {bad}",
    ],
    "import.report_title": ["逐行报告", "Report by line"],
    "import.report_none": ["没有需要注意的行", "nothing to report"],
    "import.report_more": ["另有 {n} 行未显示", "{n} more lines not shown"],
    "import.line": ["行", "Line"],
    "import.code": ["代码", "Code"],
    "import.what": ["说明", "What"],
    "import.whole_file": ["整个文件", "whole file"],
  });

  const fill = (key, values) =>
    t(key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

  let current = null; // the last answer of GET /api/v1/imports/{id}
  let lastFile = null;
  let uploadProblem = null;
  let polling = null;

  // Upload: the raw file as the body, through Station.api (the session cookie and the
  // CSRF header, as every change from a page).
  function upload(file, withoutLocation) {
    let path = "/api/v1/imports?name=" + encodeURIComponent(file.name);
    if (withoutLocation) {
      path += "&without_location=true";
    }
    return Station.api(path, { method: "POST", raw: file });
  }

  function showUploadProblem(message) {
    uploadProblem = message;
    $("upload-problem").textContent = message ? pick(message) : "";
  }

  async function start(withoutLocation) {
    const file = withoutLocation ? lastFile : $("file").files[0];
    if (!file) {
      showUploadProblem({ zh: t("import.no_file"), en: "choose a file first" });
      return;
    }
    lastFile = file;
    showUploadProblem(null);
    $("location-warning").hidden = true;
    $("upload").disabled = true;
    try {
      const started = await upload(file, withoutLocation);
      follow(started.id);
    } catch (error) {
      $("upload").disabled = false;
      showUploadProblem(error.bilingual);
    }
  }

  function follow(id) {
    if (polling) {
      clearTimeout(polling);
    }
    const tick = async () => {
      try {
        current = await Station.api("GET", "/api/v1/imports/" + id);
      } catch (error) {
        showUploadProblem(error.bilingual);
        $("upload").disabled = false;
        return;
      }
      render();
      if (current.state === "running") {
        polling = setTimeout(tick, POLL_MS);
      } else {
        $("upload").disabled = false;
      }
    };
    tick();
  }

  function render() {
    if (!current) {
      return;
    }
    const job = current;
    $("progress-card").hidden = false;
    $("import-name").textContent = job.name;
    const total = Math.max(job.rows_total, job.rows_done, 1);
    $("progress").max = total;
    $("progress").value = job.rows_done;
    $("progress-text").textContent = fill("import.rows", { done: job.rows_done, total: Math.max(job.rows_total, job.rows_done) });
    $("state").textContent = t("import.state." + job.state);
    $("state").dataset.state = job.state;
    $("summary").textContent = job.state === "running" ? "" : fill("import.summary", job);
    // The location warning: refused (offer to import anyway), or imported without places.
    const refused = job.error && job.error.code === "ledger.no_location_column";
    $("import-error").textContent = job.error && !refused ? pick(job.error) : "";
    const warning = $("location-warning");
    warning.hidden = !(refused || job.without_location);
    $("import-anyway").hidden = !refused;
    if (refused) {
      $("location-text").textContent = pick(job.error);
    } else if (job.without_location) {
      const note = job.report.find((line) => line.code === "ledger.without_location");
      $("location-text").textContent = note ? pick(note) : "";
    }

    const body = $("report").querySelector("tbody");
    Station.clear(body);
    $("report-card").hidden = job.state === "running";
    for (const line of job.report) {
      const row = el("tr", { attrs: { "data-code": line.code } }, [
        el("td", { text: line.line === 0 ? t("import.whole_file") : line.line, attrs: { "data-label": t("import.line") } }),
        el("td", { className: "code", text: line.code, attrs: { "data-label": t("import.code") } }),
        el("td", { text: pick(line), attrs: { "data-label": t("import.what") } }),
      ]);
      body.append(row);
    }
    $("report").hidden = job.report.length === 0;
    let status = job.report.length === 0 ? t("import.report_none") : "";
    if (job.report_more > 0) {
      status = fill("import.report_more", { n: job.report_more });
    }
    $("report-status").textContent = status;
  }

  $("upload-form").addEventListener("submit", (event) => {
    event.preventDefault();
    start(false);
  });
  $("import-anyway").addEventListener("click", () => start(true));
  Station.onLanguage(() => {
    render();
    $("upload-problem").textContent = uploadProblem ? pick(uploadProblem) : "";
  });
  Station.init({
    onLogin: () => {},
    onLogout: () => {
      if (polling) {
        clearTimeout(polling);
      }
    },
  });
})();
