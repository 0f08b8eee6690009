// The receptionist's desk (staff pages only): the live list, whose rows hold still under the
// receptionist's hand; the alert panel; check-out with undo; keys; the sound for alerts.
// Every page works without it, only not live.
(() => {
  "use strict";
  const byId = (id) => document.getElementById(id);
  const rowsBody = () => byId("rows");
  const within = (container, id) => container && container.querySelector("#" + CSS.escape(id));
  // Rows that arrived (or left) while the list was held, by row id, waiting to go in.
  const pending = new Map();
  let pointerOnList = false;

  // The list is held while the pointer is on it, something in it has the focus, or the page
  // is scrolled into it: then an arrival would move the rows under the hand.
  function held() {
    const area = byId("visit-list");
    if (!area) return false;
    const table = area.querySelector("table.visits");
    return pointerOnList || area.contains(document.activeElement) ||
      Boolean(table && table.getBoundingClientRect().top < 0);
  }

  // Put an element in its place among its siblings, newest (largest data-key) first.
  function insertSorted(container, element) {
    const key = element.dataset.key;
    for (const other of container.children) {
      if (other.dataset.key && other.dataset.key < key) {
        container.insertBefore(element, other);
        return;
      }
    }
    container.appendChild(element);
  }

  function insertRow(row) {
    const rows = rowsBody();
    rows.querySelector("tr.empty")?.remove();
    insertSorted(rows, row);
  }

  function applyNow(row) {
    const existing = within(rowsBody(), row.id);
    if (row.hasAttribute("data-gone")) existing?.remove();
    else if (existing) existing.replaceWith(row);
    else insertRow(row);
  }

  // The poll's rows (in #incoming): a changed row is replaced where it is, an arrival goes in
  // at its place (or waits while the list is held), a row that left the list goes. Rows older
  // than the oldest shown are left to "Show older visits", which brings them fresh.
  function mergeIncoming() {
    const incoming = byId("incoming");
    const rows = rowsBody();
    if (!incoming || !rows || !incoming.children.length) return;
    const floor = byId("list-floor")?.value || "";
    const holding = held();
    for (const row of Array.from(incoming.children)) {
      row.remove();
      pending.delete(row.id);
      const existing = within(rows, row.id);
      if (row.hasAttribute("data-gone")) {
        if (existing && holding) {
          existing.classList.add("leaving");
          pending.set(row.id, row);
        } else existing?.remove();
      } else if (existing) {
        existing.classList.remove("leaving");
        if (existing.dataset.version === row.dataset.version) continue;
        if (existing.contains(document.activeElement)) pending.set(row.id, row);
        else existing.replaceWith(row);
      } else if (!floor || row.dataset.key >= floor) {
        if (holding) pending.set(row.id, row);
        else insertRow(row);
      }
    }
    showBar();
  }

  function showBar() {
    const bar = byId("arrivals-bar");
    if (!bar) return;
    const rows = rowsBody();
    const waiting = Array.from(pending.values())
      .filter((row) => !row.hasAttribute("data-gone") && !within(rows, row.id)).length;
    const button = bar.querySelector("[data-show-arrivals]");
    button.textContent = button.dataset.text.replace("{n}", waiting);
    bar.hidden = waiting === 0;
  }

  function release() {
    if (!pending.size || !rowsBody()) return;
    pending.forEach((row) => applyNow(row));
    pending.clear();
    showBar();
  }

  function releaseIfFree() {
    if (pending.size && !held()) release();
  }

  // The alert panel: the poll sends every waiting alert to #alerts-incoming; new ones go in,
  // decided ones go, and the others are left as they are (with whatever is typed in them).
  // A new one is moved before htmx processes what the poll brought, so it is processed here,
  // or its buttons would post the whole page.
  function syncAlerts() {
    const incoming = byId("alerts-incoming");
    const shown = byId("alert-list");
    if (!incoming || !shown || !incoming.hasAttribute("data-fresh")) return;
    incoming.removeAttribute("data-fresh");
    const wanted = Array.from(incoming.children);
    const ids = new Set(wanted.map((item) => item.id));
    for (const item of Array.from(shown.children)) {
      if (!ids.has(item.id) && !item.classList.contains("decided")) item.remove();
    }
    for (const item of wanted) {
      item.remove();
      if (within(shown, item.id)) continue;
      insertSorted(shown, item);
      htmx.process(item);
    }
  }

  document.addEventListener("htmx:oobAfterSwap", () => {
    mergeIncoming();
    syncAlerts();
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "visit-list") {  // a new filter
      pending.clear();
      pointerOnList = byId("visit-list").matches(":hover");
    }
  });

  // What the server sends in: an undo button lasts a few seconds; a recorded decision is
  // shown a moment, then leaves the panel.
  document.addEventListener("htmx:load", (event) => {
    const root = event.detail.elt;
    if (!root.querySelectorAll) return;
    const undos = [...(root.matches("[data-undo-seconds]") ? [root] : []),
      ...root.querySelectorAll("[data-undo-seconds]")];
    undos.forEach((form) => {
      setTimeout(() => form.remove(), Number(form.dataset.undoSeconds) * 1000);
    });
    if (root.matches(".alert-item.decided")) setTimeout(() => root.remove(), 6000);
  });

  document.addEventListener("DOMContentLoaded", () => {
    const area = byId("visit-list");
    if (area) {
      area.addEventListener("pointerenter", () => { pointerOnList = true; });
      area.addEventListener("pointerleave", () => {
        pointerOnList = false;
        releaseIfFree();
      });
      area.addEventListener("focusout", () => setTimeout(releaseIfFree, 0));
      window.addEventListener("scroll", releaseIfFree, { passive: true });
      area.addEventListener("click", (event) => {
        if (!event.target.closest("[data-show-arrivals]")) return;
        release();
        const table = area.querySelector("table.visits");
        const top = table.getBoundingClientRect().top;
        if (top < 0) window.scrollBy({ top: top - 8 });
      });
    }

    // A flagged check-in can beep (if the receptionist wants), once per visit.
    const sound = byId("alert-sound");
    if (sound) {
      sound.checked = localStorage.getItem("gatebook-alert-sound") === "1";
      sound.addEventListener("change", () => {
        localStorage.setItem("gatebook-alert-sound", sound.checked ? "1" : "0");
        if (sound.checked) beep();  // browsers allow sound after a click: this unlocks it
      });
    }
    const alerted = new Set();
    document.body.addEventListener("flagged-checkin", (event) => {
      const fresh = (event.detail.ids || []).filter((id) => !alerted.has(id));
      fresh.forEach((id) => alerted.add(id));
      if (fresh.length && sound && sound.checked) beep();
    });
  });

  // Keys, as the page shows them: "/" searches, a letter follows the link that names it.
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) {
      if (event.key === "Escape" && event.target.id === "q") event.target.blur();
      return;
    }
    const search = byId("q");
    if (event.key === "/" && search) {
      event.preventDefault();
      search.focus();
      search.select();
      return;
    }
    if (!/^[a-z]$/i.test(event.key)) return;
    const link = document.querySelector(`[data-shortcut="${event.key.toLowerCase()}"]`);
    if (link) {
      event.preventDefault();
      link.click();
    }
  });

  let audio = null;
  function beep() {
    try {
      audio = audio || new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.25, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.6);
    } catch (error) { /* no sound device: the panel is still there */ }
  }
})();
