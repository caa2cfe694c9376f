// The console's own behaviour, loaded on every page (no inline script: the
// Content-Security-Policy forbids it). Everything is driven by data attributes the server
// renders: <time datetime>, canvas[data-chart], [data-live-kpis], [data-live-timeline],
// [data-live-refresh], select[data-searchable], button[data-insert]. Written for this project.
"use strict";

(function () {
  const body = document.body;
  const locale = body.dataset.locale || document.documentElement.lang || "es";
  const timeZone = body.dataset.timeZone || undefined;

  // Dates: the server sends UTC; show them in the tenant's time zone and language.
  // A time zone the browser does not know falls back to the browser's own.
  function formatter(options) {
    try {
      return new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      return new Intl.DateTimeFormat(locale, options);
    }
  }
  const dateFormat = formatter({ dateStyle: "medium", timeStyle: "short" });
  // <time data-format="date">: the day only (an all-day activity).
  const dayFormat = formatter({ dateStyle: "medium" });
  function formatTimes(root) {
    root.querySelectorAll("time[datetime]:not([data-formatted])").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (!Number.isNaN(when.getTime())) {
        el.textContent = (el.dataset.format === "date" ? dayFormat : dateFormat).format(when);
        el.title = when.toISOString();
        el.dataset.formatted = "1";
      }
    });
  }

  // Charts: data-chart is the kind, data-chart-data the labels and series as JSON.
  const weekFormat = formatter({ day: "numeric", month: "short" });
  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach((canvas) => {
      const data = JSON.parse(canvas.dataset.chartData || "{}");
      const kind = canvas.dataset.chart;
      const labels = (data.labels || []).map((l) =>
        /^\d{4}-\d{2}-\d{2}T/.test(l) ? weekFormat.format(new Date(l)) : l,
      );
      let config;
      if (kind === "doughnut") {
        config = {
          type: "doughnut",
          data: { labels, datasets: [{ data: data.values || [] }] },
        };
      } else {
        config = {
          type: "bar",
          data: {
            labels,
            datasets: (data.series || []).map((s) => ({ label: s.label, data: s.values })),
          },
          options: {
            scales: { x: { stacked: kind === "stacked" }, y: { stacked: kind === "stacked", beginAtZero: true } },
          },
        };
      }
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
      new window.Chart(canvas, config);
      canvas.dataset.drawn = "1";
    });
  }

  // Searchable selects (owners, tags, roles).
  function searchableSelects(root) {
    if (!window.TomSelect) return;
    root.querySelectorAll("select[data-searchable]:not(.tomselected)").forEach((el) => {
      new window.TomSelect(el, { create: el.dataset.searchable === "create", maxOptions: 200 });
    });
  }

  function enhance(root) {
    formatTimes(root);
    drawCharts(root);
    searchableSelects(root);
  }

  // Live updates: the tenant's event stream, authenticated by the session cookies.
  const numberFormat = new Intl.NumberFormat(locale);
  const percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  function showKpis(kpis) {
    document.querySelectorAll("[data-kpi]").forEach((el) => {
      const value = kpis[el.dataset.kpi];
      if (value === undefined) return;
      el.textContent =
        el.dataset.kpi === "conversion_rate"
          ? value === null ? "–" : percentFormat.format(value)
          : numberFormat.format(value);
    });
  }
  function showEvent(event) {
    document.querySelectorAll("[data-live-timeline]").forEach((list) => {
      const onlyClient = list.dataset.clientId;
      if (onlyClient && onlyClient !== event.client_id) return;
      if (list.querySelector(`[data-event-id="${event.id}"]`)) return;
      const item = document.createElement("li");
      item.dataset.eventId = event.id;
      item.className = "is-new";
      const meta = document.createElement("div");
      meta.className = "small text-secondary";
      const time = document.createElement("time");
      time.setAttribute("datetime", event.event_date);
      const type = document.createElement("span");
      type.className = "badge text-bg-light border ms-1";
      type.textContent = event.event_type;
      meta.append(time, type);
      const text = document.createElement("div");
      if (event.client_id) {
        const link = document.createElement("a");
        link.href = `/clients/${event.client_id}`;
        link.textContent = event.description;
        text.append(link);
      } else {
        text.textContent = event.description;
      }
      item.append(meta, text);
      list.prepend(item);
      formatTimes(list);
    });
  }
  // A part that redraws itself (htmx, on its "live-refresh" event) when an event of the kind
  // it names arrives (data-live-refresh: the event type's prefix), of its client if it names
  // one (data-client-id): a client's communications thread, the inbox.
  // Without an event, every such part: when the stream (re)connects, what happened while it
  // was not connected has not been sent to it.
  function refreshParts(event) {
    if (!window.htmx) return;
    document.querySelectorAll("[data-live-refresh]").forEach((part) => {
      if (event) {
        const onlyClient = part.dataset.clientId;
        if (onlyClient && onlyClient !== event.client_id) return;
        if (!String(event.event_type || "").startsWith(part.dataset.liveRefresh)) return;
      }
      window.htmx.trigger(part, "live-refresh");
    });
  }
  // Reminders: an `activity.reminder_sent` event naming the signed-in user (body
  // data-live-reminders, present on every page of a user who has a calendar) becomes a toast
  // linking to the activity, once however often the stream resends it.
  const reminderUser = body.dataset.liveReminders;
  function showReminder(event) {
    if (!reminderUser || event.event_type !== "activity.reminder_sent") return;
    const p = event.payload || {};
    if (!(p.user_ids || []).includes(reminderUser)) return;
    const box = document.getElementById("toasts");
    if (!box || box.querySelector(`[data-reminder="${event.id}"]`)) return;
    const toast = document.createElement("div");
    toast.className = "toast show";
    toast.setAttribute("role", "alert");
    toast.setAttribute("aria-atomic", "true");
    toast.dataset.reminder = event.id;
    const header = document.createElement("div");
    header.className = "toast-header";
    const title = document.createElement("strong");
    title.className = "me-auto";
    title.textContent = body.dataset.reminderTitle || "Reminder";
    const time = document.createElement("time");
    time.className = "small";
    time.setAttribute("datetime", p.occurrence_at);
    if (p.all_day) time.dataset.format = "date";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close ms-2";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", body.dataset.reminderClose || "Close");
    close.addEventListener("click", () => toast.remove());
    header.append(title, time, close);
    const text = document.createElement("div");
    text.className = "toast-body";
    const link = document.createElement("a");
    link.href = `/calendar/activities/${p.activity_id}`;
    link.textContent = p.title;
    text.append(link);
    toast.append(header, text);
    box.append(toast);
    formatTimes(toast);
  }
  if ((reminderUser || document.querySelector("[data-live-kpis], [data-live-timeline], [data-live-refresh]")) && window.EventSource) {
    const stream = new EventSource("/live");
    stream.addEventListener("kpis", (e) => showKpis(JSON.parse(e.data)));
    stream.addEventListener("timeline", (e) => {
      const event = JSON.parse(e.data);
      showReminder(event);
      showEvent(event);
      refreshParts(event);
    });
    stream.addEventListener("resync", () => window.location.reload());
    body.dataset.live = "connecting";
    stream.addEventListener("open", () => {
      body.dataset.live = "open";
      refreshParts(null);
    });
  }

  document.addEventListener("DOMContentLoaded", () => enhance(document));
  if (document.readyState !== "loading") enhance(document);
  document.addEventListener("htmx:afterSettle", (e) => enhance(e.target));
  // A form answered 422 comes back with its errors next to the fields: show it.
  document.addEventListener("htmx:beforeSwap", (e) => {
    if (e.detail.xhr.status === 422 || e.detail.xhr.status === 409) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  // Progress bars: the width comes from data-progress (no style attribute in the markup).
  function progressBars() {
    document.querySelectorAll("[data-progress]").forEach((bar) => {
      bar.style.width = `${Math.min(100, Number(bar.dataset.progress) || 0)}%`;
    });
  }
  document.addEventListener("htmx:afterSettle", progressBars);
  progressBars();

  // CSV upload: the file goes as text/csv to the import handler (the API's own); then the
  // import's page follows its progress.
  document.querySelectorAll("form[data-upload-csv]").forEach((form) => {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const file = form.querySelector("input[type=file]").files[0];
      const error = form.querySelector("[data-upload-error]");
      error.textContent = "";
      if (!file) return;
      const token = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"];
      const answer = await fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "text/csv", "X-CSRF-Token": token },
        body: file,
      });
      const data = await answer.json().catch(() => ({}));
      if (answer.ok && data.id) {
        window.location.assign(`/imports/${data.id}`);
      } else {
        const fields = (data.errors || []).map((f) => `${f.pointer}: ${f.detail}`).join("; ");
        error.textContent = fields || data.detail || answer.statusText;
      }
    });
  });

  // Rows picked for export: the "export selected" link carries their ids (the list's `ids`).
  function pickedRows() {
    const link = document.querySelector("[data-export-picked]");
    if (!link) return;
    const boxes = document.querySelectorAll("input[data-pick]");
    const ids = [...boxes].filter((box) => box.checked).map((box) => box.value);
    const all = document.querySelector("input[data-pick-all]");
    if (all) all.checked = boxes.length > 0 && ids.length === boxes.length;
    link.hidden = ids.length === 0;
    link.querySelector("[data-picked-count]").textContent = numberFormat.format(ids.length);
    const url = new URL(link.dataset.exportBase, window.location.origin);
    url.searchParams.set("ids", ids.join(","));
    link.href = url.pathname + url.search;
  }
  document.addEventListener("change", (e) => {
    if (e.target.matches("input[data-pick-all]")) {
      document.querySelectorAll("input[data-pick]").forEach((box) => (box.checked = e.target.checked));
    }
    if (e.target.matches("input[data-pick], input[data-pick-all]")) pickedRows();
  });
  document.addEventListener("htmx:afterSettle", pickedRows);
})();

