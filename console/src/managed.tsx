/**
 * The drift warning (SPEC §9): before the console changes an object that Terraform, CDKTF or
 * Pulumi manages (`managedBy` set by the API), it says that the next plan of that
 * workspace or stack will show the change as drift and offers the code that makes the same
 * change in IaC. The console's write carries no managed-by header, so the API keeps the mark.
 */
import { useState } from 'preact/hooks';
import { snippetsFor, type ResourceKey } from './snippets';
import { Dialog } from './ui';

export interface GuardedChange {
  /** The object's `managedBy` label from the API (null or undefined: not managed). */
  managedBy: string | null | undefined;
  /** What the change is, in words ("rename the group", "unlink project x"). */
  what: string;
  /** The resource and the values that make the change in code. */
  resource: ResourceKey;
  label: string;
  values: Record<string, unknown>;
  /** Removing the object in code is deleting its block, not changing values. */
  removal?: boolean;
}

export function useManagedGuard() {
  const [pending, setPending] = useState<{ change: GuardedChange; proceed: () => void } | null>(null);
  const guard = (change: GuardedChange, proceed: () => void) => {
    if (!change.managedBy) proceed();
    else setPending({ change, proceed });
  };
  const close = () => setPending(null);
  const element = pending && <DriftWarning change={pending.change} onCancel={close} onProceed={() => (close(), pending.proceed())} />;
  return { guard, element };
}

function DriftWarning(props: { change: GuardedChange; onCancel: () => void; onProceed: () => void }) {
  const c = props.change;
  const s = snippetsFor(c.resource, c.label, c.values);
  const tool = (c.managedBy ?? '').split(':')[0];
  const order: (keyof typeof s)[] = tool === 'pulumi' ? ['pulumi', 'hcl', 'cdktf'] : tool === 'cdktf' ? ['cdktf', 'hcl', 'pulumi'] : ['hcl', 'cdktf', 'pulumi'];
  const title = { hcl: 'Terraform / OpenTofu (HCL)', cdktf: 'CDKTF (TypeScript)', pulumi: 'Pulumi (TypeScript)' };
  return (
    <Dialog title="This object is managed in code" open onClose={props.onCancel}>
      <p class="drift-warning" role="alert">
        Managed by <code>{c.managedBy}</code>. If you {c.what} here, the next plan of <code>{c.managedBy}</code> will show the change as drift and
        offer to undo it. Make the change in code instead:
      </p>
      {c.removal && <p>To remove it in code, delete this block from the configuration:</p>}
      {order.map((k, i) => (
        <details key={k} open={i === 0}>
          <summary>{title[k]}</summary>
          <pre class="snippet" aria-label={`${title[k]} snippet`}>
            <code>{s[k]}</code>
          </pre>
        </details>
      ))}
      <div class="actions">
        <button type="button" class="primary" onClick={props.onCancel} autoFocus>
          Cancel, I will change the code
        </button>
        <button type="button" class="danger" onClick={props.onProceed}>
          Change it here anyway (drift)
        </button>
      </div>
    </Dialog>
  );
}
