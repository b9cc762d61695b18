// roger's portal script: copy buttons, the authorization popup, the live
// Contact URL check, the Country Code dry run and sync progress. Pages
// work without it, only less conveniently.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // refresh shows the replicator page afresh; a page that answered a
  // form post is left for the replicator's own page, never re-posted.
  var refresh = function () {
    var box = document.querySelector("[data-replicator]");
    var target = box ? "/replicators/" + box.dataset.replicator : window.location.pathname;
    // A notice in the address ("…?done=credentials") belongs to the
    // step just taken; the refreshed page tells the state as it is now.
    if (window.location.pathname === target && window.location.search === "") { window.location.reload(); } else { window.location.assign(target); }
  };

  // Times are written in UTC by the server; they are shown in the
  // browser's time zone, with the UTC time kept on hover.
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var localTime = function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) { return; }
    var now = new Date();
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    var sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
    el.textContent = sameDay ? time : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + time;
    el.dataset.local = "yes";
  };
  document.querySelectorAll("time[datetime]").forEach(localTime);

  // "2 s ago" stays true while the page is open.
  var agoText = function (seconds) {
    if (seconds < 60) { return Math.max(0, Math.floor(seconds)) + " s ago"; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + " min ago"; }
    if (seconds < 172800) { return Math.floor(seconds / 3600) + " h " + Math.floor(seconds % 3600 / 60) + " min ago"; }
    return Math.floor(seconds / 86400) + " days ago";
  };
  var agos = document.querySelectorAll("[data-ago]");
  if (agos.length) {
    var tick = function () {
      agos.forEach(function (el) {
        var t = new Date(el.dataset.ago).getTime();
        if (!isNaN(t)) { el.textContent = agoText((Date.now() - t) / 1000); }
      });
    };
    tick();
    setInterval(tick, 1000);
  }

  // Copy buttons copy the value of the input they name.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.dataset.copy);
      input.select();
      var done = function () { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = "Copy"; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  // The authorization popup tells the page that opened it when it is
  // done; closing it without finishing also refreshes the page.
  var popupPage = document.body.dataset.popupReplicator;
  if (popupPage !== undefined && window.opener) {
    try { window.opener.postMessage({ type: "roger-authorized", replicator: popupPage }, window.location.origin); } catch (e) { /* opener gone */ }
  }
  document.querySelectorAll("[data-close-window]").forEach(function (btn) {
    btn.addEventListener("click", function () { window.close(); });
  });
  document.querySelectorAll("form[data-popup]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var w = 620, h = 720;
      var left = window.screenX + Math.max(0, (window.outerWidth - w) / 2);
      var top = window.screenY + Math.max(0, (window.outerHeight - h) / 2);
      var popup = window.open("about:blank", form.target, "popup,width=" + w + ",height=" + h + ",left=" + left + ",top=" + top);
      if (!popup) { form.removeAttribute("target"); return; }
      var timer = setInterval(function () {
        if (popup.closed) { clearInterval(timer); refresh(); }
      }, 1000);
    });
  });
  window.addEventListener("message", function (ev) {
    if (ev.origin === window.location.origin && ev.data && ev.data.type === "roger-authorized") {
      refresh();
    }
  });

  // Step 1's App Center is the one of the Exact country chosen in step 2.
  var hostSelect = document.getElementById("exact_url");
  var appCenter = document.getElementById("app-center");
  if (hostSelect && appCenter) {
    hostSelect.addEventListener("change", function () {
      var chosen = hostSelect.options[hostSelect.selectedIndex];
      if (chosen && chosen.dataset.appCenter) { appCenter.href = chosen.dataset.appCenter; }
    });
  }

  // Live check of the Contact URL as it is typed.
  var urlInput = document.querySelector("[data-check-url]");
  var check = document.getElementById("contact-url-check");
  if (urlInput && check) {
    var pending;
    var show = function (res) {
      check.textContent = "";
      if (!res.ok) {
        var err = document.createElement("span");
        err.className = "error";
        err.textContent = res.error;
        check.appendChild(err);
        return;
      }
      var ok = document.createElement("span");
      ok.className = "ok";
      ok.textContent = "Looks right: " + (res.card ? "the " + res.card + " in " : "") + "division " + res.division + ". ";
      check.appendChild(ok);
      if (res.example) {
        check.appendChild(document.createTextNode(res.record ? "Example for " + res.record + ": " : "Example: "));
        var a = document.createElement("a");
        a.href = res.example;
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = res.example;
        a.id = "contact-url-example";
        check.appendChild(a);
      }
      if (res.note) { check.appendChild(document.createTextNode(" " + res.note)); }
    };
    // Only the answer to the latest keystroke is shown: an earlier one
    // that arrives late would show a link that is no longer there.
    var asked = 0;
    var run = function () {
      var mine = ++asked;
      fetch(urlInput.dataset.checkUrl + "?template=" + encodeURIComponent(urlInput.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (res) { if (mine === asked) { show(res); } })
        .catch(function () {});
    };
    // The check waits until typing pauses, so a link typed or pasted in
    // pieces is checked once.
    urlInput.addEventListener("input", function () { clearTimeout(pending); pending = setTimeout(run, 300); });
    // A suggested link not yet filled in is checked once it is typed in,
    // not while it still waits for the division.
    if (!check.querySelector(".error") && !urlInput.hasAttribute("data-check-later")) { run(); }
  }

  // Dry run of a Country Code change: how the stored numbers would read
  // with the code being typed, before Save.
  var countryInput = document.getElementById("country");
  var preview = document.querySelector("[data-preview-url]");
  if (countryInput && preview) {
    var saved = countryInput.value, waiting, asked = 0;
    var showPreview = function (res) {
      preview.textContent = "";
      var line = document.createElement("span");
      line.className = res.ok ? "" : "error";
      line.textContent = res.ok ? res.summary : res.error;
      preview.appendChild(line);
      if (res.ok && res.examples && res.examples.length) {
        var list = document.createElement("ul");
        list.id = "country-preview-examples";
        res.examples.forEach(function (ex) {
          var item = document.createElement("li");
          item.textContent = ex.raw + ": " + ex.before + " \u2192 " + ex.after;
          list.appendChild(item);
        });
        preview.appendChild(list);
      }
    };
    var ask = function () {
      var value = countryInput.value.trim();
      if (value === "" || value === saved) { preview.textContent = ""; return; }
      var mine = ++asked;
      preview.textContent = "Counting the numbers that would read differently\u2026";
      fetch(preview.dataset.previewUrl + "?country=" + encodeURIComponent(value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (res) { if (mine === asked) { showPreview(res); } })
        .catch(function () { if (mine === asked) { preview.textContent = ""; } });
    };
    countryInput.addEventListener("input", function () { clearTimeout(waiting); waiting = setTimeout(ask, 400); });
  }

  // Sync progress: poll while a run is going, reload when it ends so the
  // history and counts are fresh.
  var statusBox = document.querySelector("[data-status-url]");
  var progress = document.getElementById("progress");
  if (statusBox && progress) {
    // The page shows the run it was rendered with; a different run (or
    // its end) means the history and counts on the page are stale.
    var shown = statusBox.dataset.lastRun || "";
    var lastState = null;
    var poll = function () {
      fetch(statusBox.dataset.statusUrl, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.json();
      }).then(function (st) {
        // A run waiting for Exact's rate limit goes on by itself: keep
        // showing its progress and when it goes on.
        var running = st.run && (st.run.running || st.run.waiting);
        progress.textContent = st.run ? st.run.summary : "";
        progress.dataset.running = running ? "yes" : "no";
        var box = document.getElementById("progress-box");
        var bar = document.getElementById("progress-bar");
        if (box && bar) {
          box.hidden = !running;
          if (running && st.run.expected > 0) {
            bar.max = st.run.expected;
            bar.value = Math.min(st.run.read, st.run.expected);
            bar.textContent = Math.floor(100 * bar.value / bar.max) + "%";
          } else if (running) {
            bar.removeAttribute("value");
          }
        }
        var line = document.getElementById("directory-line");
        if (line && running) { line.textContent = "A sync is going on: its records so far are counted below; the directory's totals follow when it ends."; }
        if (st.run) { progress.dataset.read = st.run.read; progress.dataset.outcome = st.run.outcome; }
        var badge = document.getElementById("state");
        if (badge) { badge.textContent = st.stateLabel; badge.className = "state state-" + st.state + (st.authorized ? " authorized" : ""); }
        var key = st.run ? st.run.id + ":" + st.run.outcome : "";
        if ((!running && key !== shown) || (lastState !== null && lastState !== st.state)) {
          refresh();
          return;
        }
        lastState = st.state;
        setTimeout(poll, running ? 1000 : 4000);
      }).catch(function () { setTimeout(poll, 10000); });
    };
    poll();
  }
});
