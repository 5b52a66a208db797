/**
 * Runtime checks for messages that cross a trust boundary (a webview page may post anything), built from small
 * typed guards. Each protocol declares its checker next to its message interfaces, and the types hold the two
 * together: a message type without a checker, a field without a guard, or a guard that admits a wider type
 * than the field's does not compile. Pure: used by the host and by tests alike.
 */

/** A runtime check that narrows `unknown` to `T`. */
export type Guard<T> = (v: unknown) => v is T;

export const isString: Guard<string> = (v): v is string => typeof v === 'string';
export const isBoolean: Guard<boolean> = (v): v is boolean => typeof v === 'boolean';
/** A finite number (JSON cannot carry NaN or infinities, so anything else is not from a well-behaved page). */
export const isNumber: Guard<number> = (v): v is number => typeof v === 'number' && Number.isFinite(v);
/** A count or an index: a whole number, zero or more. */
export const isIndex: Guard<number> = (v): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** One of a few literal values. */
export function oneOf<const T extends readonly (string | number | boolean | null)[]>(...values: T): Guard<T[number]> {
  return (v): v is T[number] => values.includes(v as T[number]);
}

/** `T` or absent. */
export function optional<T>(g: Guard<T>): Guard<T | undefined> {
  return (v): v is T | undefined => v === undefined || g(v);
}

export function nullable<T>(g: Guard<T>): Guard<T | null> {
  return (v): v is T | null => v === null || g(v);
}

export function arrayOf<T>(g: Guard<T>): Guard<T[]> {
  return (v): v is T[] => Array.isArray(v) && v.every((x) => g(x));
}

/** A plain object used as a map from string keys to `T`. */
export function recordOf<T>(g: Guard<T>): Guard<Record<string, T>> {
  return (v): v is Record<string, T> => isPlainObject(v) && Object.values(v).every((x) => g(x));
}

/** One guard per property of `T`, optional properties included (their guard must admit `undefined`). */
export type FieldGuards<T> = { [K in keyof Required<T>]: Guard<T[K]> };

/** An object whose listed properties pass their guards; properties not listed are left alone. */
export function objectOf<T>(shape: FieldGuards<T>): Guard<T> {
  return (v): v is T => isPlainObject(v) && firstBadField(v, shape as Record<string, Guard<unknown>>) === undefined;
}

/** What a checker says about a message: the message, typed, or why it was refused. */
export type Checked<M> = { ok: true; message: M } | { ok: false; error: string };

/** The fields of every message of a union, by its `type`; `type` itself is checked by the dispatcher. */
export type MessageShapes<M extends { type: string }> = { [K in M['type']]: FieldGuards<Omit<Extract<M, { type: K }>, 'type'>> };

/**
 * A checker for a message union: the `type` must be one of the union's, and every field of that message must
 * pass its guard. The refusal names the message type and the first bad field, for the log.
 */
export function messageChecker<M extends { type: string }>(shapes: MessageShapes<M>): (raw: unknown) => Checked<M> {
  const byType = shapes as Record<string, Record<string, Guard<unknown>>>;
  return (raw) => {
    if (!isPlainObject(raw)) return { ok: false, error: 'a message must be an object' };
    const type = raw['type'];
    if (typeof type !== 'string' || !Object.hasOwn(byType, type)) return { ok: false, error: `unknown message type ${JSON.stringify(type)}` };
    const bad = firstBadField(raw, byType[type]!);
    if (bad !== undefined) return { ok: false, error: `'${type}' message with a missing or malformed '${bad}'` };
    return { ok: true, message: raw as M };
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstBadField(o: Record<string, unknown>, shape: Record<string, Guard<unknown>>): string | undefined {
  for (const [key, guard] of Object.entries(shape)) if (!guard(o[key])) return key;
  return undefined;
}
