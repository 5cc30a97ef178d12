// mikrobot's keyboard shortcuts, listed in the "Hurtigtaster" panel (shortcuts_help.html).
// Served from 'self' (the CSP allows no inline script); the pages work without it.
// Nothing fires while typing in a field, or with Ctrl, Alt or Meta held.
//   queue:  j / k select the next / previous ticket, Enter opens it, x ticks it
//   ticket: n goes to the next ticket, c opens the reply composer (#composer)
//   composer: c puts the cursor in the reply's text (#compose-body)
//   any:    ? shows or hides the list of shortcuts, Esc closes it
"use strict";
(function () {
  function typing(target) {
    return Boolean(target && target.closest &&
      (target.isContentEditable || target.closest("input, textarea, select") !== null));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr[data-ticket]"));
  }

  function selectedIndex(all) {
    var here = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("tr[data-ticket]") : null;
    var current = here || document.querySelector("table.queue tr.selected");
    return all.indexOf(current);
  }

  function select(all, index) {
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === index); });
    var link = all[index].querySelector("a[href]");
    if (link) {
      link.focus();
      link.scrollIntoView({ block: "nearest" });
    }
  }

  function toggleHelp(panel, open) {
    panel.open = open;
    if (open) {
      panel.querySelector("summary").focus();
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) {
      return;
    }
    var panel = document.getElementById("shortcuts");
    var all = rows();
    var index = selectedIndex(all);
    var target = null;
    switch (event.key) {
      case "?":
        if (!panel) { return; }
        toggleHelp(panel, !panel.open);
        break;
      case "Escape":
        if (!panel || !panel.open) { return; }
        toggleHelp(panel, false);
        break;
      case "j":
      case "k":
        if (!all.length) { return; }
        select(all, index < 0 ? 0 : index + (event.key === "j" ? 1 : -1));
        break;
      case "Enter":
        // A focused link or button does its own thing; this is for a row selected earlier.
        if (index < 0 || (document.activeElement && document.activeElement !== document.body &&
            document.activeElement.tagName !== "MAIN")) { return; }
        target = all[index].querySelector("a[href]");
        if (!target) { return; }
        target.click();
        break;
      case "x":
        if (index < 0) { return; }
        target = all[index].querySelector("input.pick");
        if (!target) { return; }
        target.click();
        break;
      case "n":
        target = document.getElementById("next-ticket");
        if (!target) { return; }
        target.click();
        break;
      case "c":
        // On a ticket: the link to the composer with the bot's draft; on the composer: its text.
        target = document.getElementById("composer") || document.getElementById("compose-body");
        if (!target) { return; }
        if (target.tagName === "A") { target.click(); } else { target.focus(); }
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  function pickAll() {
    var box = document.querySelector("input[data-pick-all]");
    if (!box) { return; }
    var picks = Array.prototype.slice.call(document.querySelectorAll('input.pick[name="ids"]'));
    box.hidden = false;  // of use only with this script
    box.addEventListener("change", function () {
      picks.forEach(function (pick) { pick.checked = box.checked; });
    });
    picks.forEach(function (pick) {
      pick.addEventListener("change", function () {
        box.checked = picks.every(function (p) { return p.checked; });
      });
    });
  }

  document.addEventListener("keydown", onKey);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", pickAll);
  } else {
    pickAll();
  }
})();
