// Protobuf wire format by hand, so that tests can send messages no
// well-behaved encoder would produce: invalid UTF-8 in a string, a field with
// the wrong wire type, a field number the contract does not have.

/** Wire types of the protobuf encoding (https://protobuf.dev/programming-guides/encoding/). */
export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const;

/** An unsigned integer as a base-128 varint. */
export function varint(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint of ${value}`);
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A field's key: its number and wire type. */
export function fieldKey(fieldNumber: number, wireType: number): Buffer {
  return varint(fieldNumber * 8 + wireType);
}

export function varintField(fieldNumber: number, value: number): Buffer {
  return Buffer.concat([fieldKey(fieldNumber, WireType.varint), varint(value)]);
}

/** A string, bytes or embedded message field: the bytes are sent as given, valid or not. */
export function bytesField(fieldNumber: number, bytes: Uint8Array | string): Buffer {
  const payload = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return Buffer.concat([fieldKey(fieldNumber, WireType.lengthDelimited), varint(payload.length), payload]);
}

/** books.Book as the contract numbers it: id = 1, title = 2, author = 3. */
export function bookBytes(id: number, title: Uint8Array | string, author: Uint8Array | string): Buffer {
  return Buffer.concat([varintField(1, id), bytesField(2, title), bytesField(3, author)]);
}

/** books.BookIdRequest: id = 1. */
export function bookIdBytes(id: number): Buffer {
  return varintField(1, id);
}
