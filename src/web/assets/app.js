// minzheng: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Live filtering: <input data-filter-target="#table-id"> hides rows whose
  // data-filter-text does not contain the typed text.
  function setupFilters() {
    document.querySelectorAll("input[data-filter-target]").forEach(function (input) {
      var table = document.querySelector(input.getAttribute("data-filter-target"));
      if (!table) return;
      input.addEventListener("input", function () {
        var needle = input.value.trim().toLowerCase();
        table.querySelectorAll("tbody tr").forEach(function (row) {
          var text = (row.getAttribute("data-filter-text") || row.textContent).toLowerCase();
          row.hidden = needle !== "" && text.indexOf(needle) === -1;
        });
      });
    });
  }

  // Confirm dialogs: <form data-confirm="确定要…吗？">
  function setupConfirms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupFilters();
    setupConfirms();
  });
})();
