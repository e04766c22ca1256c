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

  function render(data) {
    if (!state.peopleRendered) renderPeople(data);
    if (state.view === 'issue' && !state.issue && data.issues.length) {
      go({ issue: data.issues[0].key }, false);
      return;
    }
    renderSpeed(data.speed);
    renderFaults(data.faults);
    if (changed('issues', [data.issues, state.issue])) renderIssueList(data.issues);
    if (state.view === 'issue' && state.issue) renderIssue(data.issue);
    if (changed('org', data.org)) renderOrg(data.org);
    $('org-api-url').textContent = location.origin + '/admin/v1/orgs';
    $('org-api-key').textContent = data.apiKey;

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

  var STATUS_TONE = { new: 'lozenge-new', indeterminate: 'lozenge-indeterminate', done: 'lozenge-done' };
  function grantTone(g) {
    if (!g) return '';
    if (g.status === 'requested') return 'lozenge-discovery';
    if (g.status === 'approved') return 'lozenge-info';
    if (g.status === 'active') return 'lozenge-success';
    if (g.outcome === 'failed' || g.outcome === 'revoked') return 'lozenge-danger';
    return '';
  }
  function grantWord(g) {
    return g ? (g.status === 'ended' ? g.outcome || 'ended' : g.status) : '';
  }

  function renderIssueList(issues) {
    $('issue-list').innerHTML = issues.length
      ? issues
          .map(function (i) {
            var current = i.key === state.issue && state.view === 'issue';
            var g = i.grant;
            return (
              '<li><a href="?as=' + esc(encodeURIComponent(state.as)) + '&issue=' + esc(i.key) + '" data-issue="' + esc(i.key) + '" data-testid="issue-link-' + esc(i.key) + '"' +
              (current ? ' aria-current="page"' : '') + '>' +
              '<span class="issue-line"><span><span class="issue-key">' + esc(i.key) + '</span></span>' +
              (g ? '<span class="lozenge ' + grantTone(g) + '">' + esc(grantWord(g)) + '</span>' : '<span class="lozenge">no request</span>') +
              '</span><span class="issue-title">' + esc(i.summary) + '</span></a></li>'
            );
          })
          .join('')
      : '<li class="subtle">No issues yet.</li>';
  }

  function renderIssue(issue) {
    if (!issue) {
      if (changed('issue', null)) {
        $('issue-summary').textContent = 'Issue ' + state.issue + ' does not exist';
        $('issue-description').textContent = 'Pick another issue on the left, or reset the playground.';
        $('comments').innerHTML = '';
        $('issue-details').innerHTML = '';
      }
      return;
    }
    $('portal-link').href = '/portal?as=' + encodeURIComponent(state.as) + '&issue=' + encodeURIComponent(issue.key);
    if (changed('issue-head', [issue.key, issue.summary, issue.description])) {
      $('crumb-key').textContent = issue.key;
      $('issue-summary').textContent = issue.summary;
      $('issue-description').innerHTML = issue.description ? esc(issue.description) : '<span class="subtle">No description.</span>';
    }
    if (changed('issue-status', [issue.status, issue.statusCategory, issue.transitions, state.as])) {
      var s = $('issue-status');
      s.textContent = issue.status;
      s.className = 'lozenge ' + (STATUS_TONE[issue.statusCategory] || '');
      var sel = $('transition-select');
      sel.innerHTML = issue.transitions.length
        ? issue.transitions
            .map(function (t) {
              return '<option value="' + esc(t.event) + '">' + esc(t.name) + '</option>';
            })
            .join('')
        : '<option value="">No transitions</option>';
      sel.disabled = !issue.transitions.length;
    }
    if (changed('issue-details', [issue.reporter, issue.created, issue.grant])) {
      var g = issue.grant;
      var rows = [
        ['Reporter', issue.reporter ? esc(personName(issue.reporter)) + ' <code>' + esc(issue.reporter) + '</code>' : 'none'],
        ['Created', esc(fmt(issue.created, true))],
      ];
      if (g) {
        rows.push(['Grant', '<span class="lozenge ' + grantTone(g) + '" data-testid="issue-grant-status">' + esc(grantWord(g)) + '</span>']);
        rows.push(['Target', esc(g.targetLabel || g.target)]);
        rows.push(['For', '<code>' + esc(g.subject) + '</code>']);
        rows.push(['Access', '<span data-testid="issue-grant-access">' + esc(g.access) + '</span>']);
        if (g.windowEnd) rows.push(['Window', esc(fmt(g.windowStart, true)) + ' → ' + esc(fmt(g.windowEnd, true))]);
        if (g.approvers && g.approvers.length) rows.push(['Approvers', esc(g.approvers.join(', '))]);
        if (g.extensions) rows.push(['Extensions', esc(g.extensions)]);
        rows.push(['Property', '<code>jit-admin-grant</code> v' + esc(g.version)]);
      } else {
        rows.push(['Grant', '<span class="subtle">none requested yet</span>']);
      }
      $('issue-details').innerHTML = rows
        .map(function (r) {
          return '<dt>' + r[0] + '</dt><dd>' + r[1] + '</dd>';
        })
        .join('');
    }
    if (changed('comments', issue.comments)) {
      $('comments').innerHTML = issue.comments.length
        ? issue.comments
            .map(function (c) {
              var app = c.author === '557058:jit-admin-app';
              var name = personName(c.author);
              return (
                '<li class="comment" data-testid="comment"><span class="avatar' + (app ? ' avatar-app' : '') + '" aria-hidden="true">' + esc(app ? 'JIT' : name.slice(0, 1)) + '</span>' +
                '<div><div class="comment-head">' + esc(name) + '<time datetime="' + esc(c.created) + '">' + esc(fmt(c.created, true)) + '</time></div>' +
                // The emulator renders the ADF (escaped text, mentions only from mention nodes).
                '<div class="comment-body comment-adf">' + (typeof c.html === 'string' ? c.html : esc(c.text)) + '</div></div></li>'
              );
            })
            .join('')
        : '<li class="subtle">No comments yet.</li>';
    }
  }

  /** The core's reason a holder holds a target (`explainHolders`), as a badge; the core decides, this only names it. */
  function reasonBadge(reason) {
    switch (reason && reason.type) {
      case 'grant':
        return '<span class="lozenge lozenge-success">JIT · ' + esc(reason.issueKey) + (reason.until ? ' until ' + esc(fmt(reason.until, true)) : '') + '</span>';
      case 'permanent':
        return '<span class="lozenge">permanent</span>';
      case 'standing':
        return '<span class="lozenge">standing (policy)</span>';
      case 'grace':
        return '<span class="lozenge lozenge-warning">grace' + (reason.until ? ' until ' + esc(fmt(reason.until, true)) : '') + '</span>';
      case 'endedStillHeld':
        return '<span class="lozenge lozenge-danger" title="Its grant ended; the sweep removes it">still held after ' + esc(reason.grantId) + '</span>';
      case 'viaGroup':
        return '<span class="lozenge lozenge-danger" title="Given by a group\'s role, outside JIT Admin">via group ' + esc(reason.groupName || reason.groupId) + '</span>';
      case 'drift':
        return '<span class="lozenge lozenge-danger" title="Not a permanent admin, and no grant explains it">drift</span>';
      default:
        return '<span class="lozenge" title="No policy yet, or the core gave no reason">not explained</span>';
    }
  }

  function renderOrg(org) {
    var html = org.targets
      .map(function (t) {
        var items = t.holders.length
          ? t.holders
              .map(function (h) {
                var badge = reasonBadge(h.reason);
                return (
                  '<li data-testid="org-holder-' + esc(t.key) + '-' + esc(h.accountId) + '"><span class="who">' + esc(h.name) + '</span> <code>' + esc(h.accountId) + '</code> ' + badge +
                  (h.method === 'group' && t.access.type === 'orgRole' ? ' <span class="subtle small">via group</span>' : '') + '</li>'
                );
              })
              .join('')
          : '<li class="none">nobody</li>';
        return (
          '<section class="org-target" data-testid="org-target-' + esc(t.key) + '" aria-label="' + esc(t.label) + '">' +
          '<h3>' + esc(t.label) + ' <span class="lozenge">' + t.holders.length + '</span>' +
          (t.externallySynced ? ' <span class="lozenge lozenge-warning">SCIM-synced</span>' : '') + '</h3>' +
          '<ul>' + items + '</ul></section>'
        );
      })
      .join('');
    var targetGroups = org.targets
      .map(function (t) {
        return t.access.groupId;
      })
      .filter(Boolean);
    var others = org.groups.filter(function (g) {
      return targetGroups.indexOf(g.groupId) < 0;
    });
    if (others.length) {
      html +=
        '<section class="org-target" aria-label="Other groups"><h3>Other groups</h3><ul>' +
        others
          .map(function (g) {
            return (
              '<li><code>' + esc(g.name) + '</code>' + (g.externalSynced ? ' <span class="lozenge lozenge-warning">SCIM-synced</span>' : '') +
              ' <span class="subtle small">' + (g.members.length ? esc(g.members.join(', ')) : 'no members') + '</span></li>'
            );
          })
          .join('') +
        '</ul></section>';
    }
    if (org.pendingWrites) html += '<p class="subtle small">' + org.pendingWrites + ' write(s) not yet visible to reads (eventual consistency).</p>';
    $('org-targets').innerHTML = html;
  }

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
