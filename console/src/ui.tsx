/**
 * Small building blocks shared by the screens: the rule list (every rule with its SPEC §2
 * code and the API's sentence), a modal dialog on the platform's <dialog> (focus moves in,
 * Escape closes, focus returns), the "Managed by" mark, and a loader hook.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, type Violation } from './api';

export function Rules(props: { rules: Violation[]; kind: 'error' | 'warning'; title?: string }) {
  if (props.rules.length === 0) return null;
  const error = props.kind === 'error';
  return (
    <div class={`rules ${props.kind}`} role={error ? 'alert' : 'status'}>
      {props.title && <p class="rules-title">{props.title}</p>}
      <ul>
        {props.rules.map((r, i) => (
          <li key={`${r.code}-${i}`}>
            <code class="rule-code">{r.code}</code> <span>{r.message}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** An API failure as rules (error codes and sentences); anything else as one line. */
export function Failure(props: { error: unknown; title?: string }) {
  if (!props.error) return null;
  const rules = ApiFailure.is(props.error) ? props.error.rules : [{ code: 'ERROR', message: String((props.error as Error).message ?? props.error) }];
  return <Rules rules={rules} kind="error" title={props.title} />;
}

export function Dialog(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren; labelId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const id = props.labelId ?? `dlg-${props.title.replace(/\W+/g, '-').toLowerCase()}`;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!props.open && d.open) {
      d.close();
    }
  }, [props.open]);
  // A dialog removed while open (its owner unmounts it) gives focus back too, once it is gone
  // (while a modal dialog is in the page, everything outside it is inert).
  useEffect(() => {
    const d = ref.current;
    return () => {
      const o = opener.current;
      if (!(o instanceof HTMLElement) || !d?.open) return;
      setTimeout(() => {
        if (o.isConnected && (document.activeElement === document.body || document.activeElement === null)) o.focus();
      }, 0);
    };
  }, []);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const onClose = () => {
      props.onClose();
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
    d.addEventListener('close', onClose);
    return () => d.removeEventListener('close', onClose);
  }, [props.onClose]);
  return (
    <dialog ref={ref} aria-labelledby={id} class="dialog">
      {props.open && (
        <>
          <h2 id={id}>{props.title}</h2>
          {props.children}
        </>
      )}
    </dialog>
  );
}

export function ManagedMark(props: { by: string | null | undefined }) {
  if (!props.by) return null;
  return (
    <span class="managed" title="This object is managed in code; a change here is drift">
      Managed by <code>{props.by}</code>
    </span>
  );
}

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Run `load` on mount and whenever `deps` change or `reload()` is called. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function Loading(props: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {props.what}…
    </p>
  );
}

export const money = (n: number, currency = 'USD') => {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency}`;
  }
};

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—');
