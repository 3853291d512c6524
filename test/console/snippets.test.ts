/**
 * The console's "make this change in code" snippets: attribute names come from the resource
 * definitions (snake_case for HCL, camelCase for TypeScript), secrets are never printed, and
 * an attribute a user cannot set is refused.
 */
import { localName, snippetsFor } from '../../console/src/snippets';
import { toSnake } from '../../provider/domain/naming';
import { resources } from '../../provider/domain/resources';

test('every settable attribute of every resource is named as its definition says', () => {
  for (const [key, def] of Object.entries(resources)) {
    const settable = Object.entries(def.attributes).filter(([, a]) => a.presence !== 'computed' && !a.iacOnly);
    const values = Object.fromEntries(settable.map(([name, a]) => [name, a.type.kind === 'list' ? ['x@example.com'] : a.type.kind === 'bool' ? true : a.type.kind === 'object' ? {} : 'v']));
    const s = snippetsFor(key as keyof typeof resources, 'My group', values);
    expect(s.hcl).toContain(`resource "cloudbilling_${def.tfName}" "my_group" {`);
    expect(s.cdktf).toContain(`new ${def.className}(this, 'my_group', {`);
    expect(s.pulumi).toContain(`new ${def.className}('my_group', {`);
    for (const [name] of settable) {
      expect(s.hcl).toMatch(new RegExp(`^  ${toSnake(name)} +=`, 'm'));
      expect(s.pulumi).toMatch(new RegExp(`^  ${name}:`, 'm'));
    }
  }
});

test('a payment reference is never printed: the snippet names a variable or secret', () => {
  const s = snippetsFor('billingGroup', 'Platform', { paymentMethod: { type: 'card', reference: 'pm_live_secret' }, details: { company: 'Acme', addressLines: ['1 Main St'] } });
  for (const text of Object.values(s)) expect(text).not.toContain('pm_live_secret');
  expect(s.hcl).toContain('variable "payment_method_reference" {');
  expect(s.hcl).toMatch(/payment_method = \{\n\s+type {6}= "card"\n\s+reference = var\.payment_method_reference\n\s+\}/);
  expect(s.cdktf).toContain("import { TerraformVariable } from 'cdktf';");
  expect(s.hcl).toMatch(/address_lines = \["1 Main St"\]/);
  expect(s.pulumi).toContain("const paymentMethodReference = config.requireSecret('paymentMethodReference');");
  expect(s.cdktf).toContain('reference: paymentMethodReference,');
});

test('attributes a user cannot set are refused (a bug in the caller, not a snippet)', () => {
  expect(() => snippetsFor('billingGroup', 'x', { id: 'grp-1' })).toThrow(/no settable attribute id/);
  expect(() => snippetsFor('billingGroup', 'x', { deletionProtection: true })).toThrow(/no settable attribute/);
  expect(() => snippetsFor('mainBillingGroup', 'x', { name: 'renamed' })).toThrow(/no settable attribute name/);
  expect(() => snippetsFor('billingGroup', 'x', { details: { colour: 'red' } })).toThrow(/no nested attribute colour/);
});

test('local names are identifiers', () => {
  expect(localName('Data & Analytics')).toBe('data_analytics');
  expect(localName('2026 budget')).toBe('r_2026_budget');
  expect(localName('Café Ünïcode')).toBe('cafe_unicode');
  expect(localName('!!!')).toBe('r_resource');
});
