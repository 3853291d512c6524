/**
 * Messages in the user's own words (SPEC §6): one text per rule, said with the API's
 * camelCase names and change positions; `reword` gives Terraform its attribute names and
 * `review` the resource addresses, and every project is named by its name and id.
 */
import { evaluate } from '../../provider/domain/rules';
import { inTerraformWords, reword } from '../../provider/domain/messages';
import { CTX, domain } from './fixtures';

const state = () => domain().sub('Data').sub('Web').project('p1', 'Data').build();
const b = domain().sub('Data').sub('Web').project('p1', 'Data');

test('a transfer needs allowTransfer: the project by name and id; Terraform says allow_transfer', () => {
  const s = state();
  const [d] = evaluate(s, [{ op: 'link', projectId: 'p1', billingGroupId: b.idOf('Web') }], CTX).errors;
  expect(d.code).toBe('TRANSFER_NOT_ACKNOWLEDGED');
  const name = s.projects.find((p) => p.id === 'p1')!.name;
  expect(d.summary).toBe(`Moving project "${name}" (p1) between sub groups needs allowTransfer`);
  expect(d.detail).toContain('set allowTransfer = true.');
  const tf = reword(d, { terraform: true });
  expect(tf.summary).toContain('needs allow_transfer');
  expect(tf.detail).toContain('set allow_transfer = true.');
  expect(`${tf.summary} ${tf.detail}`).not.toMatch(/allowTransfer/);
  expect({ code: tf.code, severity: tf.severity, index: tf.index, path: tf.path }).toEqual({ code: d.code, severity: d.severity, index: d.index, path: d.path });
});

test('two links for one project name the two resources in review, and say "two resources" in Terraform', () => {
  const s = state();
  const changes = [
    { op: 'link' as const, projectId: 'p1', billingGroupId: b.idOf('Data') },
    { op: 'link' as const, projectId: 'p1', billingGroupId: b.idOf('Web'), allowTransfer: true },
  ];
  const [d] = evaluate(s, changes, CTX).errors;
  expect(d.code).toBe('PROJECT_MULTI_LINK');
  expect(d.detail).toMatch(/^Changes 0 and 1 both set the billing group of project ".+" \(p1\)/);
  const addresses = ['cloudbilling_project_link.keep', 'cloudbilling_project_link.again'];
  expect(reword(d, { terraform: true, change: (i) => addresses[i] }).detail).toMatch(/^cloudbilling_project_link\.keep and cloudbilling_project_link\.again both set/);
  expect(reword(d, { terraform: true }).detail).toMatch(/^Two resources of this plan both set/);
  // The API keeps its own words.
  expect(reword(d, {}).detail).toBe(d.detail);
});

test('inTerraformWords changes attribute names only, whole words', () => {
  expect(inTerraformWords('Add paymentMethod to group "paymentMethodical" (billingGroupId, invoiceEmails); name stays')).toBe(
    'Add payment_method to group "paymentMethodical" (billing_group_id, invoice_emails); name stays',
  );
});
