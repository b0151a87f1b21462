// The little the dashboard needs beyond plain forms: the Danger Zone's dialogs, the policy's
// "try a password" box, copy buttons and the email preview. Loaded as a file (CSP: no inline).
// Password boxes and live rules are static/js/password-rules.js, shared with the hosted pages.
(function () {
  "use strict";

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
    // Delegated: the reset link's Copy button arrives later, inside a dialog.
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-copy]") : null;
      if (!button) return;
      (function () {
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
      })();
    });
  }

  // The Danger Zone: each action opens in a dialog on the user's page. Its form posts with
  // fetch; errors come back as JSON and are shown beside the fields, so everything typed
  // stays where it was. Without JavaScript the links lead to each action's own page.
  function dangerDialogs() {
    document.querySelectorAll("a[data-dialog]").forEach(function (link) {
      var dialog = document.getElementById(link.dataset.dialog);
      if (!dialog || typeof dialog.showModal !== "function") return;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("input:not([type=hidden]):not([hidden]), textarea");
        if (first) first.focus();
      });
    });
    document.querySelectorAll("dialog [data-close]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });
    document.querySelectorAll("form[data-dialog-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var submit = form.querySelector("button[type=submit]");
        submit.disabled = true;
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" }
        }).then(function (r) {
          return r.json();
        }).then(function (data) {
          if (data.redirect) { window.location.assign(data.redirect); return; }
          submit.disabled = false;
          if (data.html) {
            var holder = document.createElement("div");
            holder.innerHTML = data.html;
            form.replaceWith(holder);
            return;
          }
          showErrors(form, data.errors || {}, data.failed_codes || []);
        }).catch(function () {
          submit.disabled = false;
          showErrors(form, { __all__: [{ message: form.dataset.failed || "Something went wrong. Try again." }] }, []);
        });
      });
    });
  }

  function showErrors(form, errors, failedCodes) {
    form.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid=true]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
    var top = form.querySelector(".form-errors");
    top.textContent = "";
    top.hidden = true;
    var firstBad = null;
    Object.keys(errors).forEach(function (name) {
      var messages = errors[name].map(function (e) { return e.message; });
      var input = name === "__all__" ? null : form.querySelector('[name="' + name + '"]');
      if (!input) {
        messages.forEach(function (m) {
          var p = document.createElement("p");
          p.textContent = m;
          top.appendChild(p);
        });
        top.hidden = false;
        return;
      }
      var hiddenBox = input.closest("[hidden]");
      if (hiddenBox) hiddenBox.hidden = false; // e.g. the password, due again
      var list = document.createElement("ul");
      list.className = "field-errors js-error";
      list.id = input.id + "_errors";
      list.dataset.serverErrorFor = input.id;
      messages.forEach(function (m) {
        var li = document.createElement("li");
        li.className = "field-error";
        li.textContent = m;
        list.appendChild(li);
      });
      var after = input.closest(".password-wrap") || input;
      after.insertAdjacentElement("afterend", list);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", list.id);
      if (!firstBad) firstBad = input;
    });
    var rules = form.querySelector("ul.rules");
    if (rules && failedCodes.length) {
      rules.querySelectorAll("li").forEach(function (li) {
        li.classList.remove("ok");
        li.classList.toggle("bad", failedCodes.indexOf(li.dataset.code) !== -1);
      });
    }
    if (firstBad) firstBad.focus();
  }

  // An email's frame is as tall as its document: the whole email shows, with no scrollbar of
  // its own. The document is same-origin (sandbox allow-same-origin, no scripts), so it can be
  // measured from here; again when the width changes, since a narrower email is taller.
  function autosize(frame) {
    var doc;
    try { doc = frame.contentDocument; } catch (e) { return; }
    if (!doc || !doc.documentElement || doc.URL === "about:blank") return;
    frame.style.height = "0px";  // so that scrollHeight is the document's, not the frame's
    var height = doc.documentElement.scrollHeight;
    frame.style.height = height + "px";
  }

  function autosizeFrames() {
    var frames = Array.prototype.slice.call(document.querySelectorAll("iframe[data-autosize]"));
    frames.forEach(function (frame) {
      frame.addEventListener("load", function () { autosize(frame); });
      autosize(frame);
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        document.querySelectorAll("iframe[data-autosize]").forEach(autosize);
      }, 100);
    });
  }

  function emailPreview() {
    var form = document.getElementById("template-form");
    var frame = document.getElementById("template-preview");
    if (!form || !frame || !form.dataset.previewUrl) return;
    var timer = null;
    var seq = 0;
    function showDocument() {
      // The rendered email is posted into a fresh frame: its first navigation replaces the
      // frame's blank page, so previews add nothing to the browser's history.
      var fresh = frame.cloneNode(false);
      fresh.style.height = frame.style.height;
      fresh.addEventListener("load", function () { autosize(fresh); });
      frame.replaceWith(fresh);
      frame = fresh;
      var post = document.createElement("form");
      post.method = "post";
      post.action = form.dataset.documentUrl;
      post.target = fresh.name;
      post.hidden = true;
      new FormData(form).forEach(function (value, key) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = key;
        input.value = value;
        post.appendChild(input);
      });
      document.body.appendChild(post);
      post.submit();
      post.remove();
    }
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
        // One request at a time, and only for the latest edit: the frame follows the answer.
        if (form.dataset.documentUrl) showDocument();
      }).catch(function () {});
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
    // Rendering is an administrator's POST (a GET of the page runs no template): ask for the
    // saved template's preview once, then again on every edit.
    render();
  }

  // On a phone the sections are a tab bar that scrolls sideways: keep the current one in view.
  function currentTab() {
    var nav = document.querySelector(".sidenav");
    var current = nav && nav.querySelector('a[aria-current="page"]');
    if (!current || nav.scrollWidth <= nav.clientWidth) return;
    nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
  }

  function init() {
    currentTab();
    dangerDialogs();
    tryPassword();
    copyButtons();
    autosizeFrames();
    emailPreview();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
