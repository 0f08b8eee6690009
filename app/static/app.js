// Small comforts on the check-in form; the form works the same without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const none = document.getElementById("none_of_these");
  if (!none) return;
  const answers = document.querySelectorAll(".declaration .yes-no input[type=radio]");
  // "None of these" answers No to every question; a Yes answer unticks it.
  none.addEventListener("change", () => {
    if (!none.checked) return;
    answers.forEach((input) => { if (input.value === "no") input.checked = true; });
  });
  answers.forEach((input) => input.addEventListener("change", () => {
    if (input.value === "yes" && input.checked) none.checked = false;
  }));
});
