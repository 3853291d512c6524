/**
 * Build-time only: compiles `tfplugin6.proto` + `controller.proto` into the protobufjs
 * JSON descriptor `tfplugin6.descriptor.json` that the provider loads at start-up
 * (parsing .proto text there would cost ~200 ms on every launch). Run by
 * scripts/bundle.js; a test checks the committed descriptor matches the .proto files.
 */
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

export const PROTO_FILES = ['tfplugin6.proto', 'controller.proto'];

/** Parse the .proto files of `dir` (field names kept as written) into a JSON descriptor. */
export function compileProtoDescriptor(dir: string = __dirname): protobuf.INamespace {
  const root = new protobuf.Root();
  for (const f of PROTO_FILES) root.loadSync(path.join(dir, f), { keepCase: true });
  root.resolveAll();
  return root.toJSON({ keepComments: false });
}

/** The descriptor as the committed file's text (stable key order, trailing newline). */
export function descriptorText(dir: string = __dirname): string {
  return JSON.stringify(compileProtoDescriptor(dir), null, 1) + '\n';
}
