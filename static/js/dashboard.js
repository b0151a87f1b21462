// The little the dashboard needs beyond plain forms: live password rules, the policy's
// "try a password" box, copy buttons and the email preview. Loaded as a file (CSP: no inline).
(function () {
  "use strict";

  var CLASS_TESTS = {
    lower: function (c) { return c !== c.toUpperCase() && c === c.toLowerCase(); },
    upper: function (c) { return c !== c.toLowerCase() && c === c.toUpperCase(); },
    digit: function (c) { return /[0-9]/.test(c); },
    special: function (c) { return !/[\p{L}\p{N}]/u.test(c); }
  };

  function ruleOk(rule, pw) {
    switch (rule.code) {
      case "password_too_short":
        return pw.length >= rule.min && pw.length <= rule.max;
      case "password_character_classes":
        var chars = Array.from(pw);
        var present = rule.classes.filter(function (name) {
          return chars.some(CLASS_TESTS[name]);
        }).length;
        return present >= rule.need;
      case "password_identical_chars":
        return !new RegExp("(.)\\1{" + rule.max_run + ",}", "su").test(pw);
      default:
        return null; // checked by the server only (history, personal info, dictionary)
    }
  }

  function liveRules() {
    var data = document.getElementById("password-rules-data");
    var input = document.getElementById("id_new_password1");
    var list = document.getElementById("password-rules");
    if (!data || !input || !list) return;
    var rules = JSON.parse(data.textContent);
    input.addEventListener("input", function () {
      rules.forEach(function (rule, i) {
        var li = list.children[i];
        if (!li) return;
        var ok = input.value ? ruleOk(rule, input.value) : null;
        li.classList.toggle("ok", ok === true);
        li.classList.toggle("bad", ok === false);
      });
    });
  }

  function tryPassword() {
    var form = document.getElementById("policy-form");
    var input = document.getElementById("try-password");
    var list = document.getElementById("try-rules");
    var verdict = document.getElementById("try-verdict");
    if (!form || !input || !list) return;
    var timer = null;
    var seq = 0;

    function check() {
      var body = new FormData(form);
      body.set("password", input.value);
      // Disabled fields (a viewer's read-only form) are not in FormData; send what is shown.
      form.querySelectorAll("input:disabled, textarea:disabled").forEach(function (el) {
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
        body.set(el.name, el.type === "checkbox" ? "on" : el.value);
      });
      var mine = ++seq;
      fetch(form.dataset.tryUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (r) { return r.json(); }).then(function (data) {
        if (mine !== seq || !data.rules) return;
        list.textContent = "";
        data.rules.forEach(function (rule) {
          var li = document.createElement("li");
          li.dataset.code = rule.code;
          li.textContent = rule.text;
          if (input.value && rule.ok !== null) li.className = rule.ok ? "ok" : "bad";
          list.appendChild(li);
        });
        if (verdict) {
          verdict.textContent = !input.value ? "" :
            (data.ok ? verdict.dataset.ok || "✓" : verdict.dataset.bad || "✗");
          verdict.className = data.ok ? "ok-text" : "bad-text";
        }
      }).catch(function () { /* keep the last answer */ });
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(check, 150);
    }
    input.addEventListener("input", soon);
    form.addEventListener("change", soon);
    form.addEventListener("input", soon);
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.querySelector(button.dataset.copy);
        if (!field) return;
        field.select();
        var done = function () {
          var label = button.textContent;
          button.textContent = button.dataset.copied || "Copied";
          setTimeout(function () { button.textContent = label; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            document.execCommand("copy"); done();
          });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function emailPreview() {
    var form = document.getElementById("template-form");
    var frame = document.getElementById("template-preview");
    if (!form || !frame || !form.dataset.previewUrl) return;
    var timer = null;
    var seq = 0;
    function render() {
      var mine = ++seq;
      fetch(form.dataset.previewUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin"
      }).then(function (r) { return r.json(); }).then(function (data) {
        if (mine !== seq) return;
        var subject = document.getElementById("template-preview-subject");
        if (subject) subject.textContent = data.subject || "";
        var error = document.getElementById("template-preview-error");
        if (error) error.textContent = data.error || "";
        // The rendered body goes into a fresh sandboxed frame with no scripts (Chromium does
        // not always reload a sandboxed frame whose srcdoc changes).
        var fresh = frame.cloneNode(false);
        fresh.setAttribute("srcdoc", data.html || "");
        frame.replaceWith(fresh);
        frame = fresh;
      }).catch(function () {});
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
    // The server rendered the saved template already; re-render only on edits.
  }

  function init() {
    liveRules();
    tryPassword();
    copyButtons();
    emailPreview();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
