/*
 * The playground's renderers: the issue list, the issue page (status, grant, comments, transitions, panel
 * freshness) and the org view (who holds each target, and why). Loaded before playground.js, which hands them its
 * helpers through `window.__playgroundRenderers(helpers)`.
 */
window.__playgroundRenderers = function (h) {
  'use strict';

  var $ = h.$;
  var STATUS_TONE = h.STATUS_TONE;
  var changed = h.changed;
  var esc = h.esc;
  var fmt = h.fmt;
  var personName = h.personName;
  var state = h.state;

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

  return { renderIssueList: renderIssueList, renderIssue: renderIssue, renderOrg: renderOrg };
};
