// The job page, with JavaScript: follow the job's progress every second instead of reloading the page,
// and reload once when it has ended, to show its outcome. Without JavaScript a <noscript> meta refresh
// reloads the page every two seconds.
(function () {
  "use strict";
  var section = document.querySelector("[data-job-progress]");
  if (!section) { return; }
  var bar = section.querySelector("progress");
  var label = section.querySelector("[data-job-phase]");
  function follow() {
    fetch(section.getAttribute("data-job-progress"), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(follow, 5000); return; }
        if (["done", "refused", "failed"].indexOf(job.state) >= 0) { window.location.reload(); return; }
        if (job.percent === null) { bar.removeAttribute("value"); } else { bar.value = job.percent; bar.textContent = job.percent + " %"; }
        label.textContent = job.progress;
        setTimeout(follow, 1000);
      })
      .catch(function () { setTimeout(follow, 5000); });
  }
  setTimeout(follow, 1000);
}());
