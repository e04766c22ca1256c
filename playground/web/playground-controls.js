/*
 * The playground's controls: the emulated clock, the knobs (view as, new issue, speed, faults, drift, reset,
 * sweep) and the start-up. Loaded after playground.js, whose helpers it takes from `window.__playground`.
 */
(function () {
  'use strict';

  var pg = window.__playground;
  var $ = pg.$;
  var state = pg.state;
  var api = pg.api;
  var toast = pg.toast;
  var fmt = pg.fmt;
  var go = pg.go;
  var renderView = pg.renderView;
  var loadFrames = pg.loadFrames;
  var refresh = pg.refresh;
  var POLL_MS = pg.POLL_MS;
  var FAULT_PRESETS = pg.FAULT_PRESETS;

  // ---- the clock

  function tickClock() {
    var d = state.data;
    if (d) {
      var now = d.nowMs + (performance.now() - state.receivedAt) * d.speed;
      var el = $('clock-now');
      el.textContent = fmt(now) + (d.speed !== 1 ? '  (' + d.speed + '×)' : '');
      el.setAttribute('datetime', new Date(now).toISOString());
    }
  }
  setInterval(tickClock, 250);

  $('advance-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var minutes = Number($('advance-minutes').value);
    if (!(minutes > 0)) {
      toast('Enter a number of minutes above 0', true);
      $('advance-minutes').focus();
      return;
    }
    var button = $('advance-form').querySelector('button');
    button.disabled = true;
    toast('Advancing ' + minutes + ' min…');
    api('POST', '/__playground/clock', { advanceSeconds: minutes * 60 })
      .then(function (r) {
        toast('Advanced to ' + fmt(r.now));
        return refresh().then(function () {
          loadFrames(true);
        });
      })
      .catch(function (err) {
        toast(err.message, true);
      })
      .then(function () {
        button.disabled = false;
      });
  });

  $('speed-buttons').addEventListener('click', function (e) {
    var b = e.target.closest('button[data-speed]');
    if (!b) return;
    api('POST', '/__playground/clock', { speed: Number(b.dataset.speed) })
      .then(function () {
        toast('Speed ' + b.dataset.speed + '×');
        refresh();
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });

  // ---- other controls

  $('view-as').addEventListener('change', function (e) {
    go({ as: e.target.value }, false);
  });

  $('faults').addEventListener('change', function (e) {
    var preset = FAULT_PRESETS[e.target.value];
    if (!preset) return;
    api('POST', '/__playground/faults', preset)
      .then(function () {
        toast(e.target.value === 'off' ? 'Org API faults off' : 'Org API faults on: ' + e.target.options[e.target.selectedIndex].text);
        refresh();
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });

  // One health fault at a time: everything is mended first, then the chosen check is broken.
  $('health-fault').addEventListener('change', function (e) {
    var value = e.target.value;
    var label = e.target.options[e.target.selectedIndex].text;
    var health = null;
    if (value !== 'off') {
      health = {};
      health[value.split(':')[0]] = value.split(':')[1];
    }
    api('POST', '/__playground/faults', { health: 'off' })
      .then(function () {
        return health ? api('POST', '/__playground/faults', { health: health }) : null;
      })
      .then(function () {
        toast(health ? 'Broken: ' + label + ". Run the checks on the admin page's Health tab." : 'Health faults mended');
        refresh();
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });

  $('sweep-now').addEventListener('click', function () {
    api('POST', '/__playground/sweep', {})
      .then(function () {
        toast('Sweep done');
        refresh();
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });

  $('reset').addEventListener('click', function () {
    if (!window.confirm('Reset the playground? Every issue, grant, audit record and org change is wiped, and the demo data comes back.')) return;
    api('POST', '/__playground/reset', {})
      .then(function () {
        location.href = '?as=' + encodeURIComponent(state.as);
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });

  $('new-issue-toggle').addEventListener('click', function () {
    var form = $('new-issue-form');
    form.hidden = !form.hidden;
    $('new-issue-toggle').setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) {
      $('new-reporter').value = state.as;
      $('new-summary').focus();
    }
  });
  $('new-issue-cancel').addEventListener('click', function () {
    $('new-issue-form').hidden = true;
    $('new-issue-toggle').setAttribute('aria-expanded', 'false');
    $('new-issue-toggle').focus();
  });
  $('new-issue-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var summary = $('new-summary').value.trim();
    if (!summary) {
      toast('A summary is required', true);
      $('new-summary').focus();
      return;
    }
    api('POST', '/__playground/issues', { summary: summary, reporter: $('new-reporter').value, description: $('new-description').value || undefined })
      .then(function (r) {
        $('new-summary').value = '';
        $('new-description').value = '';
        $('new-issue-form').hidden = true;
        $('new-issue-toggle').setAttribute('aria-expanded', 'false');
        toast('Created ' + r.key);
        go({ view: 'issue', issue: r.key }, true);
        $('main').focus();
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });

  $('transition-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var event = $('transition-select').value;
    if (!event || !state.issue) return;
    api('POST', '/__playground/transition', { as: state.as, issueKey: state.issue, event: event })
      .then(function (r) {
        toast(state.issue + ' → ' + r.issue.status);
        return refresh().then(function () {
          loadFrames(true);
        });
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });

  function drift(revoke) {
    api('POST', '/__playground/faults', { drift: { accountId: $('drift-person').value, target: $('drift-target').value, revoke: revoke } })
      .then(function () {
        toast(revoke ? 'Removed behind the app’s back' : 'Granted behind the app’s back: the next sweep reports it');
        refresh();
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  }
  $('drift-form').addEventListener('submit', function (e) {
    e.preventDefault();
    drift(false);
  });
  $('drift-revoke').addEventListener('click', function () {
    drift(true);
  });

  // ---- start

  renderView();
  refresh().then(function () {
    loadFrames();
  });
  setInterval(function () {
    if (document.visibilityState === 'visible') refresh();
  }, POLL_MS);
})();