// SLA countdowns (the ticket queue and a ticket): <time data-countdown datetime> counts down
// to its due time every 30 s, written as the server writes it ("2 h 05 min") inside the
// labels it sends (data-label-left / data-label-late, "{time}" standing for the time), and
// turns "late" once the due time has passed.
(function () {
  "use strict";
  function duration(ms) {
    const m = Math.floor(Math.abs(ms) / 60000);
    if (m < 60) return `${m} min`;
    if (m < 1440) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
    return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach((el) => {
      const due = new Date(el.getAttribute("datetime")).getTime();
      if (Number.isNaN(due)) return;
      const late = due <= now;
      const label = (late ? el.dataset.labelLate : el.dataset.labelLeft) || "{time}";
      el.textContent = label.replace("{time}", duration(due - now));
      el.classList.toggle("countdown-late", late);
      el.title = new Date(due).toISOString();
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  if (document.readyState !== "loading") tick();
  setInterval(tick, 30000);

  // A file chosen in input[data-read-into] is read into the text box it names (an iCalendar
  // feed posted as text with the form).
  document.addEventListener("change", (e) => {
    const input = e.target;
    if (!input.matches || !input.matches("input[type=file][data-read-into]")) return;
    const target = document.getElementById(input.dataset.readInto);
    const file = input.files && input.files[0];
    if (!target || !file) return;
    file.text().then((text) => {
      target.value = text;
    });
  });

  // Template variables: button[data-insert] types its text at the cursor of the field last
  // focused among [data-insert-target], else of the field data-insert-into names.
  let insertTarget = null;
  document.addEventListener("focusin", (e) => {
    if (e.target.matches && e.target.matches("[data-insert-target]")) insertTarget = e.target;
  });
  document.addEventListener("click", (e) => {
    const button = e.target.closest ? e.target.closest("button[data-insert]") : null;
    if (!button) return;
    const field = insertTarget || document.getElementById(button.dataset.insertInto);
    if (!field) return;
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? start;
    field.setRangeText(button.dataset.insert, start, end, "end");
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();

// Shared with the pages' own scripts (the sales board below, static/calendar.js): the CSRF
// token the page was served with, and a dismissible notice of a drag's outcome in `box` (its
// data-msg-close is the close button's name), emptied when `text` is empty.
window.CrmConsole = {
  csrfToken() {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"];
  },
  notice(box, text, kind) {
    if (!box) return;
    box.replaceChildren();
    if (!text) return;
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} alert-dismissible d-flex align-items-center`;
    alert.setAttribute("role", "alert");
    alert.dataset.moveNotice = kind;
    const message = document.createElement("span");
    message.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", box.dataset.msgClose || "Close");
    alert.append(message, close);
    box.append(alert);
  },
};

// The sales board (/pipeline): ol[data-sortable] lists of cards dragged between and within
// stages with SortableJS (loaded by that page only). A drop posts the card's stage, place and
// version (li[data-version]) to the move endpoint, which answers JSON; the card keeps the new
// version and the board (#pipeline-board) is redrawn, so that the columns' totals follow. A
// 409 means someone else moved the card first: #pipeline-notice says so (its data-msg-* hold
// the messages in the page's language) and the board is redrawn as it now stands.
(function () {
  "use strict";
  let dragging = false;
  let redrawLater = false;

  const csrfToken = () => window.CrmConsole.csrfToken();
  const notice = (text, kind) =>
    window.CrmConsole.notice(document.getElementById("pipeline-notice"), text, kind);

  // Another user's move arrives on the live stream as an `opportunity.*` event: the board
  // (data-live-refresh) is redrawn, after the drag in progress if there is one.
  document.addEventListener("live-refresh", (e) => {
    if (e.target && e.target.id === "pipeline-board") redraw();
  });
  // A redraw asked for before the drag began may answer during it: the board is not swapped
  // under the card in hand; it is redrawn after the drop instead.
  document.addEventListener("htmx:beforeSwap", (e) => {
    if (dragging && e.detail.target && e.detail.target.id === "pipeline-board") {
      e.detail.shouldSwap = false;
      redrawLater = true;
    }
  });

  // The board as it stands, with the filters of the address (htmx keeps it current).
  function redraw() {
    const board = document.getElementById("pipeline-board");
    if (!board) return Promise.resolve();
    if (dragging) {
      redrawLater = true;
      return Promise.resolve();
    }
    redrawLater = false;
    if (!window.htmx) {
      window.location.reload();
      return Promise.resolve();
    }
    return window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: board,
      swap: "innerHTML",
    });
  }

  async function dropped(evt) {
    const card = evt.item;
    if (evt.from === evt.to && evt.oldIndex === evt.newIndex) {
      if (redrawLater) redraw();
      return;
    }
    const box = document.getElementById("pipeline-notice");
    const form = new URLSearchParams({
      stage_id: evt.to.dataset.stageId,
      position: String(evt.newIndex),
      version: card.dataset.version,
    });
    card.dataset.moving = "1";
    let answer = null;
    try {
      answer = await fetch(`/pipeline/opportunities/${card.dataset.opportunityId}/move`, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "X-CSRF-Token": csrfToken(),
          Accept: "application/json",
        },
        body: form,
      });
    } catch {
      answer = null;
    }
    const data = answer ? await answer.json().catch(() => ({})) : {};
    delete card.dataset.moving;
    if (answer && answer.ok) {
      card.dataset.version = String(data.version);
      notice("", "");
    } else if (answer && answer.status === 409) {
      notice(data.message || (box && box.dataset.msgMoved), "warning");
    } else {
      notice(data.message || (box && box.dataset.msgFailed), "danger");
    }
    await redraw();
  }

  function sortableLists(root) {
    if (!window.Sortable || !root.querySelectorAll) return;
    root.querySelectorAll("ol[data-sortable]:not([data-sortable-ready])").forEach((list) => {
      const board = list.closest("[data-kanban]");
      window.Sortable.create(list, {
        group: `pipeline-${board ? board.dataset.pipelineId : ""}`,
        draggable: ".kanban-card",
        // Pointer events rather than the browser's own drag and drop: the same in every
        // browser, and a click on a card's links stays a click.
        forceFallback: true,
        fallbackOnBody: true,
        fallbackTolerance: 4,
        animation: 120,
        ghostClass: "kanban-card-ghost",
        chosenClass: "kanban-card-chosen",
        onStart: () => {
          dragging = true;
        },
        onEnd: (evt) => {
          dragging = false;
          dropped(evt);
        },
      });
      list.dataset.sortableReady = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", () => sortableLists(document));
  if (document.readyState !== "loading") sortableLists(document);
  document.addEventListener("htmx:afterSettle", (e) => sortableLists(e.target));
})();
