/*
 * The playground's customer-portal request page: the request's summary, status and public activity (its
 * comments, where the app's notices appear with their mentions), and below them the REAL portal module
 * (forge-app/ui/dist/portal/ in an iframe with the bridge shim, module=portal), exactly as Jira Service
 * Management shows a jiraServiceManagement:portalRequestDetail module. Plain JavaScript, no build step.
 *
 * URL: /portal?as=<accountId>&issue=<key>
 */
(function () {
  'use strict';

  var $ = function (id) {
    return document.getElementById(id);
  };
  var params = new URLSearchParams(location.search);
  var as = params.get('as') || 'alice';
  var issue = (params.get('issue') || '').toUpperCase();
  var lastComments = '';

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function frameSrc() {
    var p = new URLSearchParams();
    p.set('as', as);
    p.set('module', 'portal');
    p.set('issueKey', issue);
    return '/__playground/ui/portal/index.html?' + p.toString();
  }

  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || d.type !== 'forge-playground:resize' || typeof d.height !== 'number') return;
    if ($('portal-frame').contentWindow === e.source) $('portal-frame').style.height = Math.max(d.height, 200) + 'px';
  });

  $('portal-as').addEventListener('change', function () {
    location.search = '?as=' + encodeURIComponent($('portal-as').value) + '&issue=' + encodeURIComponent(issue);
  });

  function render(data) {
    var people = data.people || [];
    if (!$('portal-as').options.length) {
      $('portal-as').innerHTML = people
        .map(function (p) {
          return '<option value="' + esc(p.accountId) + '"' + (p.accountId === as ? ' selected' : '') + '>' + esc(p.name) + ' (' + esc(p.accountId) + ')</option>';
        })
        .join('');
    }
    $('portal-back').href = '/?as=' + encodeURIComponent(as) + '&issue=' + encodeURIComponent(issue);
    $('portal-now').textContent = data.now || '';
    var it = data.issue;
    if (!it) {
      $('portal-summary').textContent = 'No request ' + issue;
      return;
    }
    $('portal-request-key').textContent = it.key;
    $('portal-summary').textContent = it.summary;
    $('portal-status').textContent = it.status;
    var comments = JSON.stringify(it.comments.map(function (c) {
      return c.id;
    }));
    if (comments !== lastComments) {
      lastComments = comments;
      $('portal-activity').innerHTML = it.comments.length
        ? it.comments
            .map(function (c) {
              // The emulator's HTML of the ADF: text escaped, mentions only from mention nodes.
              return '<li class="comment" data-testid="portal-comment"><div class="comment-body comment-adf">' + (typeof c.html === 'string' ? c.html : esc(c.text)) + '</div></li>';
            })
            .join('')
        : '<li class="subtle">No activity yet.</li>';
    }
  }

  function poll() {
    fetch('/__playground/ui-state?issue=' + encodeURIComponent(issue))
      .then(function (r) {
        return r.json();
      })
      .then(render)
      .catch(function () {
        /* the next poll tries again */
      });
  }

  $('portal-frame').src = frameSrc();
  poll();
  setInterval(poll, 1000);
})();
