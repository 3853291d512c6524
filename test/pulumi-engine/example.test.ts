/**
 * `examples/pulumi` under the real engine: its `index.ts` runs as the inline program of a
 * stack of its project (`cloudbilling-example`, the config keys of its Pulumi.yaml set as
 * its README says), `up` creates what it declares, a second preview shows no changes and
 * `destroy` returns the projects to main. (The `Pulumi.yaml` project itself needs the
 * Node.js language host, which cannot be built from the Go module proxy: docs/pulumi.md.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import * as ts from 'typescript';
import * as cloudbillingPulumi from '../../provider/pulumi';
import { failureOf, startPulumiWorld, type PulumiWorld } from '../helpers/pulumi';

jest.setTimeout(600_000);

let world: PulumiWorld;

beforeAll(async () => {
  world = await startPulumiWorld();
});
afterAll(async () => {
  await world?.close();
});

/**
 * The example's `index.ts` as a program: compiled with TypeScript and evaluated afresh on
 * every run (a program declares its resources once per run), with this process's modules
 * (one `@pulumi/pulumi`: a second copy fails to serialize its RPCs).
 */
function exampleProgram(): () => Promise<Record<string, unknown>> {
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'pulumi', 'index.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const modules: Record<string, unknown> = { '@pulumi/pulumi': pulumi, 'cloudbilling/pulumi': cloudbillingPulumi };
  return async () => {
    const exports: Record<string, unknown> = {};
    const load = (name: string) => {
      if (!(name in modules)) throw new Error(`examples/pulumi imports ${name}: add it to the test's modules`);
      return modules[name];
    };
    new Function('exports', 'require', outputText)(exports, load);
    return exports;
  };
}

test('examples/pulumi: up, no-change preview, destroy', async () => {
  const { admin, mainId } = world;
  const web = await admin.createProject({ name: 'web' });
  const api = await admin.createProject({ name: 'api' });
  const viewer = await admin.createUser({ email: 'viewer@example.com', name: 'Viewer' });
  const stack = await world.stack(exampleProgram(), {
    projectName: 'cloudbilling-example',
    stackName: 'dev',
    config: {
      'cloudbilling-example:webProjectId': web.id,
      'cloudbilling-example:apiProjectId': api.id,
      'cloudbilling-example:financeViewerId': viewer.id,
    },
  });

  const before = await world.live();
  const preview = await stack.preview();
  expect(preview.changeSummary.create).toBeGreaterThanOrEqual(6);
  expect(await world.live()).toEqual(before);

  const up = await stack.up();
  expect(up.summary.result).toBe('succeeded');
  const engId = up.outputs.engineeringId.value as string;
  const mktId = up.outputs.marketingId.value as string;
  expect(await admin.getGroup(engId)).toMatchObject({ name: 'Engineering', projectCount: 1 });
  expect(await admin.getGroup(mktId)).toMatchObject({ name: 'Marketing', projectCount: 1 });
  expect((await admin.getProject(web.id))?.billingGroupId).toBe(engId);
  expect((await admin.getProject(api.id))?.billingGroupId).toBe(mktId);
  expect((await admin.listPermissions(engId)).map((p) => p.userId)).toContain(viewer.id);
  expect((await admin.getGroup(mainId))?.paymentMethod?.type).toBe('card');

  const again = await stack.preview();
  expect(Object.keys(again.changeSummary)).toEqual(['same']);

  // Engineering has deletionProtection, which also sets Pulumi's `protect`: the engine
  // refuses to delete it (its own message, not the provider's). It still deletes what is
  // not protected: Marketing is gone.
  const refused = await failureOf(stack.destroy());
  expect(refused).toMatch(/protect/i);
  expect(await admin.getGroup(engId)).not.toBeNull();
  expect(await admin.getGroup(mktId)).toBeNull();
  expect((await admin.getProject(api.id))?.billingGroupId).toBe(mainId);
});
