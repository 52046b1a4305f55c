/* Pickers: every <select> or text box with data-picker becomes a searchable drop-down (Tom Select), found by
   name (城南), pinyin (chengnan), initials (csq, cnsq) or code (610923100001), as campaign/pickers/pinyin.py
   finds them on the server. Attributes (written by campaign/pickers/fields.py):
   - data-picker: what is picked (area, worker, target); data-value-field: "code" or "id" of the server's answer
   - data-url: where to ask; data-remote: ask as the user types (the choices are too many for the page)
   - data-initial: the chosen ones (JSON) of a remote text box; data-multiple: several, sent comma-separated
   - data-placeholder, data-no-results: the words to show
   Each <option> may carry data-pinyin ("cheng nan she qu") and data-hint (the code, shown in grey). */
(function () {
  "use strict";
  if (typeof TomSelect === "undefined") return;

  const SEPARATORS = /[\s'’·\-_.,，。、]+/g;
  const LATIN = /^[a-z0-9]+$/;

  function normalise(text) {
    return (text || "").normalize("NFKC").toLowerCase().replace(SEPARATORS, "").slice(0, 40);
  }

  // The first syllable from which each next syllable's start spells the query (csq: c·s·q with skipping).
  function spells(parts, query, skipping) {
    const failed = new Set();
    function fromHere(i, j) {
      if (j === query.length) return true;
      if (i === parts.length || failed.has(i * 64 + j)) return false;
      const part = parts[i];
      for (let k = Math.min(part.length, query.length - j); k > 0; k--) {
        if (part.slice(0, k) === query.slice(j, j + k) && fromHere(i + 1, j + k)) return true;
      }
      if (skipping && j > 0 && fromHere(i + 1, j)) return true;
      failed.add(i * 64 + j);
      return false;
    }
    for (let start = 0; start < parts.length; start++) {
      if (parts[start][0] === query[0] && fromHere(start, 0)) return start;
    }
    return null;
  }

  // 0 exact, 1 from the start, 2 inside, 3 with syllables passed over; null when it does not match.
  function rank(query, item) {
    if (!query) return 1;
    const code = String(item.hint || item.value || "").toLowerCase();
    if (/^[0-9]+$/.test(query) && code.includes(query)) {
      return code === query ? 0 : code.startsWith(query) ? 1 : 2;
    }
    const text = String(item.text || "").toLowerCase();
    if (text === query) return 0;
    if (text.includes(query)) return text.startsWith(query) ? 1 : 2;
    if (code.includes(query)) return 2;  // a worker's user name, typed in part
    if (!LATIN.test(query) || !item.pinyin) return null;
    const parts = String(item.pinyin).split(" ").filter(Boolean);
    if (!parts.length) return null;
    const start = spells(parts, query, false);
    if (start === null) return spells(parts, query, true) === null ? null : 3;
    if (query === parts.join("") || query === parts.map((p) => p[0]).join("")) return 0;
    return start === 0 ? 1 : 2;
  }

  function score(search) {
    const query = normalise(search);
    return (item) => {
      const found = rank(query, item);
      return found === null ? 0 : 4 - found;
    };
  }

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function fromServer(valueField) {
    return (row) => ({ value: String(row[valueField]), text: row.label, hint: row.hint, pinyin: row.pinyin });
  }

  function init(field) {
    const data = field.dataset;
    const multiple = field.multiple || data.multiple === "1";
    const settings = {
      valueField: "value", labelField: "text", searchField: ["text"], score,
      // an empty choice with words ("None") may be chosen; the blank one of a required field may not
      allowEmptyOption: field.tagName === "SELECT" && Array.from(field.options).some((o) => !o.value && o.text.trim()),
      maxOptions: 50, create: false, persist: false,
      placeholder: data.placeholder, maxItems: multiple ? null : 1, closeAfterSelect: !multiple,
      plugins: multiple ? ["remove_button"] : [],
      render: {
        option: (item) => `<div class="picker-option"><span>${escapeHtml(item.text)}</span>` +
          (item.hint ? ` <small class="picker-hint">${escapeHtml(item.hint)}</small>` : "") + "</div>",
        item: (item) => `<div title="${escapeHtml(item.hint)}">${escapeHtml(item.text)}</div>`,
        no_results: () => `<div class="no-results">${escapeHtml(data.noResults)}</div>`,
      },
    };
    if (data.remote && data.url) {
      const toOption = fromServer(data.valueField || "code");
      if (field.tagName === "INPUT") {
        const initial = JSON.parse(data.initial || "[]").map(toOption);
        settings.options = initial;
        settings.items = initial.map((o) => o.value);
        settings.delimiter = ",";
      }
      settings.shouldLoad = (query) => normalise(query).length > 0;
      settings.load = (query, callback) => {
        const url = new URL(data.url, window.location.href);
        url.searchParams.set("q", query);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then((response) => (response.ok ? response.json() : { results: [] }))
          .then((body) => callback(body.results.map(toOption)))
          .catch(() => callback());
      };
    }
    const picker = new TomSelect(field, settings);
    // Tom Select hides the field (kept for the form's value) and points its label at its own search box,
    // which screen readers use instead: the field leaves the accessibility tree rather than stay unnamed.
    field.setAttribute("aria-hidden", "true");
    if (field.classList.contains("is-invalid")) picker.wrapper.classList.add("is-invalid");
  }

  document.querySelectorAll("[data-picker]").forEach(init);
})();
