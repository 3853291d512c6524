import { ApiError } from '../../../provider/client/errors';
import { attributePath, errorToDiagnostics, toProtoDiagnostic } from '../../../provider/terraform/protocol/diagnostics';
import { messageCodec } from '../../../provider/terraform/protocol/grpc';

describe('domain diagnostics → tfplugin6', () => {
  test('code first in the summary, detail kept, severity mapped', () => {
    expect(
      toProtoDiagnostic({ severity: 'warning', code: 'NO_PAYMENT_METHOD', summary: 'Group "A" has no payment method', detail: 'Add one.' }),
    ).toEqual({
      severity: 'WARNING',
      // The rule as the summary, so that Terraform shows one warning per rule "(and N more similar warnings elsewhere)".
      summary: 'NO_PAYMENT_METHOD: A group without a payment method may accrue overdue interest',
      detail: 'Group "A" has no payment method. Add one.',
    });
    expect(toProtoDiagnostic({ severity: 'error', code: 'NAME_TAKEN', summary: 'Taken', detail: 'd' })).toEqual({ severity: 'ERROR', summary: 'NAME_TAKEN: Taken', detail: 'd' });
    // A rule that is an error elsewhere, deferred to apply as a warning, keeps its specific summary.
    expect(toProtoDiagnostic({ severity: 'warning', code: 'DELETE_HAS_PROJECTS', summary: 'Has 2', detail: 'd' })).toEqual({
      severity: 'WARNING',
      summary: 'DELETE_HAS_PROJECTS: Has 2',
      detail: 'd',
    });
  });

  test('camelCase paths become snake_case attribute steps, numbers list indices', () => {
    const d = toProtoDiagnostic({ severity: 'error', code: 'EMAIL_INVALID', summary: 's', detail: 'd', path: ['billingEmails', 2] });
    expect(d.attribute).toEqual({ steps: [{ attribute_name: 'billing_emails' }, { element_key_int: 2 }] });
    expect(attributePath(['paymentMethod', 'reference'])).toEqual({ steps: [{ attribute_name: 'payment_method' }, { attribute_name: 'reference' }] });
    expect(toProtoDiagnostic({ severity: 'error', code: 'X', summary: 's', detail: 'd' }).attribute).toBeUndefined();
  });

  test('the path survives protobuf encoding as a oneof (element_key_int as a number)', () => {
    const codec = messageCodec('tfplugin6.Diagnostic');
    const back = codec.decode(codec.encode(toProtoDiagnostic({ severity: 'error', code: 'EMAIL_INVALID', summary: 's', detail: 'd', path: ['billingEmails', 2] })));
    expect(back.attribute.steps).toEqual([
      { attribute_name: 'billing_emails', selector: 'attribute_name' },
      { element_key_int: 2, selector: 'element_key_int' },
    ]);
    expect(back.severity).toBe('ERROR');
  });
});

describe('exceptions → error diagnostics', () => {
  test('an ApiError puts the rule code first, one diagnostic per violation', () => {
    const e = new ApiError(409, 'TRANSFER_NOT_ACKNOWLEDGED', 'moving p-1 needs allow_transfer', {
      violations: [
        { code: 'TRANSFER_NOT_ACKNOWLEDGED', message: 'moving p-1 needs allow_transfer', path: ['allowTransfer'] },
        { code: 'LINK_EFFECTIVE_NEXT_MONTH', message: 'next month' },
      ],
    }, 'PUT /v1/projects/p-1/billing-group');
    const ds = errorToDiagnostics(e, 'updating cloudbilling_project_link');
    expect(ds).toHaveLength(2);
    expect(ds[0].summary).toBe('TRANSFER_NOT_ACKNOWLEDGED: moving p-1 needs allow_transfer');
    expect(ds[0].attribute).toEqual({ steps: [{ attribute_name: 'allow_transfer' }] });
    expect(ds[0].detail).toContain('HTTP 409');
    expect(ds[0].detail).toContain('PUT /v1/projects/p-1/billing-group');
    expect(ds.every((d) => d.severity === 'ERROR')).toBe(true);
  });

  test('an ApiError without violations gives one diagnostic with its code', () => {
    const ds = errorToDiagnostics(new ApiError(0, 'NETWORK_ERROR', 'connect ECONNREFUSED 127.0.0.1:1'), 'reading cloudbilling_billing_group');
    expect(ds).toEqual([expect.objectContaining({ severity: 'ERROR', summary: 'NETWORK_ERROR: connect ECONNREFUSED 127.0.0.1:1' })]);
  });

  test('anything else is a PROVIDER_ERROR diagnostic', () => {
    const ds = errorToDiagnostics(new TypeError('x is undefined'), 'planning cloudbilling_billing_group');
    expect(ds[0].summary).toBe('PROVIDER_ERROR: x is undefined');
    expect(ds[0].detail).toContain('planning cloudbilling_billing_group');
    expect(errorToDiagnostics('boom', 'x')[0].summary).toBe('PROVIDER_ERROR: boom');
  });
});
