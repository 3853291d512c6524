/** The OpenAPI document and the schemas derived from the resource definitions. */
import { billingGroup, projectLink, type Attribute } from '../../provider/domain/resources';
import { groupCreateBody, groupPatchBody, linkBody, schemaOf } from '../../provider/server/schemas';
import { expectOk, Fixture } from './client';

const writable = (attrs: Record<string, Attribute>) => Object.keys(attrs).filter((k) => attrs[k].presence !== 'computed');

test('schemaOf derives required, optional (nullable) and nested attributes from a definition', () => {
  const s = schemaOf({
    a: { type: { kind: 'string' }, presence: 'required', description: 'A' },
    b: { type: { kind: 'list', element: { kind: 'number' } }, presence: 'optional', description: 'B' },
    c: { type: { kind: 'string' }, presence: 'computed', description: 'C' },
    d: { type: { kind: 'string', enum: ['x', 'y'] }, presence: 'optional', description: 'D' },
    e: { type: { kind: 'object', attributes: { f: { type: { kind: 'bool' }, presence: 'required', description: 'F' } } }, presence: 'required', description: 'E' },
  });
  expect(s).toEqual({
    type: 'object',
    additionalProperties: false,
    required: ['a', 'e'],
    properties: {
      a: { type: 'string', description: 'A' },
      b: { type: ['array', 'null'], items: { type: 'number' }, description: 'B' },
      d: { type: ['string', 'null'], enum: ['x', 'y', null], description: 'D' },
      e: { type: 'object', additionalProperties: false, required: ['f'], properties: { f: { type: 'boolean', description: 'F' } }, description: 'E' },
    },
  });
  expect(schemaOf({ a: { type: { kind: 'string' }, presence: 'required', description: 'A' } }, { partial: true }).required).toBeUndefined();
});

test('group and link bodies follow the resource definitions', () => {
  const groupFields = writable(billingGroup.attributes).filter((k) => k !== 'deletionProtection');
  expect(Object.keys(groupCreateBody.properties as object).sort()).toEqual(groupFields.sort());
  expect(Object.keys(groupPatchBody.properties as object).sort()).toEqual(groupFields.sort());
  expect(groupCreateBody.required).toEqual(['name', 'billingEmails', 'invoiceEmails']);
  expect(groupPatchBody.required).toBeUndefined();
  expect(Object.keys(linkBody.properties as object).sort()).toEqual(writable(projectLink.attributes).filter((k) => k !== 'projectId').sort());
});

test('GET /v1/openapi.json documents every route with its schemas', async () => {
  const f = await Fixture.start();
  try {
    const doc = expectOk(await f.as(undefined).get('/v1/openapi.json'));
    const ops = Object.entries(doc.paths as Record<string, Record<string, { summary?: string; tags?: string[]; requestBody?: unknown; responses: object }>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(28);
    for (const { op } of ops) {
      expect(op.summary).toEqual(expect.any(String));
      expect(op.tags?.length).toBe(1);
    }
    const create = doc.paths['/v1/billing-groups'].post;
    expect(Object.keys(create.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['name', 'billingEmails', 'invoiceEmails', 'paymentMethod', 'details']));
    expect(create.responses['4XX'] ?? create.responses['4xx']).toBeDefined();
    expect(doc.components.schemas.Error).toBeDefined();
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/health'].get.security).toEqual([]);
  } finally {
    await f.close();
  }
});
