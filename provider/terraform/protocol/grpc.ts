/**
 * gRPC service definitions for `tfplugin6.Provider` and `plugin.GRPCController`, built
 * from the precompiled JSON descriptor with protobufjs/light (no .proto parsing and no
 * proto-loader at start-up). Messages reach handlers as plain objects with the
 * protocol's snake_case field names; int64 become numbers; bytes stay Buffers; absent
 * fields are absent (proto3 zero values may be missing).
 */
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs/light';
import descriptor from './tfplugin6.descriptor.json';

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: true, objects: true, oneofs: true };

let root: protobuf.Root | undefined;
function getRoot(): protobuf.Root {
  if (!root) {
    root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
    root.resolveAll();
  }
  return root;
}

/** A message type's encoder/decoder pair between Buffers and plain objects. */
export function messageCodec(fullName: string): { encode(obj: object): Buffer; decode(buf: Buffer): any } {
  const type = getRoot().lookupType(fullName);
  return {
    encode: (obj) => Buffer.from(type.encode(type.fromObject(obj)).finish()),
    decode: (buf) => type.toObject(type.decode(buf), TO_OBJECT),
  };
}

/** grpc-js ServiceDefinition of a service in the descriptor (e.g. `tfplugin6.Provider`). */
export function serviceDefinition(fullName: string): ServiceDefinition {
  const service = getRoot().lookupService(fullName);
  const def: Record<string, MethodDefinition<any, any>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = messageCodec(method.resolvedRequestType!.fullName.replace(/^\./, ''));
    const res = messageCodec(method.resolvedResponseType!.fullName.replace(/^\./, ''));
    def[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: req.encode,
      requestDeserialize: req.decode,
      responseSerialize: res.encode,
      responseDeserialize: res.decode,
      originalName: method.name,
    };
  }
  return def as ServiceDefinition;
}

/** Names of the RPCs of a service, as declared. */
export function methodNames(fullName: string): string[] {
  return getRoot().lookupService(fullName).methodsArray.map((m) => m.name);
}
