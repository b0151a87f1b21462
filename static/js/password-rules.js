// Live checking of the password policy's rules on the reset page. The rules come from
// accounts.policy.policy_rules as a JSON data block; the server always enforces them again.
(function () {
  "use strict";
  var data = document.getElementById("password-rules");
  var input = document.getElementById("id_password");
  var confirm = document.getElementById("id_password2");
  var list = document.getElementById("password-rules-list");
  if (!data || !input || !list) return;
  var rules = JSON.parse(data.textContent);
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

  function update() {
    var password = input.value;
    var items = list.querySelectorAll("li");
    rules.forEach(function (rule, i) {
      var item = items[i];
      if (!item) return;
      var ok = password ? passes(rule, password) : null;
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

  input.addEventListener("input", update);
  if (confirm) confirm.addEventListener("input", update);
  update();
})();
