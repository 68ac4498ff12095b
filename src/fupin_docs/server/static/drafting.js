// The drafting page's script (the CSP allows no inline script): repeated groups added,
// removed and reordered; the form saved and checked as the clerk types (debounced), the
// CLI's messages put beside their fields, and the print preview re-drawn page by page.
(function () {
  "use strict";
  var DELAY = 600;

  function rows(container) {
    return Array.prototype.filter.call(container.children, function (el) {
      return el.classList.contains("repeat-item");
    });
  }

  // Names and data-path from the DOM's nesting: key.index.key …, as the server draws them.
  function pathOf(el, form) {
    var parts = [];
    for (var node = el; node && node !== form; node = node.parentElement) {
      if (node.classList.contains("repeat-item")) {
        parts.unshift(String(rows(node.parentElement).indexOf(node)));
      } else if (node.dataset && node.dataset.key) {
        parts.unshift(node.dataset.key);
      }
    }
    return parts.join(".");
  }

  function renumber(form) {
    form.querySelectorAll("[data-key], .repeat-item").forEach(function (el) {
      el.dataset.path = pathOf(el, form);
    });
    form.querySelectorAll("[data-field]").forEach(function (input) {
      input.name = input.closest(".field").dataset.path;
    });
    form.querySelectorAll(".repeat-items").forEach(function (list) {
      rows(list).forEach(function (row, i) {
        var no = row.querySelector(".item-no");
        if (no) { no.textContent = "第 " + (i + 1) + " 项"; }
      });
    });
  }

  function showProblems(form, problems, warnings) {
    form.querySelectorAll(".field-error").forEach(function (slot) { slot.textContent = ""; });
    var general = document.getElementById("form-errors");
    general.textContent = "";
    problems.forEach(function (p) {
      var parts = p.path ? p.path.split(".") : [];
      var target = null;
      while (parts.length && !target) {
        target = form.querySelector('[data-path="' + CSS.escape(parts.join(".")) + '"]');
        if (!target) { parts.pop(); }
      }
      var slot = target ? target.querySelector(":scope > .field-error") : null;
      var line = document.createElement("p");
      line.textContent = p.message;
      (slot || general).appendChild(line);
    });
    general.hidden = !general.children.length;
    var box = document.getElementById("form-warnings");
    box.textContent = "";
    (warnings || []).forEach(function (w) {
      var line = document.createElement("p");
      line.textContent = "提醒：" + w.message;
      box.appendChild(line);
    });
    box.hidden = !box.children.length;
    form.querySelectorAll(".needs-valid").forEach(function (b) { b.disabled = problems.length > 0; });
  }

  function showPages(answer) {
    var pages = document.getElementById("pages");
    var status = document.getElementById("preview-status");
    if (answer.problems.length) {
      status.textContent = "有 " + answer.problems.length + " 处需要改正，改正后显示预览（已自动保存）";
      pages.classList.add("stale");
      return;
    }
    pages.textContent = "";
    pages.classList.remove("stale");
    for (var n = 1; n <= answer.pages; n++) {
      var img = document.createElement("img");
      img.src = answer.page_url + n + ".png?v=" + encodeURIComponent(answer.version);
      img.alt = "第 " + n + " 页";
      img.className = "page";
      img.loading = n <= 2 ? "eager" : "lazy";
      pages.appendChild(img);
    }
    status.textContent = "预览已更新，共 " + answer.pages + " 页（已自动保存）";
    pages.dataset.version = answer.version;
  }

  function setup(form) {
    var timer = null, sent = 0, controller = null;

    function check() {
      timer = null;
      renumber(form);
      var number = ++sent;
      if (controller) { controller.abort(); }
      controller = new AbortController();
      document.getElementById("preview-status").textContent = "正在检查和生成预览……";
      fetch(form.dataset.preview, {method: "POST", body: new FormData(form), signal: controller.signal,
                                   headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) {
          if (!r.ok) { throw new Error(r.status); }
          return r.json();
        })
        .then(function (answer) {
          if (number !== sent) { return; }
          showProblems(form, answer.problems, answer.warnings);
          showPages(answer);
        })
        .catch(function (err) {
          if (err.name === "AbortError") { return; }
          document.getElementById("preview-status").textContent =
            "未能保存和预览（" + err.message + "），请检查网络或重新登录后再试";
        });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(check, DELAY);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || button.type !== "button") { return; }
      if (button.classList.contains("add-item")) {
        var set = button.closest(".repeat");
        var template = set.querySelector(":scope > .repeat-template");
        var row = template.content.firstElementChild.cloneNode(true);
        set.querySelector(":scope > .repeat-items").appendChild(row);
        renumber(form);
        var first = row.querySelector("[data-field]");
        if (first) { first.focus(); }
      } else {
        var item = button.closest(".repeat-item");
        if (!item) { return; }
        if (button.classList.contains("remove-item")) {
          item.remove();
        } else if (button.classList.contains("move-up") && item.previousElementSibling) {
          item.parentElement.insertBefore(item, item.previousElementSibling);
        } else if (button.classList.contains("move-down") && item.nextElementSibling) {
          item.parentElement.insertBefore(item.nextElementSibling, item);
        } else {
          return;
        }
        renumber(form);
      }
      later();
    });
    form.addEventListener("submit", function () { renumber(form); });
    // A tab closed before the pause: what was typed since is sent on the way out.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && timer !== null) {
        clearTimeout(timer);
        timer = null;
        renumber(form);
        navigator.sendBeacon(form.dataset.preview, new FormData(form));
      }
    });
    renumber(form);
    check();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("draft-form");
    if (form) { setup(form); }
  });
})();
