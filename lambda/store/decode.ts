/**
 * Decoding one Kafka record of an MSK event (base64 key and value) into the record the ingest stage produced:
 * key = the record id after field handling, value = JSON object of the handled record plus `_ingestedAt` and
 * `_dataset` (lambda/ingest/kafka.ts). A record that does not decode is refused with a reason that names the
 * rule broken — never the bytes, which may be anything.
 */
import type { MSKRecord } from 'aws-lambda';
import { DATASET_NAME } from '../shared/environment';

export type Decoded =
  | { readonly ok: true; readonly id: string; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/** Standard base64 with padding, as Lambda encodes keys and values (Buffer.from would skip invalid characters). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeRecord(record: MSKRecord, dataset: string): Decoded {
  const key = decodeText(record.key, 'key');
  if (!key.ok) return key;
  if (key.text === undefined || key.text === '') return refuse('the record has no key (the record id)');

  const value = decodeText(record.value, 'value');
  if (!value.ok) return value;
  if (value.text === undefined || value.text === '') return refuse('the record has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.text);
  } catch {
    return refuse(`the value (${Buffer.byteLength(value.text)} bytes) is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return refuse(`the value is JSON but not an object (got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed})`);
  }
  const object = parsed as Record<string, unknown>;
  const named = Object.prototype.hasOwnProperty.call(object, '_dataset') ? object._dataset : undefined;
  if (named !== dataset) {
    // A dataset name is not data; anything that is not shaped like one is not echoed.
    const shown = typeof named === 'string' && DATASET_NAME.test(named) ? `"${named}"` : named === undefined ? 'nothing' : 'an invalid name';
    return refuse(`the value's _dataset names ${shown}, not "${dataset}" (wrong topic or producer)`);
  }
  return { ok: true, id: key.text, value: object };
}

type Text = { readonly ok: true; readonly text: string | undefined } | { readonly ok: false; readonly reason: string };

function decodeText(encoded: string | null | undefined, part: 'key' | 'value'): Text {
  if (encoded === undefined || encoded === null) return { ok: true, text: undefined };
  if (typeof encoded !== 'string' || !BASE64.test(encoded)) return refuse(`the ${part} is not valid base64`);
  try {
    return { ok: true, text: utf8.decode(Buffer.from(encoded, 'base64')) };
  } catch {
    return refuse(`the ${part} is not valid UTF-8`);
  }
}

function refuse(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}
