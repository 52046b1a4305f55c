/* Behaviour every page shares, kept out of the markup: the Content-Security-Policy lets no inline
   handler (onsubmit=…, onchange=…) run.
   - <form data-confirm="Question?"> asks before it is sent.
   - <select data-autosubmit> sends its form when the choice changes. */
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
