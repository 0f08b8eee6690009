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
  // The poster's and the roll call's print button.
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
