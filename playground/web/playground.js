/*
 * The playground's host page: a Jira-like issue page and admin page around the REAL Custom UI iframes
 * (/__playground/ui/{panel,admin}/, with the bridge shim injected), plus view-as, the emulated clock, the org
 * view and a few knobs. Plain JavaScript, no build step. Everything it shows comes from
 * GET /__playground/ui-state, polled every second; everything it changes goes through the scripting endpoints.
 *
 * URL: ?as=<accountId>&issue=<key>  (issue page)   ?as=<accountId>&view=admin  (admin page)
 */
(function () {
  'use strict';

  var POLL_MS = 1000;
  var FAULT_PRESETS = {
    off: { off: true },
    flaky: { rate: 0.2, kinds: ['429', '503'] },
    bad: { rate: 0.5, kinds: ['429', '500', '503'] },
    drops: { rate: 0.2, kinds: ['drop'] },
  };

  var $ = function (id) {
    return document.getElementById(id);
  };
  var params = new URLSearchParams(location.search);
  var state = {
    as: params.get('as') || safeStorage('get', 'pg.as') || 'alice',
    issue: params.get('issue') ? params.get('issue').toUpperCase() : null,
    view: params.get('view') === 'admin' ? 'admin' : 'issue',
    data: null,
    receivedAt: 0,
    rendered: {},
    peopleRendered: false,
    panelReloadedAt: 0,
  };

  function safeStorage(op, key, value) {
    try {
      return op === 'get' ? localStorage.getItem(key) : localStorage.setItem(key, value);
    } catch (e) {
      return null;
    }
  }

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  var dateFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  var shortFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  function fmt(value, short) {
    if (value == null || value === '') return '';
    var d = new Date(value);
    return isNaN(d.getTime()) ? String(value) : (short ? shortFmt : dateFmt).format(d);
  }

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch (e) {
          /* not JSON */
        }
        if (!r.ok) throw new Error((json && json.error && json.error.message) || text || 'HTTP ' + r.status);
        return json;
      });
    });
  }

  var toastTimer = 0;
  function toast(message, isError) {
    var t = $('toast');
    t.textContent = message;
    t.className = 'toast show' + (isError ? ' error' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      t.className = 'toast';
    }, isError ? 6000 : 2500);
  }

  function personName(id) {
    var people = (state.data && state.data.people) || [];
    for (var i = 0; i < people.length; i++) if (people[i].accountId === id) return people[i].name;
    return id === '557058:jit-admin-app' ? 'JIT Admin (app)' : id;
  }

  // ---- navigation

  function url() {
    var p = new URLSearchParams();
    p.set('as', state.as);
    if (state.view === 'admin') p.set('view', 'admin');
    else if (state.issue) p.set('issue', state.issue);
    return '?' + p.toString();
  }

  function go(changes, push) {
    for (var k in changes) state[k] = changes[k];
    safeStorage('set', 'pg.as', state.as);
    history[push ? 'pushState' : 'replaceState'](null, '', url());
    state.rendered = {};
    renderView();
    loadFrames();
    refresh();
  }

  window.addEventListener('popstate', function () {
    var p = new URLSearchParams(location.search);
    state.as = p.get('as') || state.as;
    state.issue = p.get('issue') ? p.get('issue').toUpperCase() : null;
    state.view = p.get('view') === 'admin' ? 'admin' : 'issue';
    state.rendered = {};
    renderView();
    loadFrames();
    refresh();
  });

  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[data-issue], a[data-nav]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    if (a.dataset.issue) go({ view: 'issue', issue: a.dataset.issue }, true);
    else go({ view: a.dataset.nav }, true);
    $('main').focus();
  });

  function renderView() {
    var issueView = state.view === 'issue' && state.issue;
    $('issue-view').hidden = !issueView;
    $('admin-view').hidden = state.view !== 'admin';
    $('empty-view').hidden = !(state.view === 'issue' && !state.issue);
    $('nav-issues').setAttribute('aria-current', state.view === 'issue' ? 'page' : 'false');
    $('nav-admin').setAttribute('aria-current', state.view === 'admin' ? 'page' : 'false');
    $('nav-issues').href = '?as=' + encodeURIComponent(state.as) + (state.issue ? '&issue=' + encodeURIComponent(state.issue) : '');
    $('nav-admin').href = '?as=' + encodeURIComponent(state.as) + '&view=admin';
    if ($('view-as').value !== state.as) $('view-as').value = state.as;
    $('transition-as').textContent = '(as ' + state.as + ')';
    document.title = (state.view === 'admin' ? 'JIT Admin' : state.issue || 'Issues') + ' · JIT Admin playground';
  }

  // ---- the Custom UI iframes

  function frameSrc(module) {
    var p = new URLSearchParams();
    p.set('as', state.as);
    p.set('module', module);
    if (module === 'panel') {
      p.set('issueKey', state.issue || '');
    }
    return '/__playground/ui/' + module + '/index.html?' + p.toString();
  }

  function setFrame(frame, src, force) {
    if (frame.dataset.src === src && !force) return;
    frame.dataset.src = src;
    if (frame.getAttribute('src') === src && frame.contentWindow) frame.contentWindow.location.reload();
    else frame.src = src;
  }

  function loadFrames(force) {
    if (state.view === 'issue' && state.issue) {
      state.panelReloadedAt = performance.now();
      setFrame($('panel-frame'), frameSrc('panel'), force);
    }
    if (state.view === 'admin') setFrame($('admin-frame'), frameSrc('admin'), force);
  }

  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || d.type !== 'forge-playground:resize' || typeof d.height !== 'number') return;
    var frames = [$('panel-frame'), $('admin-frame')];
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === e.source) frames[i].style.height = Math.max(d.height, i === 0 ? 160 : 640) + 'px';
    }
  });

  $('panel-reload').addEventListener('click', function () {
    loadFrames(true);
  });
  $('admin-reload').addEventListener('click', function () {
    loadFrames(true);
  });

  // ---- polling

  var inFlight = false;
  function refresh() {
    if (inFlight) return Promise.resolve();
    inFlight = true;
    var q = state.view === 'issue' && state.issue ? '?issue=' + encodeURIComponent(state.issue) : '';
    return api('GET', '/__playground/ui-state' + q)
      .then(function (data) {
        state.data = data;
        state.receivedAt = performance.now();
        render(data);
      })
      .catch(function (e) {
        $('clock-now').textContent = 'playground not reachable (' + e.message + ')';
      })
      .then(function () {
        inFlight = false;
      });
  }

  /** Replaces a region's HTML only when its data changed, so focus and selections survive the polling. */
  function changed(key, value) {
    var text = JSON.stringify(value);
    if (state.rendered[key] === text) return false;
    state.rendered[key] = text;
    return true;
  }

  /** Renderers other scripts add (playground-evidence.js), run after the page's own on every refresh. */
  var renderHooks = [];

  function render(data) {
    if (!state.peopleRendered) renderPeople(data);
    if (state.view === 'issue' && !state.issue && data.issues.length) {
      go({ issue: data.issues[0].key }, false);
      return;
    }
    renderSpeed(data.speed);
    renderFaults(data.faults);
    renderHealthFault(data.health);
    if (changed('issues', [data.issues, state.issue])) renderIssueList(data.issues);
    if (state.view === 'issue' && state.issue) renderIssue(data.issue);
    if (changed('org', data.org)) renderOrg(data.org);
    $('org-api-url').textContent = location.origin + '/admin/v1/orgs';
    $('org-api-key').textContent = data.apiKey;
    renderHooks.forEach(function (hook) {
      hook(data);
    });

    // The panel cannot know about changes made elsewhere (another viewer, the workflow, the queue, the clock):
    // reload it when the grant moved past the version the panel last saw, and nobody is using it right now.
    var panel = data.issue && data.issue.panel;
    if (panel && panel.stale && performance.now() - state.panelReloadedAt > 3000 && !typingInPanel()) loadFrames(true);
  }

  function typingInPanel() {
    try {
      var el = $('panel-frame').contentDocument.activeElement;
      return !!el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
    } catch (e) {
      return false;
    }
  }

  function renderPeople(data) {
    state.peopleRendered = true;
    var options = data.people
      .map(function (p) {
        return '<option value="' + esc(p.accountId) + '">' + esc(p.accountId) + ' — ' + esc(p.name) + ' (' + esc(p.role) + ')</option>';
      })
      .join('');
    $('view-as').innerHTML = options;
    $('view-as').value = state.as;
    $('new-reporter').innerHTML = options;
    $('drift-person').innerHTML = options;
    $('drift-person').value = 'mallory';
    $('drift-target').innerHTML = data.targets
      .map(function (t) {
        return '<option value="' + esc(t.key) + '">' + esc(t.label) + '</option>';
      })
      .join('');
  }

  function renderSpeed(speed) {
    var buttons = $('speed-buttons').querySelectorAll('button');
    for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute('aria-pressed', Number(buttons[i].dataset.speed) === speed ? 'true' : 'false');
  }

  function renderFaults(f) {
    var select = $('faults');
    if (document.activeElement === select) return;
    var value = 'custom';
    if (!f || !f.rate) value = 'off';
    else
      for (var k in FAULT_PRESETS) {
        var p = FAULT_PRESETS[k];
        if (p.rate === f.rate && p.kinds.join() === f.kinds.join()) value = k;
      }
    if (value === 'custom' && !select.querySelector('option[value=custom]')) {
      var o = document.createElement('option');
      o.value = 'custom';
      o.textContent = 'Custom: ' + Math.round(f.rate * 100) + '% ' + f.kinds.join(' / ');
      select.appendChild(o);
    }
    select.value = value;
  }

  function renderHealthFault(h) {
    var select = $('health-fault');
    if (!h || document.activeElement === select) return;
    var broken = [];
    if (h.key !== 'ok') broken.push('key:' + h.key);
    if (h.orgId !== 'ok') broken.push('orgId:' + h.orgId);
    if (h.group !== 'ok') broken.push('group:' + h.group);
    if (h.permanentAdmin !== 'ok') broken.push('permanentAdmin:' + h.permanentAdmin);
    if (h.sweep !== 'running') broken.push('sweep:' + h.sweep);
    select.value = broken.length === 1 ? broken[0] : broken.length === 0 ? 'off' : select.value;
  }

  var STATUS_TONE = { new: 'lozenge-new', indeterminate: 'lozenge-indeterminate', done: 'lozenge-done' };
  // The issue list, the issue page and the org view (playground-render.js, loaded first).
  var renderers = window.__playgroundRenderers({ $: $, STATUS_TONE: STATUS_TONE, changed: changed, esc: esc, fmt: fmt, personName: personName, state: state });
  var renderIssueList = renderers.renderIssueList;
  var renderIssue = renderers.renderIssue;
  var renderOrg = renderers.renderOrg;

  // The controls (playground-controls.js, loaded next) share these.
  window.__playground = {
    $: $,
    state: state,
    api: api,
    toast: toast,
    fmt: fmt,
    go: go,
    renderView: renderView,
    loadFrames: loadFrames,
    refresh: refresh,
    POLL_MS: POLL_MS,
    FAULT_PRESETS: FAULT_PRESETS,
    esc: esc,
    onRender: function (hook) {
      renderHooks.push(hook);
    },
  };
})();
