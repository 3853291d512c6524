/** The engine switch of the Terraform-protocol suites: TF_ENGINES and finding a binary. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { engineBinary, tfEngines } from './terraform';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'engines-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function exe(dir: string, name: string, mode = 0o755): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\n', { mode });
  return file;
}

test('TF_ENGINES: both by default, one or both by name, an unknown name throws', () => {
  // Unset means both (CI's Node 22/24 runs set TF_ENGINES=terraform: read without it here).
  const saved = process.env.TF_ENGINES;
  delete process.env.TF_ENGINES;
  try {
    expect(tfEngines()).toEqual(['terraform', 'tofu']);
  } finally {
    if (saved !== undefined) process.env.TF_ENGINES = saved;
  }
  expect(tfEngines('')).toEqual(['terraform', 'tofu']);
  expect(tfEngines('tofu')).toEqual(['tofu']);
  expect(tfEngines('tofu, terraform tofu')).toEqual(['tofu', 'terraform']);
  expect(() => tfEngines('opentofu')).toThrow('TF_ENGINES: unknown engine "opentofu" (use terraform, tofu, or both: "terraform,tofu")');
});

test('.engines/bin first, then PATH in order; a file that is not executable does not count', () => {
  const bin = path.join(root, 'engines-bin');
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  exe(a, 'tofu', 0o644);
  const onPath = exe(b, 'tofu');
  expect(engineBinary('tofu', bin, [a, b].join(path.delimiter))).toBe(onPath);
  const local = exe(bin, 'tofu');
  expect(engineBinary('tofu', bin, [a, b].join(path.delimiter))).toBe(local);
});

test('missing: an error that says how to get it', () => {
  expect(() => engineBinary('tofu', path.join(root, 'none'), root)).toThrow('OpenTofu not found: run `npm run engines`');
  expect(() => engineBinary('terraform', path.join(root, 'none'), root)).toThrow(/^Terraform not found: install terraform >= 1\.11 on PATH/);
});
