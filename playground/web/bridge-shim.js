/*
 * The playground's stand-in for the Forge host bridge. Plain JavaScript, no build step: the playground injects
 *   <script src="/__playground/bridge-shim.js"></script>
 * into the built Custom UI's index.html BEFORE the bundle's <script src="main.js">, so the unmodified bundle
 * (forge-app/ui/dist/panel/, dist/admin/) runs in an iframe exactly as it does inside Jira.
 *
 * What @forge/bridge 7.2.0 needs from the host (read in node_modules/@forge/bridge/out/):
 * - bridge.js, getCallBridge(): the ONLY host surface is the global `globalThis.__bridge.callBridge`. It throws
 *   BridgeAPIError unless `globalThis.__bridge.callBridge` is truthy, and invoke/index.js, view/*.js and
 *   events/events.js each call getCallBridge() AT MODULE LOAD (`const callBridge = getCallBridge()`), so this
 *   global must exist before the bundle's first line runs. There is no postMessage inside @forge/bridge itself:
 *   in Jira the host page injects `__bridge` into the iframe.
 * - `callBridge(name: string, payload?: unknown): Promise<unknown>`; the names this app's bundle reaches:
 *   - invoke/invoke.js, _invoke(): callBridge('invoke', {functionKey, payload, metadata}); resolves with the
 *     resolver's return value as is (with `metadata` set it would be {body, metadata}; the app never sets it),
 *     rejects when the resolver fails.
 *   - view/getContext.js, getContext(): callBridge('getContext'); resolves with the FullContext (types.d.ts:
 *     accountId, cloudId, siteUrl, moduleKey, localId, environmentId, environmentType, extension, locale,
 *     timezone, theme, ...). The bridge then normalises `locale` with @forge/i18n ensureLocale().
 *   - view/theme.js, theme.enable(): callBridge('enableTheming'); resolves with nothing. In Jira the host then
 *     applies the design tokens (the --ds-* CSS variables, light or dark) to the iframe's <html>.
 *   - view/refresh.js, refresh(payload): callBridge('refresh', payload); `false` means "not refreshable".
 *   - events/events.js: callBridge('emit', {event, payload}), callBridge('on', {event, callback}) →
 *     Promise<{unsubscribe()}> (also 'emitPublic' / 'onPublic').
 *   Not reachable here (no router, modal, fetch, flags): 'navigate', 'open', 'openModal', 'fetchProduct',
 *   'showFlag', 'createHistory', 'submit', 'close', 'changeWindowTitle', ... reject with a clear message.
 *
 * What this shim does for each:
 * - invoke → POST /__playground/bridge/invoke, JSON body
 *     {functionKey, payload, context}
 *   where `context` is what the real platform would give the resolver about the caller:
 *     {accountId, cloudId, siteUrl, moduleKey, module, issueKey, extension, timezone, locale}
 *   (`accountId` = the `as` query parameter: "view as"). The endpoint answers 200 with the resolver's JSON result,
 *   which is returned VERBATIM; any other status rejects the call (like a resolver that threw in Forge), with the
 *   body's `message` (or `error.message`, or the text) as the error message.
 * - getContext → a Forge-like context built from the iframe URL's query:
 *     as (account id), issueKey, module (panel | admin | portal), and optionally tz, locale, theme (light | dark),
 *     cloudId, siteUrl, issueId.
 * - enableTheming → sets <html data-color-mode data-theme> and, for theme=dark, a small dark token palette, so
 *   the UI's var(--ds-*, fallback) styles can be seen in dark mode.
 * - refresh → reloads the iframe.
 * - emit/on/emitPublic/onPublic → a local event bus; emits are also posted to the parent as
 *   {type: 'forge-playground:event', event, payload}, and the parent may post the same shape back to deliver one.
 * - The iframe's content height is posted to the parent as {type: 'forge-playground:resize', height}
 *   (Jira sizes its Custom UI iframes to their content; the playground page may do the same).
 */
