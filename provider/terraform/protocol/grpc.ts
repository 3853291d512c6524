/**
 * gRPC service definitions for `tfplugin6.Provider` and `plugin.GRPCController`, built
 * from the precompiled JSON descriptor (no .proto parsing, no proto-loader). Messages
 * reach handlers as plain objects with the protocol's snake_case field names; int64
 * become numbers; bytes stay Buffers; absent fields are absent (proto3 zero values may
 * be missing); enums are their names.
 *
 * Start-up: the method table comes straight from the descriptor JSON; protobufjs (and
 * its reflection of the descriptor, ~20 ms) is loaded on the first message, after the
 * handshake line is out, while Terraform is still connecting.
 */
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import type * as Protobuf from 'protobufjs';
import descriptor from './tfplugin6.descriptor.json';

type Codec = { encode(obj: object): Buffer; decode(buf: Buffer): any };

let root: Protobuf.Root | undefined;
function getRoot(): Protobuf.Root {
  if (!root) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const protobuf = require('protobufjs/light') as typeof Protobuf;
    root = protobuf.Root.fromJSON(descriptor as Protobuf.INamespace);
  }
  return root;
}

const codecs = new Map<string, Codec>();

/** A message type's encoder/decoder pair between Buffers and plain objects (e.g. `tfplugin6.Diagnostic`). */
export function messageCodec(fullName: string): Codec {
  let codec = codecs.get(fullName);
  if (!codec) {
    const type = getRoot().lookupType(fullName);
    const toObject: Protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: true, objects: true, oneofs: true };
    codec = {
      encode: (obj) => Buffer.from(type.encode(type.fromObject(obj)).finish()),
      decode: (buf) => type.toObject(type.decode(buf), toObject),
    };
    codecs.set(fullName, codec);
  }
  return codec;
}

/** A codec created on first use. */
function lazyCodec(fullName: string): Codec {
  return {
    encode: (obj) => messageCodec(fullName).encode(obj),
    decode: (buf) => messageCodec(fullName).decode(buf),
  };
}

interface JsonNamespace {
  nested?: Record<string, JsonNamespace & { methods?: Record<string, { requestType: string; responseType: string }> }>;
}

/** `pkg.Service` → its methods in the descriptor JSON. */
function jsonService(fullName: string): Record<string, { requestType: string; responseType: string }> {
  const parts = fullName.split('.');
  let node: any = descriptor as JsonNamespace;
  for (const p of parts) node = node?.nested?.[p];
  if (!node?.methods) throw new Error(`no service ${fullName} in the protocol descriptor`);
  return node.methods;
}

/** grpc-js ServiceDefinition of a service in the descriptor (e.g. `tfplugin6.Provider`). */
export function serviceDefinition(fullName: string): ServiceDefinition {
  const pkg = fullName.slice(0, fullName.lastIndexOf('.'));
  const def: Record<string, MethodDefinition<any, any>> = {};
  for (const [name, m] of Object.entries(jsonService(fullName))) {
    // Request/response types are relative to the package (`GetMetadata.Request`).
    const req = lazyCodec(`${pkg}.${m.requestType}`);
    const res = lazyCodec(`${pkg}.${m.responseType}`);
    def[name] = {
      path: `/${fullName}/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: req.encode,
      requestDeserialize: req.decode,
      responseSerialize: res.encode,
      responseDeserialize: res.decode,
      originalName: name,
    };
  }
  return def as ServiceDefinition;
}

/** Names of the RPCs of a service, as declared. */
export function methodNames(fullName: string): string[] {
  return Object.keys(jsonService(fullName));
}
