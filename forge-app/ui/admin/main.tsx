/**
 * The admin page: policy editor, open grants, drift, audit trail, the holdings timeline and the
 * Health checks, as tabs.
 * Tabs follow the WAI-ARIA tabs pattern: one tab stop, arrow keys / Home / End move between tabs.
 * A tab is mounted the first time it is shown and then kept (hidden), so unsaved policy edits survive.
 */
import './admin.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { startUi, type UiContext } from '../shared/api';
import { AuditTab } from './AuditTab';
import { DriftTab } from './DriftTab';
import { GrantsTab } from './GrantsTab';
import { HealthTab } from './HealthTab';
import { PolicyTab } from './PolicyTab';
import { TimelineTab } from './TimelineTab';

const TABS = [
  { name: 'policy', label: 'Policy' },
  { name: 'grants', label: 'Grants' },
  { name: 'drift', label: 'Drift' },
  { name: 'audit', label: 'Audit' },
  { name: 'timeline', label: 'Timeline' },
  { name: 'health', label: 'Health' },
] as const;
type TabName = (typeof TABS)[number]['name'];

function App() {
  const [ctx, setCtx] = useState<UiContext | null>(null);
  const [tab, setTab] = useState<TabName>('policy');
  const [seen, setSeen] = useState<Set<TabName>>(new Set(['policy']));
  const [dirty, setDirty] = useState(false);
  const tabRefs = useRef(new Map<TabName, HTMLButtonElement>());

  useEffect(() => {
    void startUi().then(setCtx);
  }, []);
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  function select(name: TabName, focus = false) {
    setTab(name);
    setSeen((s) => (s.has(name) ? s : new Set([...s, name])));
    if (focus) tabRefs.current.get(name)?.focus();
  }

  function onKey(e: KeyboardEvent, i: number) {
    const last = TABS.length - 1;
    const to = e.key === 'ArrowRight' ? (i === last ? 0 : i + 1) : e.key === 'ArrowLeft' ? (i === 0 ? last : i - 1) : e.key === 'Home' ? 0 : e.key === 'End' ? last : -1;
    if (to < 0) return;
    e.preventDefault();
    select(TABS[to]!.name, true);
  }

  if (!ctx) return <p class="subtle page">Loading…</p>;
  const zone = ctx.timezone;
  const locale = ctx.locale;

  return (
    <main class="page">
      <header class="page-head">
        <h1>JIT Admin</h1>
        <p class="subtle">Just-in-time admin rights: policy, grants, drift and the audit trail.</p>
      </header>
      <div class="tablist" role="tablist" aria-label="JIT Admin">
        {TABS.map((t, i) => (
          <button
            key={t.name}
            type="button"
            role="tab"
            id={`tab-${t.name}`}
            class="tab"
            data-testid={`tab-${t.name}`}
            aria-selected={tab === t.name ? 'true' : 'false'}
            aria-controls={`panel-${t.name}`}
            tabIndex={tab === t.name ? 0 : -1}
            ref={(el) => {
              if (el) tabRefs.current.set(t.name, el);
            }}
            onClick={() => select(t.name)}
            onKeyDown={(e) => onKey(e, i)}
          >
            {t.label}
            {t.name === 'policy' && dirty ? (
              <span class="dirty-dot" title="Unsaved changes">
                <span aria-hidden="true"> ●</span>
                <span class="sr-only"> (unsaved changes)</span>
              </span>
            ) : null}
          </button>
        ))}
      </div>
      {TABS.map((t) => (
        <section
          key={t.name}
          role="tabpanel"
          id={`panel-${t.name}`}
          aria-labelledby={`tab-${t.name}`}
          class="tabpanel"
          tabIndex={0}
          hidden={tab !== t.name}
        >
          {seen.has(t.name) ? (
            t.name === 'policy' ? (
              <PolicyTab zone={zone} locale={locale} onDirtyChange={setDirty} />
            ) : t.name === 'grants' ? (
              <GrantsTab zone={zone} locale={locale} />
            ) : t.name === 'drift' ? (
              <DriftTab zone={zone} locale={locale} />
            ) : t.name === 'audit' ? (
              <AuditTab zone={zone} locale={locale} />
            ) : t.name === 'health' ? (
              <HealthTab zone={zone} locale={locale} />
            ) : (
              <TimelineTab zone={zone} locale={locale} />
            )
          ) : null}
        </section>
      ))}
    </main>
  );
}

const root = document.getElementById('root');
if (root) render(<App />, root);
