// The calendar page (/calendar): FullCalendar (loaded by that page only) in div[data-calendar],
// its events from data-events-url (the window as `from` and `to`). An event dragged or resized
// posts its new start and end (instants, or days for an all-day slot) with the version it was
// shown at to /calendar/activities/{id}/move: kept on 200 with the new version; put back on
// 409 (someone else changed it first) or 422, with #calendar-notice saying why, and the window
// is loaded again. A click on a free slot opens the new activity's form at that time. Another
// user's change arrives on the live stream ("live-refresh") and reloads the window. Written
// for this project.
"use strict";

(function () {
  const csrfToken = () => window.CrmConsole.csrfToken();
  const notice = (text, kind) =>
    window.CrmConsole.notice(document.getElementById("calendar-notice"), text, kind);

  async function moved(info, calendar) {
    const event = info.event;
    const box = document.getElementById("calendar-notice");
    const form = new URLSearchParams({
      start: event.startStr,
      end: event.endStr || "",
      version: String(event.extendedProps.version),
    });
    const root = calendar.el;
    root.dataset.saving = "1";
    let answer = null;
    try {
      answer = await fetch(`/calendar/activities/${event.extendedProps.activity_id}/move`, {
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
    if (answer && answer.ok) {
      event.setExtendedProp("version", data.version);
      notice("", "");
    } else {
      info.revert();
      const conflict = answer && answer.status === 409;
      notice(data.message || (box && (conflict ? box.dataset.msgMoved : box.dataset.msgFailed)), conflict ? "warning" : "danger");
      calendar.refetchEvents();
    }
    delete root.dataset.saving;
    root.dataset.saved = String(Number(root.dataset.saved || "0") + 1);
  }

  function start(el) {
    if (!window.FullCalendar || el.dataset.calendarReady) return;
    const editable = el.dataset.editable === "true";
    const newUrl = el.dataset.newUrl;
    const calendar = new window.FullCalendar.Calendar(el, {
      initialView: window.matchMedia("(max-width: 768px)").matches ? "listWeek" : "timeGridWeek",
      locale: el.dataset.locale || "es",
      initialDate: el.dataset.initialDate || undefined,
      // The today button's accessible name is its visible word (the locale's hint, "this week",
      // would not contain it).
      buttonText: { today: el.dataset.todayText },
      todayHint: el.dataset.todayText,
      firstDay: 1,
      nowIndicator: true,
      height: "auto",
      slotMinTime: "07:00:00",
      slotMaxTime: "21:00:00",
      headerToolbar: {
        start: "prev,next today",
        center: "title",
        end: "dayGridMonth,timeGridWeek,timeGridDay,listWeek",
      },
      editable,
      events: { url: el.dataset.eventsUrl, startParam: "from", endParam: "to" },
      loading: (busy) => {
        if (busy) el.dataset.loading = "1";
        else delete el.dataset.loading;
      },
      eventSourceFailure: () => notice(document.getElementById("calendar-notice")?.dataset.msgFailed, "danger"),
      eventDrop: (info) => moved(info, calendar),
      eventResize: (info) => moved(info, calendar),
      dateClick: newUrl
        ? (info) => {
            const sep = newUrl.includes("?") ? "&" : "?";
            window.location.assign(`${newUrl}${sep}start=${encodeURIComponent(info.dateStr)}`);
          }
        : undefined,
    });
    calendar.render();
    el.dataset.calendarReady = "1";
    el.addEventListener("live-refresh", () => calendar.refetchEvents());
  }

  function startAll() {
    document.querySelectorAll("[data-calendar]").forEach(start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
})();
