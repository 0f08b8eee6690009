// Small comforts; every page works the same without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Check-in form: "None of these" answers No to every question; a Yes answer unticks it.
  const none = document.getElementById("none_of_these");
  if (none) {
    const answers = document.querySelectorAll(".declaration .yes-no input[type=radio]");
    none.addEventListener("change", () => {
      if (!none.checked) return;
      answers.forEach((input) => { if (input.value === "no") input.checked = true; });
    });
    answers.forEach((input) => input.addEventListener("change", () => {
      if (input.value === "yes" && input.checked) none.checked = false;
    }));
  }
  // A companion's answer: ticking something means "yes"; "none" unticks everything.
  document.querySelectorAll(".companion-answer").forEach((group) => {
    const items = group.querySelectorAll(".companion-items input[type=checkbox]");
    const choice = (value) => group.querySelector(`input[type=radio][value=${value}]`);
    items.forEach((item) => item.addEventListener("change", () => {
      if (item.checked && choice("yes")) choice("yes").checked = true;
    }));
    if (choice("none")) choice("none").addEventListener("change", () => {
      items.forEach((item) => { item.checked = false; });
    });
  });
  // Staff forms that change something hard to undo ask first.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Dashboard: a flagged check-in arriving by the poll can beep (if the receptionist wants).
  const sound = document.getElementById("alert-sound");
  if (sound) {
    sound.checked = localStorage.getItem("gatebook-alert-sound") === "1";
    sound.addEventListener("change", () => {
      localStorage.setItem("gatebook-alert-sound", sound.checked ? "1" : "0");
      if (sound.checked) beep();  // browsers allow sound after a click: this unlocks it
    });
  }
  // The poll announces flagged check-ins (HX-Trigger); beep once per visit, not once per poll.
  const alerted = new Set();
  document.body.addEventListener("flagged-checkin", (event) => {
    const fresh = (event.detail.ids || []).filter((id) => !alerted.has(id));
    fresh.forEach((id) => alerted.add(id));
    if (fresh.length && sound && sound.checked) beep();
  });
  document.body.addEventListener("click", (event) => {
    if (event.target.matches("[data-dismiss-alert]")) event.target.closest(".alert").hidden = true;
  });
  // The poster's and the roll call's print button.
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
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
  } catch (error) { /* no sound device: the banner is still there */ }
}
