// mikrobot's only script: served from 'self' (the CSP allows no inline script).
// The pages work without it; it adds a confirmation before irreversible actions.
"use strict";
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The admin page's retraining job: while it runs, its step and count are polled from
// /admin/models/retrain/status; when it ends, the page is loaded again to show the result.
(function () {
  var box = document.querySelector("[data-testid=retrain-job][data-state=running]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  function show(job) {
    var step = box.querySelector("[data-testid=job-step]");
    var count = box.querySelector("[data-testid=job-count]");
    var bar = box.querySelector("[data-testid=job-progress]");
    if (step) {
      step.textContent = box.getAttribute("data-step-" + job.step) || job.step;
    }
    if (count) {
      count.textContent = job.total ? job.done + " / " + job.total : "";
    }
    if (bar) {
      bar.max = job.total || 1;
      bar.value = job.done;
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (job) {
        if (!job) {
          window.setTimeout(poll, 5000);
        } else if (job.state !== "running") {
          window.location.replace("/admin?job=" + job.id + "#models");
        } else {
          show(job);
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1500);
})();

// The rules page's backtest: while it runs, its count is polled; when it ends, the page is
// loaded again to show the changed mails (or why it stopped).
(function () {
  var box = document.querySelector("[data-testid=backtest-run][data-state=running]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (run) {
        if (run && run.state === "running") {
          var count = box.querySelector("[data-testid=backtest-count]");
          var bar = box.querySelector("[data-testid=backtest-progress]");
          if (count && run.total) {
            count.textContent = run.done + " / " + run.total;
          }
          if (bar) {
            bar.max = run.total || 1;
            bar.value = run.done;
          }
          window.setTimeout(poll, 1000);
        } else if (run) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 5000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
