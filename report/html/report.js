// cidiff report: filters and the #selftest hook. No network, no eval, no inline handlers
// (the page's Content-Security-Policy allows this one script by its hash).
(function () {
  "use strict";
  var $ = function (sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); };
  var fClass = document.getElementById("f-class");
  var fOutcome = document.getElementById("f-outcome");
  var fJob = document.getElementById("f-job");
  var count = document.getElementById("f-count");

  function apply(cls, outcome, job) {
    var filtering = cls !== "" || outcome !== "";
    var shownFindings = 0, shownPairs = 0;
    $("section.pair").forEach(function (pair) {
      var jobOK = job === "" || pair.getAttribute("data-job") === job;
      var visible = 0;
      pair.querySelectorAll("tbody.finding").forEach(function (f) {
        var ok = jobOK &&
          (cls === "" || f.getAttribute("data-class") === cls) &&
          (outcome === "" || f.getAttribute("data-outcome") === outcome);
        f.hidden = !ok;
        if (ok) { visible++; }
      });
      var show = jobOK && (!filtering || visible > 0);
      pair.hidden = !show;
      var row = document.getElementById("m-" + pair.id);
      if (row) { row.hidden = !show; }
      if (show) { shownPairs++; }
      shownFindings += visible;
    });
    return { findings: shownFindings, pairs: shownPairs };
  }

  function update() {
    var r = apply(fClass.value, fOutcome.value, fJob.value);
    count.textContent = r.findings + " findings in " + r.pairs + " pairs shown";
  }

  [fClass, fOutcome, fJob].forEach(function (el) { el.addEventListener("change", update); });
  update();

  // report.html#selftest applies every filter value in turn and writes what stays visible, so
  // a headless browser test can check the filters against the data.
  if (location.hash === "#selftest") {
    var lines = [];
    var run = function (name, value, c, o, j) {
      var r = apply(c, o, j);
      lines.push(name + "=" + value + " findings=" + r.findings + " pairs=" + r.pairs);
    };
    run("all", "", "", "", "");
    Array.prototype.forEach.call(fClass.options, function (op) { if (op.value) { run("class", op.value, op.value, "", ""); } });
    Array.prototype.forEach.call(fOutcome.options, function (op) { if (op.value) { run("outcome", op.value, "", op.value, ""); } });
    Array.prototype.forEach.call(fJob.options, function (op) { if (op.value) { run("job", op.value, "", "", op.value); } });
    update();
    var out = document.getElementById("selftest");
    out.textContent = lines.join("\n");
    out.hidden = false;
  }
})();
