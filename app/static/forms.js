// A form marked data-once is sent once: the button is disabled after the first click.
// (The server also refuses to register the same form twice; this only spares a second request.)
document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
  });
});
