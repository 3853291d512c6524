/**
 * The console's shell: sign-in gate, header, and the hash routes of SPEC §9's screens
 * (wouter-preact with its hash location; a route never carries the token). On every route
 * change focus moves to the new screen's heading, so a screen reader announces it.
 */
import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Router, Switch, useLocation } from 'wouter-preact';
import { useHashLocation } from 'wouter-preact/use-hash-location';
import type { DomainInfo } from '../../provider/domain/types';
import { get, session, SIGNED_OUT_EVENT } from './api';
import { GroupEdit } from './screens/group-edit';
import { GroupList } from './screens/group-list';
import { GroupPage } from './screens/group-page';
import { SignIn } from './screens/sign-in';
import { Loading } from './ui';

export function App() {
  const [domain, setDomain] = useState<DomainInfo | null>(null);
  const [checking, setChecking] = useState(session.token() !== null);
  useEffect(() => {
    if (!session.token()) return;
    get<DomainInfo>('/v1/domain').then(
      (d) => (setDomain(d), setChecking(false)),
      () => (session.signOut(), setChecking(false)),
    );
  }, []);
  const [ended, setEnded] = useState<string | null>(null);
  useEffect(() => {
    const onSignedOut = (e: Event) => {
      setEnded((e as CustomEvent<string>).detail);
      setDomain(null);
    };
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, []);
  if (checking) return <Loading what="the console" />;
  if (!domain) return <SignIn ended={ended} onSignedIn={(d) => (setEnded(null), setDomain(d))} />;
  const signOut = () => {
    session.signOut();
    setDomain(null);
    location.hash = '';
  };
  return (
    <Router hook={useHashLocation}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          cloudbilling <span>console</span>
        </Link>
        <span class="domain">
          Domain <strong>{domain.name}</strong>
        </span>
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <FocusOnRoute />
        <Switch>
          <Route path="/">{() => <GroupList domain={domain} />}</Route>
          <Route path="/groups/:id/edit">{(p) => <GroupEdit id={p.id} domain={domain} />}</Route>
          <Route path="/groups/:id/:tab?">{(p) => <GroupPage id={p.id} tab={p.tab ?? 'overview'} domain={domain} />}</Route>
          <Route>
            <h1 tabIndex={-1}>Not found</h1>
            <p>
              No such screen. <Link href="/">Back to the billing groups</Link>
            </p>
          </Route>
        </Switch>
      </main>
    </Router>
  );
}

/** Move focus to the screen's h1 after a route change (not on the first render). */
function FocusOnRoute() {
  const [loc] = useLocation();
  const [first, setFirst] = useState(true);
  useEffect(() => {
    if (first) return setFirst(false);
    // The screen renders its heading after its data loads; wait for it briefly.
    let tries = 0;
    const t = setInterval(() => {
      const h = document.querySelector<HTMLElement>('main h1');
      if (h || ++tries > 40) {
        clearInterval(t);
        if (h) {
          h.tabIndex = -1;
          h.focus();
        }
      }
    }, 25);
    return () => clearInterval(t);
    // A group's tabs are one screen (the tab keeps focus); its Modify page is another.
  }, [loc.replace(/^(\/groups\/[^/]+)\/(?!edit$)[^/]*$/, '$1')]);
  return null;
}
