// Password boxes on every page: a show/hide toggle on each, and live checking of the password
// policy's rules beside a new password. The rules come from accounts.policy.policy_rules as a
// JSON data block; the server always enforces them again. A refused password comes back with
// the rules it broke marked; they and the server's error clear as soon as the user types.
(function () {
  "use strict";

  var tests = {
    lower: function (c) { return c !== c.toUpperCase() && c === c.toLowerCase(); },
    upper: function (c) { return c !== c.toLowerCase() && c === c.toUpperCase(); },
    digit: function (c) { return /\p{Nd}/u.test(c); },
    special: function (c) { return !/[\p{L}\p{N}]/u.test(c); }
  };

  function passes(rule, password) {
    var chars = Array.from(password);
    switch (rule.code) {
      case "password_too_short":
        return chars.length >= rule.min && chars.length <= rule.max;
      case "password_character_classes":
        return rule.classes.filter(function (name) {
          return chars.some(tests[name]);
        }).length >= rule.need;
      case "password_identical_chars":
        return !new RegExp("(.)\\1{" + rule.max_run + ",}", "su").test(password);
      default:
        return null; // checked by the server only (history, personal info, dictionary)
    }
  }

  function liveRules(list) {
    var data = document.getElementById("password-rules");
    var input = document.getElementById(list.dataset.for);
    var confirm = list.dataset.confirm ? document.getElementById(list.dataset.confirm) : null;
    if (!data || !input) return;
    var rules = JSON.parse(data.textContent);
    var typed = false;

    function update() {
      var password = input.value;
      var items = list.querySelectorAll("li");
      rules.forEach(function (rule, i) {
        var item = items[i];
        if (!item) return;
        var ok = password ? passes(rule, password) : null;
        if (!typed && ok === null) return; // keep the server's verdict until the user types
        item.classList.toggle("ok", ok === true);
        item.classList.toggle("bad", ok === false);
      });
      if (confirm) {
        var mismatch = document.getElementById("password-mismatch");
        var differs = confirm.value !== "" && confirm.value !== password;
        if (mismatch) mismatch.hidden = !differs;
        confirm.setAttribute("aria-invalid", differs ? "true" : "false");
      }
    }

    function clearServerVerdict() {
      typed = true;
      document.querySelectorAll('[data-server-error-for="' + input.id + '"]').forEach(
        function (el) { el.hidden = true; }
      );
      input.removeAttribute("aria-invalid");
    }

    var meter = strengthMeter(list, input);
    input.addEventListener("input", function () { clearServerVerdict(); update(); meter(); });
    if (confirm) confirm.addEventListener("input", update);
    update();
  }

  // zxcvbn-ts (vendored under static/vendor) estimates how guessable the password is. It is
  // advice: the policy's rules, checked again on the server, decide.
  function strengthMeter(list, input) {
    var box = list.parentNode.querySelector(".strength");
    var lib = window.zxcvbnts;
    if (!box || !lib || !lib.core || !lib["language-common"]) return function () {};
    var common = lib["language-common"];
    var zxcvbn = new lib.core.ZxcvbnFactory({
      dictionary: common.dictionary,
      graphs: common.adjacencyGraphs
    });
    var labels = (box.dataset.labels || "").split("|");
    var username = document.querySelector('input[autocomplete="username"]');
    var inputs = username && username.value ? [username.value] : [];
    var bar = box.querySelector(".strength-bar span");
    var text = box.querySelector(".strength-text");
    var colours = ["#b3261e", "#b3261e", "#8a5a00", "#1e6b3a", "#1e6b3a"];
    return function () {
      if (!input.value) { box.hidden = true; return; }
      var score = zxcvbn.check(input.value.slice(0, 100), inputs).score;
      box.hidden = false;
      box.dataset.score = String(score);
      bar.style.width = ((score + 1) * 20) + "%";
      bar.style.background = colours[score];
      text.textContent = box.dataset.prefix + " " + (labels[score] || "");
    };
  }

  function toggles() {
    var body = document.body;
    var show = body.dataset.showPassword || "Show";
    var hide = body.dataset.hidePassword || "Hide";
    document.querySelectorAll('input[type="password"]').forEach(function (input) {
      if (input.dataset.toggle === "off" || input.hidden) return;
      var wrap = document.createElement("span");
      wrap.className = "password-wrap";
      input.parentNode.insertBefore(wrap, input);
      wrap.appendChild(input);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "reveal";
      button.textContent = show;
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-controls", input.id);
      button.addEventListener("click", function () {
        var visible = input.type === "password";
        input.type = visible ? "text" : "password";
        button.textContent = visible ? hide : show;
        button.setAttribute("aria-pressed", visible ? "true" : "false");
      });
      wrap.appendChild(button);
    });
  }

  // The email typed on the login page is carried to the forgot page in this tab's
  // sessionStorage: never in a URL that stays in history.
  function carryEmail() {
    var KEY = "rekey.email";
    var forgot = document.getElementById("forgot-link");
    var loginEmail = document.querySelector('#login-form input[name="email"]');
    if (forgot && loginEmail) {
      forgot.addEventListener("click", function () {
        try { sessionStorage.setItem(KEY, loginEmail.value); } catch (e) { /* private mode */ }
      });
    }
    var requestEmail = document.querySelector('#reset-request-form input[name="email"]');
    if (requestEmail && !requestEmail.value) {
      try { requestEmail.value = sessionStorage.getItem(KEY) || ""; } catch (e) { /* ignore */ }
    }
  }

  // "Check your email": offer to send again only after a short wait.
  function resendLater() {
    var form = document.getElementById("resend-form");
    if (!form) return;
    var button = document.getElementById("resend");
    var wait = document.getElementById("resend-wait");
    var left = parseInt(form.dataset.delay, 10) || 0;
    if (left <= 0) return;
    button.hidden = true;
    wait.hidden = false;
    var timer = setInterval(function () {
      left -= 1;
      if (left > 0) return;
      clearInterval(timer);
      wait.hidden = true;
      button.hidden = false;
    }, 1000);
  }

  function init() {
    toggles();
    carryEmail();
    resendLater();
    document.querySelectorAll("ul.rules[data-for]").forEach(liveRules);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
