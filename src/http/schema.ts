// TypeBox builders for the JSON schemas of the admin API, for what TypeBox writes differently from
// the schemas we publish: a string enum as { type: 'string', enum }, a nullable value as
// { type: [t, 'null'] } (not anyOf), a timestamp the serialiser takes as a Date. The route types
// are derived from these schemas (TypeBoxTypeProvider), so a schema and its handler cannot disagree.
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

/** One of these strings (the const array is the one source of the type and of the schema's enum). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** The schema, or null: { type: [type, 'null'] } and null added to an enum. */
export function Nullable<T extends TSchema>(schema: T, options: Record<string, unknown> = {}): TUnsafe<Static<T> | null> {
  const s = schema as unknown as { type: string; enum?: unknown[] };
  return Type.Unsafe<Static<T> | null>({ ...s, type: [s.type, 'null'], ...(s.enum ? { enum: [...s.enum, null] } : {}), ...options });
}

/** A timestamp: an ISO 8601 string on the wire, written from a Date (or a string) by the serialiser. */
export function DateTime(description?: string): TUnsafe<Date | string> {
  return Type.Unsafe<Date | string>({ type: 'string', ...(description === undefined ? {} : { description }), format: 'date-time' });
}