(function () {
  'use strict';

  var query = new URLSearchParams(window.location.search);
  var module = query.get('module') === 'admin' ? 'admin' : query.get('module') === 'portal' ? 'portal' : 'panel';
  var accountId = query.get('as') || undefined;
  var issueKey = query.get('issueKey') || undefined;
  var theme = query.get('theme') === 'dark' ? 'dark' : 'light';
  var browserZone = 'UTC';
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch (e) {
    /* keep UTC */
  }

  var extension =
    module === 'admin'
      ? { type: 'jira:adminPage' }
      : module === 'portal'
      ? // The service-management portal's request page names the request by key, never the issue id.
        { type: 'jiraServiceManagement:portalRequestDetail', page: 'view_request', portal: { id: 1 }, request: { key: issueKey, typeId: '1' } }
      : {
          type: 'jira:issuePanel',
          issue: { key: issueKey, id: query.get('issueId') || undefined },
          project: issueKey ? { key: issueKey.split('-')[0] } : undefined,
        };

  var context = {
    accountId: accountId,
    cloudId: query.get('cloudId') || 'playground-cloud',
    siteUrl: query.get('siteUrl') || window.location.origin,
    moduleKey: module === 'admin' ? 'jit-admin-admin' : module === 'portal' ? 'jit-admin-portal' : 'jit-admin-panel',
    localId: 'playground-' + module,
    environmentId: 'playground',
    environmentType: 'DEVELOPMENT',
    extension: extension,
    timezone: query.get('tz') || browserZone,
    locale: query.get('locale') || navigator.language || 'en-US',
    theme: { colorMode: theme },
  };

  /* What the resolver is told about the caller (sent with every invoke). */
  var callerContext = {
    accountId: context.accountId,
    cloudId: context.cloudId,
    siteUrl: context.siteUrl,
    moduleKey: context.moduleKey,
    module: module,
    issueKey: issueKey,
    extension: extension,
    timezone: context.timezone,
    locale: context.locale,
  };

  function invoke(request) {
    request = request || {};
    return fetch('/__playground/bridge/invoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ functionKey: request.functionKey, payload: request.payload || {}, context: callerContext }),
    }).then(function (response) {
      return response.text().then(function (text) {
        if (response.ok) return text ? JSON.parse(text) : undefined;
        var message = text;
        try {
          var body = JSON.parse(text);
          message = body.message || (body.error && body.error.message) || text;
        } catch (e) {
          /* not JSON: keep the text */
        }
        throw new Error('invoke ' + request.functionKey + ' failed (HTTP ' + response.status + '): ' + message);
      });
    });
  }

  /* A handful of dark-mode token values (Atlassian's dark theme), enough for this app's styles. */
  var DARK_TOKENS = {
    '--ds-text': '#B6C2CF',
    '--ds-text-subtle': '#9FADBC',
    '--ds-text-subtlest': '#8C9BAB',
    '--ds-text-inverse': '#1D2125',
    '--ds-link': '#579DFF',
    '--ds-surface': '#1D2125',
    '--ds-surface-sunken': '#161A1D',
    '--ds-surface-raised': '#22272B',
    '--ds-surface-overlay': '#282E33',
    '--ds-shadow-overlay': '0 0 0 1px #BCD6F00A, 0 8px 12px #0304045C, 0 0 1px 1px #03040480',
    '--ds-border': '#A6C5E229',
    '--ds-border-input': '#738496',
    '--ds-border-focused': '#85B8FF',
    '--ds-background-input': '#22272B',
    '--ds-background-input-hovered': '#282E33',
    '--ds-background-neutral': '#A1BDD914',
    '--ds-background-neutral-hovered': '#A6C5E229',
    '--ds-background-brand-bold': '#579DFF',
    '--ds-background-brand-bold-hovered': '#85B8FF',
    '--ds-background-danger-bold': '#F87168',
    '--ds-background-danger-bold-hovered': '#FD9891',
    '--ds-background-success-bold': '#4BCE97',
    '--ds-background-warning-bold': '#F5CD47',
    '--ds-background-information-bold': '#579DFF',
    '--ds-background-selected': '#1C2B41',
    '--ds-text-selected': '#579DFF',
    '--ds-border-selected': '#579DFF',
    '--ds-background-information': '#1C2B41',
    '--ds-text-information': '#85B8FF',
    '--ds-background-success': '#1C3329',
    '--ds-text-success': '#7EE2B8',
    '--ds-background-warning': '#332E1B',
    '--ds-text-warning': '#F5CD47',
    '--ds-background-danger': '#42221F',
    '--ds-text-danger': '#FD9891',
    '--ds-background-discovery': '#2B273F',
    '--ds-text-discovery': '#B8ACF6',
    '--ds-border-danger': '#E2483D',
    '--ds-border-warning': '#E56910',
    '--ds-border-information': '#1D7AFC',
    '--ds-border-success': '#2ABB7F',
    '--ds-icon-information': '#579DFF',
  };

  function enableTheming() {
    var html = document.documentElement;
    html.setAttribute('data-color-mode', theme);
    html.setAttribute('data-theme', 'dark:dark light:light');
    if (theme === 'dark' && !document.getElementById('forge-playground-tokens')) {
      var css = ':root{';
      for (var name in DARK_TOKENS) css += name + ':' + DARK_TOKENS[name] + ';';
      css += 'color-scheme:dark}';
      var style = document.createElement('style');
      style.id = 'forge-playground-tokens';
      style.textContent = css;
      (document.head || html).appendChild(style);
    }
    return undefined;
  }

  var listeners = {};
  function subscribe(request) {
    var event = request && request.event;
    var callback = request && request.callback;
    (listeners[event] = listeners[event] || []).push(callback);
    return {
      unsubscribe: function () {
        listeners[event] = (listeners[event] || []).filter(function (cb) {
          return cb !== callback;
        });
      },
    };
  }
  function deliver(event, payload) {
    (listeners[event] || []).slice().forEach(function (cb) {
      try {
        cb(payload);
      } catch (e) {
        console.error('[forge-playground] event listener failed', e);
      }
    });
  }
  function emit(request) {
    deliver(request.event, request.payload);
    if (window.parent && window.parent !== window) {
      window.parent.postMessage({ type: 'forge-playground:event', event: request.event, payload: request.payload }, '*');
    }
    return undefined;
  }
  window.addEventListener('message', function (e) {
    var data = e.data;
    if (e.source === window.parent && data && data.type === 'forge-playground:event') deliver(data.event, data.payload);
  });

  var handlers = {
    invoke: invoke,
    getContext: function () {
      return JSON.parse(JSON.stringify(context));
    },
    enableTheming: enableTheming,
    refresh: function () {
      window.setTimeout(function () {
        window.location.reload();
      }, 0);
      return true;
    },
    emit: emit,
    emitPublic: emit,
    on: subscribe,
    onPublic: subscribe,
    emitReadyEvent: function () {
      return undefined;
    },
  };

  window.__bridge = {
    callBridge: function (name, payload) {
      var handler = handlers[name];
      if (!handler) {
        return Promise.reject(new Error('the Forge playground bridge does not implement "' + name + '"'));
      }
      try {
        return Promise.resolve(handler(payload));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };

  /* Report the content height to the playground page, as Jira resizes Custom UI iframes to their content. */
  if (window.parent && window.parent !== window && typeof ResizeObserver === 'function') {
    var last = -1;
    var report = function () {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ type: 'forge-playground:resize', module: module, height: height }, '*');
      }
    };
    var start = function () {
      new ResizeObserver(report).observe(document.documentElement);
      report();
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();
  }
})();
