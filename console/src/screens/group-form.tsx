/**
 * The fields of a billing group, shared by create and modify: name, e-mails, payment
 * method and details. Turns the form into the API's `GroupInput` shape; the API checks it.
 */
import type { Group, GroupInput } from '../../../provider/domain/types';
import { ApiFailure, type Violation } from '../api';

export interface GroupFields {
  name: string;
  billingEmails: string;
  invoiceEmails: string;
  paymentType: '' | 'card' | 'account';
  paymentReference: string;
  company: string;
  addressLines: string;
  countryCode: string;
  vatId: string;
  currency: string;
}

export const emptyFields: GroupFields = {
  name: '',
  billingEmails: '',
  invoiceEmails: '',
  paymentType: '',
  paymentReference: '',
  company: '',
  addressLines: '',
  countryCode: '',
  vatId: '',
  currency: 'USD',
};

export function fieldsOf(g: Group): GroupFields {
  return {
    name: g.name,
    billingEmails: g.billingEmails.join('\n'),
    invoiceEmails: g.invoiceEmails.join('\n'),
    paymentType: g.paymentMethod?.type ?? '',
    paymentReference: '',
    company: g.details?.company ?? '',
    addressLines: (g.details?.addressLines ?? []).join('\n'),
    countryCode: g.details?.countryCode ?? '',
    vatId: g.details?.vatId ?? '',
    currency: g.details?.currency ?? 'USD',
  };
}

const list = (s: string) =>
  s
    .split(/[\n,;]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
const opt = (s: string) => (s.trim() === '' ? null : s.trim());

/** The whole input (create). */
export function inputOf(f: GroupFields): GroupInput {
  return {
    name: f.name,
    billingEmails: list(f.billingEmails),
    invoiceEmails: list(f.invoiceEmails),
    paymentMethod: f.paymentType ? { type: f.paymentType, reference: f.paymentReference.trim() } : null,
    details: detailsOf(f),
  };
}

function detailsOf(f: GroupFields) {
  return { company: opt(f.company), addressLines: list(f.addressLines).length ? list(f.addressLines) : null, countryCode: opt(f.countryCode), vatId: opt(f.vatId), currency: opt(f.currency) ?? 'USD' };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Only what changed (modify). The payment method changes when its type changes or a new
 * reference is typed; the reference is never shown back, so an empty field keeps it.
 */
export function patchOf(before: Group, f: GroupFields): Partial<GroupInput> {
  const next = inputOf(f);
  const patch: Partial<GroupInput> = {};
  if (next.name !== before.name) patch.name = next.name;
  if (!same(next.billingEmails, before.billingEmails)) patch.billingEmails = next.billingEmails;
  if (!same(next.invoiceEmails, before.invoiceEmails)) patch.invoiceEmails = next.invoiceEmails;
  const typeChanged = (before.paymentMethod?.type ?? '') !== f.paymentType;
  if (typeChanged || (f.paymentType && f.paymentReference.trim() !== '')) patch.paymentMethod = next.paymentMethod;
  const d = next.details!;
  const b = before.details ?? {};
  const changed = (Object.keys(d) as (keyof typeof d)[]).filter((k) => !same(d[k] ?? null, b[k] ?? null));
  if (changed.length) patch.details = Object.fromEntries(changed.map((k) => [k, d[k]]));
  return patch;
}

/** The form field a violation's path points at (`["details", "vatId"]` -> vatId). */
function fieldOf(path: (string | number)[] | undefined): keyof GroupFields | undefined {
  if (!path || path.length === 0) return undefined;
  const [head, next] = path;
  if (head === 'details' && typeof next === 'string') return next as keyof GroupFields;
  if (head === 'paymentMethod') return next === 'reference' ? 'paymentReference' : 'paymentType';
  return head as keyof GroupFields;
}

export function GroupFormFields(props: {
  f: GroupFields;
  set: (f: GroupFields) => void;
  nameLocked?: { code: string; message: string } | null;
  editing?: boolean;
  /** The API's refusal: each violation with a path marks its field invalid and is read with it. */
  error?: unknown;
}) {
  const { f, set } = props;
  const violations: Violation[] = ApiFailure.is(props.error) ? props.error.rules : [];
  const bind = (k: keyof GroupFields) => {
    const mine = violations.filter((v) => fieldOf(v.path) === k);
    return {
      id: `f-${k}`,
      value: f[k],
      onInput: (e: Event) => set({ ...f, [k]: (e.target as HTMLInputElement).value }),
      'aria-invalid': mine.length > 0 ? ('true' as const) : undefined,
      'aria-errormessage': mine.length > 0 ? `f-${k}-error` : undefined,
    };
  };
  const fieldError = (k: keyof GroupFields) => {
    const mine = violations.filter((v) => fieldOf(v.path) === k);
    if (mine.length === 0) return null;
    return (
      <p id={`f-${k}-error`} class="field-error">
        {mine.map((v) => (
          <span key={v.code}>
            <code class="rule-code">{v.code}</code> {v.message}{' '}
          </span>
        ))}
      </p>
    );
  };
  return (
    <div class="form-grid">
      <label for="f-name">Name</label>
      <div>
        <input {...bind('name')} required={!props.nameLocked} readOnly={!!props.nameLocked} aria-readonly={props.nameLocked ? 'true' : undefined} aria-describedby={props.nameLocked ? 'f-name-locked' : undefined} />
        {props.nameLocked && (
          <p id="f-name-locked" class="help">
            Not editable: <code class="rule-code">{props.nameLocked.code}</code> {props.nameLocked.message}
          </p>
        )}
        {fieldError('name')}
      </div>
      <label for="f-billingEmails">Billing e-mails</label>
      <div>
        <textarea {...bind('billingEmails')} rows={2} aria-describedby="h-billing" />
        <p id="h-billing" class="help">Invoice recipients, one per line.</p>
        {fieldError('billingEmails')}
      </div>
      <label for="f-invoiceEmails">Invoice e-mails</label>
      <div>
        <textarea {...bind('invoiceEmails')} rows={2} aria-describedby="h-invoice" />
        <p id="h-invoice" class="help">Tax-invoice recipients, one per line.</p>
        {fieldError('invoiceEmails')}
      </div>
      <label for="f-paymentType">Payment method</label>
      <select {...bind('paymentType')}>
        <option value="">None</option>
        <option value="card">Card</option>
        <option value="account">Account</option>
      </select>
      {f.paymentType && (
        <>
          <label for="f-paymentReference">Payment reference</label>
          <div>
            <input {...bind('paymentReference')} type="password" autoComplete="off" aria-describedby="h-ref" />
            <p id="h-ref" class="help">
              The payment processor's token (never a card number).{props.editing ? ' Leave empty to keep the current one.' : ''}
            </p>
            {fieldError('paymentReference')}
          </div>
        </>
      )}
      <label for="f-company">Company</label>
      <input {...bind('company')} />
      <label for="f-addressLines">Address</label>
      <textarea {...bind('addressLines')} rows={2} />
      <label for="f-countryCode">Country code</label>
      <input {...bind('countryCode')} size={4} />
      <label for="f-vatId">VAT id</label>
      <input {...bind('vatId')} />
      <label for="f-currency">Currency</label>
      <input {...bind('currency')} size={4} />
    </div>
  );
}
