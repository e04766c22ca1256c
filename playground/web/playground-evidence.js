/*
 * The evidence pack in the playground page: the issue's attachments (the packs' CSV and JSON), "Act in the org as …"
 * (an org action by the viewer, recorded in the org's audit log) and the Atlassian Guard switch. Loaded after
 * playground.js, whose state and helpers it uses (window.__playground); it hooks in through `pg.onRender`.
 */
(function () {
  'use strict';
  var pg = window.__playground;
  var $ = pg.$;
  var state = pg.state;
  var api = pg.api;
  var toast = pg.toast;
  var fmt = pg.fmt;
  var esc = pg.esc;
  var lastFiles = null;

  function renderAttachments(issue) {
    var files = (issue && issue.attachments) || [];
    var key = JSON.stringify(files);
    if (key === lastFiles) return;
    lastFiles = key;
    $('attachments').innerHTML = files.length
      ? files
          .map(function (a) {
            return (
              '<li data-testid="attachment"><a href="' + esc(a.url) + '" target="_blank" rel="noopener">' + esc(a.filename) + '</a> ' +
              '<span class="subtle small">' + esc(a.mimeType) + ' · ' + esc(a.size) + ' bytes · ' + esc(fmt(a.created, true)) + '</span></li>'
            );
          })
          .join('')
      : '<li class="subtle">No attachments.</li>';
  }

  pg.onRender(function (data) {
    $('org-act-as').textContent = state.as;
    if (data.auditLog) $('audit-log-available').checked = !!data.auditLog.available;
    if (state.view === 'issue') renderAttachments(data.issue);
    var subject = $('org-action-subject');
    if (!subject.options.length && data.people) {
      subject.innerHTML = data.people
        .map(function (p) {
          return '<option value="' + esc(p.accountId) + '">' + esc(p.accountId) + ' — ' + esc(p.name) + '</option>';
        })
        .join('');
      subject.value = 'erin';
    }
  });

  $('org-action-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var action = $('org-action').value;
    var subject = action === 'addOrgAdmin' || action === 'deleteUser' ? $('org-action-subject').value : undefined;
    api('POST', '/__playground/org-action', { as: state.as, action: action, subject: subject })
      .then(function (r) {
        toast(state.as + ': ' + r.event.action + ' (recorded in the org audit log)');
        return pg.refresh();
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });
  $('audit-log-available').addEventListener('change', function (e) {
    api('POST', '/__playground/audit-log', { available: e.target.checked })
      .then(function (r) {
        toast(r.available ? 'The org audit log can be read (Atlassian Guard)' : 'The org audit log cannot be read (no Atlassian Guard)');
      })
      .catch(function (err) {
        toast(err.message, true);
      });
  });
})();
