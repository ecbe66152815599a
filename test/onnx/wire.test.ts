import { describe, expect, it } from 'vitest';
import { ModelProtoSchema } from 'onnx-buf';
import { lenHeader, locateWireError, readVarint, scanFields, varint, varintSize } from '../../src/onnx/wire.js';

describe('wire format helpers', () => {
  it('write and read varints up to 2^53', () => {
    for (const n of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 53 - 1]) {
      const b = varint(n);
      expect(b.length).toBe(varintSize(n));
      expect(readVarint(b, 0)).toEqual([n, b.length]);
    }
  });

  it('split a message into fields with their payload ranges', () => {
    const bytes = Uint8Array.from([0x08, 0x07, ...lenHeader(7, 2), 0xaa, 0xbb, 0x3d, 1, 2, 3, 4]);
    expect(scanFields(bytes, 0, bytes.length)).toEqual([
      { no: 1, wireType: 0, start: 0, dataStart: 1, end: 2 },
      { no: 7, wireType: 2, start: 2, dataStart: 4, end: 6 },
      { no: 7, wireType: 5, start: 6, dataStart: 7, end: 11 },
    ]);
  });

  it('locate the first structural problem, inside nested messages too', () => {
    expect(locateWireError(ModelProtoSchema, Uint8Array.from([0x08, 0x07]))).toBeUndefined();
    // graph (field 7) holding a node (field 1) whose op_type (field 4) claims 9 bytes with 1 left
    const bad = Uint8Array.from([0x3a, 0x05, 0x0a, 0x03, 0x22, 0x09, 0x41]);
    expect(locateWireError(ModelProtoSchema, bad)).toMatchObject({ pos: 4, message: 'in graph.node[0]: field 4 claims 9 bytes but only 1 remain' });
    // ir_version (varint field 1) written as a length-delimited field
    expect(locateWireError(ModelProtoSchema, Uint8Array.from([0x0a, 0x00]))).toMatchObject({ pos: 0, message: 'ir_version has wire type 2, expected 0' });
    expect(locateWireError(ModelProtoSchema, Uint8Array.from([0x0b]))).toMatchObject({ pos: 0, message: 'field 1 has invalid wire type 3' });
  });
});
