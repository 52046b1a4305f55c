/* Behaviour every page shares, kept out of the markup: the Content-Security-Policy lets no inline
   handler (onsubmit=…, onchange=…) run.
   - <form data-confirm="Question?"> asks before it is sent; so does a <button data-confirm="…"> that sends
     a form (the button's question first). Cancelling sends nothing.
   - <select data-autosubmit> sends its form when the choice changes. */
document.addEventListener("submit", (event) => {
  const asker = (event.submitter && event.submitter.closest("[data-confirm]"))
    || event.target.closest("form[data-confirm]");
  if (asker && !window.confirm(asker.dataset.confirm)) event.preventDefault();
});

document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
