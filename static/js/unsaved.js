/* Warn before leaving a page whose form holds unsaved changes.
   - <form data-unsaved-warning>: leaving the page (a link, reload, closing the tab) after a change asks first.
   - A form shown again with errors (a field marked .is-invalid) holds unsaved work from the start.
   - Sending the form itself does not ask; sending another form (a language switch) still does.
   Only the browser's own words are shown: browsers ignore a page's text in this dialog. */
(() => {
  const FORMS = "form[data-unsaved-warning]";
  const saved = new WeakMap();

  const state = (form) => Array.from(form.elements, (el) => {
    if (!el.name || el.disabled || el.type === "submit" || el.type === "button") return "";
    if (el.type === "checkbox" || el.type === "radio") return `${el.name}=${el.checked}`;
    if (el.type === "file") return `${el.name}=${Array.from(el.files || [], (f) => f.name).join("|")}`;
    if (el.multiple && el.options) return `${el.name}=${Array.from(el.selectedOptions, (o) => o.value).join("|")}`;
    return `${el.name}=${el.value}`;
  }).join("\n");

  const remember = () => {
    document.querySelectorAll(FORMS).forEach((form) => {
      delete form.dataset.submitting;
      saved.set(form, form.querySelector(".is-invalid") ? null : state(form));
    });
  };

  const unsaved = (form) => !form.dataset.submitting && saved.has(form) && saved.get(form) !== state(form);

  // After every other DOMContentLoaded handler: a picker that dresses up a <select> may set its value then.
  const later = () => window.setTimeout(remember, 0);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", later);
  else later();
  // Back to a page kept in the browser's cache: what it shows is what the server has.
  window.addEventListener("pageshow", (event) => { if (event.persisted) remember(); });

  // On window, so that it runs after every handler on the document (app.js's data-confirm may cancel).
  window.addEventListener("submit", (event) => {
    const form = event.target;
    if (!event.defaultPrevented && form.matches && form.matches(FORMS)) form.dataset.submitting = "1";
  });

  window.addEventListener("beforeunload", (event) => {
    if (!Array.from(document.querySelectorAll(FORMS)).some(unsaved)) return;
    event.preventDefault();
    event.returnValue = "";  // older Chromium asks only when returnValue is set
  });
})();
