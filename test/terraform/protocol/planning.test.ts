import { billingGroup, projectLink, groupPermission } from '../../../provider/domain/resources';
import { UNKNOWN, type Values } from '../../../provider/terraform/framework';
import {
  applyDefaults,
  applyProblems,
  basePlan,
  changedAttributes,
  known,
  planProblems,
  replaceNeeded,
  valuesEqual,
} from '../../../provider/terraform/planning';

function blank(def: { attributes: Record<string, unknown> }, values: Values = {}): Values {
  return { ...Object.fromEntries(Object.keys(def.attributes).map((k) => [k, null])), ...values };
}

const config = blank(billingGroup, { name: 'A', billingEmails: ['a@x.io'], invoiceEmails: ['a@x.io'], details: { company: 'ACME', addressLines: null, countryCode: null, vatId: null, currency: null } });

describe('basePlan', () => {
  test('create: computed unknown, defaults applied (also nested), configured values kept', () => {
    const planned = basePlan(billingGroup, { prior: null, proposed: config, config })!;
    expect(planned.id).toBe(UNKNOWN);
    expect(planned.version).toBe(UNKNOWN);
    expect(planned.deletionProtection).toBe(false);
    expect(planned.details).toEqual({ company: 'ACME', addressLines: null, countryCode: null, vatId: null, currency: 'USD' });
    expect(planned.name).toBe('A');
    expect(planProblems(billingGroup, config, planned)).toEqual([]);
  });

  test('create: optionalComputed left null is unknown (the API decides); knownOnCreate', () => {
    const c = { ...config, details: null };
    const planned = basePlan(billingGroup, { prior: null, proposed: c, config: c }, { knownOnCreate: { type: 'sub' } })!;
    expect(planned.details).toBe(UNKNOWN);
    expect(planned.type).toBe('sub');
  });

  test('update: computed kept from prior; volatile ones unknown only when something changed', () => {
    const prior = { ...basePlan(billingGroup, { prior: null, proposed: config, config })!, id: 'bg-1', version: 3, type: 'sub', updatedAt: 't1' };
    const same = basePlan(billingGroup, { prior, proposed: { ...prior }, config }, { volatile: ['version', 'updatedAt'] })!;
    expect(same.version).toBe(3);
    expect(same.id).toBe('bg-1');
    const renamed = basePlan(billingGroup, { prior, proposed: { ...prior, name: 'B' }, config: { ...config, name: 'B' } }, { volatile: ['version', 'updatedAt'] })!;
    expect(renamed.version).toBe(UNKNOWN);
    expect(renamed.updatedAt).toBe(UNKNOWN);
    expect(renamed.id).toBe('bg-1');
  });

  test('update: a defaulted setting removed from the config plans its default, not the prior value', () => {
    // Terraform proposes the prior value for an optional+computed attribute left out of the config.
    const prior: Values = { ...basePlan(billingGroup, { prior: null, proposed: { ...config, deletionProtection: true }, config: { ...config, deletionProtection: true } })!, id: 'bg-1' };
    expect(prior.deletionProtection).toBe(true);
    const planned = basePlan(billingGroup, { prior, proposed: { ...prior }, config })!;
    expect(planned.deletionProtection).toBe(false);
    const linkConfig = blank(projectLink, { projectId: 'prj-1', billingGroupId: 'bg-1' });
    const linkPrior = { ...linkConfig, allowTransfer: true, id: 'prj-1' };
    expect(basePlan(projectLink, { prior: linkPrior, proposed: { ...linkPrior }, config: linkConfig })!.allowTransfer).toBe(false);
    expect(basePlan(projectLink, { prior: linkPrior, proposed: { ...linkPrior }, config: { ...linkConfig, allowTransfer: true } })!.allowTransfer).toBe(true);
  });

  test('destroy plans null', () => {
    expect(basePlan(billingGroup, { prior: config, proposed: null, config: null })).toBeNull();
  });
});

describe('replaceNeeded and comparisons', () => {
  const prior = blank(projectLink, { projectId: 'p-1', billingGroupId: 'bg-1', allowTransfer: false, id: 'p-1' });
  test('only replace:true attributes that changed', () => {
    expect(replaceNeeded(projectLink, prior, { ...prior, billingGroupId: 'bg-2' })).toEqual([]);
    expect(replaceNeeded(projectLink, prior, { ...prior, projectId: 'p-2' })).toEqual(['projectId']);
    expect(replaceNeeded(projectLink, prior, { ...prior, projectId: UNKNOWN })).toEqual(['projectId']);
    expect(replaceNeeded(projectLink, null, prior)).toEqual([]);
    const perm = blank(groupPermission, { billingGroupId: 'bg-1', userId: 'u-1' });
    expect(replaceNeeded(groupPermission, perm, { ...perm, billingGroupId: 'bg-2', userId: 'u-2' }).sort()).toEqual(['billingGroupId', 'userId']);
  });

  test('valuesEqual: deep, unknown only equals unknown, null vs undefined', () => {
    expect(valuesEqual({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(valuesEqual({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(valuesEqual(UNKNOWN, UNKNOWN)).toBe(true);
    expect(valuesEqual(UNKNOWN, 'x')).toBe(false);
    expect(valuesEqual(null, undefined)).toBe(true);
    expect(valuesEqual(null, 0)).toBe(false);
    expect(known(UNKNOWN)).toBeUndefined();
    expect(known('x')).toBe('x');
  });

  test('changedAttributes ignores computed ones', () => {
    expect(changedAttributes(projectLink, prior, { ...prior, id: 'other', allowTransfer: true })).toEqual(['allowTransfer']);
  });

  test('applyDefaults does not touch set or unknown values', () => {
    expect(applyDefaults(projectLink.attributes, { ...prior, allowTransfer: null }).allowTransfer).toBe(false);
    expect(applyDefaults(projectLink.attributes, { ...prior, allowTransfer: UNKNOWN }).allowTransfer).toBe(UNKNOWN);
    expect(applyDefaults(projectLink.attributes, { ...prior, allowTransfer: true }).allowTransfer).toBe(true);
  });

  test('planProblems and applyProblems catch what Terraform would refuse', () => {
    expect(planProblems(billingGroup, config, { ...config, name: 'other' })).toEqual([expect.stringContaining('name')]);
    const planned = basePlan(billingGroup, { prior: null, proposed: config, config })!;
    expect(applyProblems(billingGroup, planned, { ...planned, id: 'bg-1', version: 1 })).toEqual(expect.arrayContaining(['type']));
    const full = { ...planned, id: 'bg-1', version: 1, type: 'sub', projectCount: 0, createdAt: 't', updatedAt: 't', createdBy: 'u' };
    expect(applyProblems(billingGroup, planned, full)).toEqual([]);
    expect(applyProblems(billingGroup, planned, { ...full, name: 'changed' })).toEqual(['name']);
  });
});
