/**
 * A small language for declaring the fields of the training contract as data: each field is a
 * {@link FieldSpec} (kind, bounds, default, description). From one table of specs come the TypeScript type
 * ({@link FieldsOf}, {@link ResolvedFieldsOf}), the validator ({@link validateFields}) and the JSON Schema
 * ({@link objectSchema}). The Python runner validates against that schema with a validator of its own, so the
 * schema keeps to a small subset: `type`, `enum`, `const`, `minimum`/`maximum`, `exclusiveMinimum`/
 * `exclusiveMaximum`, `minLength`, `items`, `minItems`/`maxItems`, `required` and `additionalProperties: false`.
 * Messages are worded the same on both sides (`python/resnet_studio/config_schema.py`).
 *
 * A field may be absent when it has a `default` (the reader fills it in) or is marked `optional`.
 */

interface Described {
  /** One sentence for the schema and for hovers; says what the value means, not its type. */
  readonly description: string;
  /** May be absent, and has no default: the reader decides (or the field is simply not reported). */
  readonly optional?: true;
}

export interface IntegerSpec extends Described {
  readonly kind: 'integer';
  readonly min?: number;
  readonly max?: number;
  readonly default?: number;
}

export interface NumberSpec extends Described {
  readonly kind: 'number';
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly exclusiveMax?: number;
  readonly default?: number;
}

export interface BooleanSpec extends Described {
  readonly kind: 'boolean';
  readonly default?: boolean;
}

export interface StringSpec extends Described {
  readonly kind: 'string';
  readonly enum?: readonly string[];
  readonly minLength?: number;
  /** `null` is a value of its own (an end row's `error`), not the same as absent. */
  readonly nullable?: true;
  readonly default?: string;
}

export interface ArraySpec extends Described {
  readonly kind: 'array';
  readonly items: IntegerSpecItem | NumberSpecItem | StringSpecItem;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly default?: readonly (number | string)[];
}

type Item<S> = Omit<S, 'description' | 'optional' | 'default'>;
type IntegerSpecItem = Item<IntegerSpec>;
type NumberSpecItem = Item<NumberSpec>;
type StringSpecItem = Item<StringSpec>;

export type FieldSpec = IntegerSpec | NumberSpec | BooleanSpec | StringSpec | ArraySpec;
export type FieldTable = Readonly<Record<string, FieldSpec>>;

// ---------------------------------------------------------------------------------------------------------
// Types derived from a table (declared `as const` so enums and fixed lengths survive)

type ItemValue<S> = S extends { kind: 'integer' | 'number' }
  ? number
  : S extends { kind: 'string'; enum: readonly (infer E)[] }
    ? E
    : S extends { kind: 'string' }
      ? string
      : never;

/** The TypeScript type of one field's value. A four-item array (a shape) is a tuple. */
export type ValueOf<S> = S extends { kind: 'integer' | 'number' }
  ? number
  : S extends { kind: 'boolean' }
    ? boolean
    : S extends { kind: 'string'; nullable: true }
      ? ItemValue<S> | null
      : S extends { kind: 'string' }
        ? ItemValue<S>
        : S extends { kind: 'array'; items: infer I; minItems: 4; maxItems: 4 }
          ? [ItemValue<I>, ItemValue<I>, ItemValue<I>, ItemValue<I>]
          : S extends { kind: 'array'; items: infer I }
            ? ItemValue<I>[]
            : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type AbsentAble<F> = { [K in keyof F]: F[K] extends { optional: true } ? K : F[K] extends { default: unknown } ? K : never }[keyof F];
type OptionalOnly<F> = { [K in keyof F]: F[K] extends { optional: true } ? K : never }[keyof F];

/** An object as written: fields with a default or marked optional may be absent. */
export type FieldsOf<F> = Simplify<
  { -readonly [K in Exclude<keyof F, AbsentAble<F>>]: ValueOf<F[K]> } & { -readonly [K in AbsentAble<F>]?: ValueOf<F[K]> }
>;

/** An object as read: defaults filled in, so only fields marked optional may be absent. */
export type ResolvedFieldsOf<F> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalOnly<F>>]: ValueOf<F[K]> } & { -readonly [K in OptionalOnly<F>]?: ValueOf<F[K]> }
>;

/** The table's defaults, as one object. */
export function defaultsOf(table: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    if (spec.default !== undefined) out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Validation

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** What is wrong with one value (named `name` in the message), or undefined when it is fine. */
export function checkValue(name: string, spec: FieldSpec | ArraySpec['items'], v: unknown): string | undefined {
  switch (spec.kind) {
    case 'integer':
    case 'number': {
      const want = spec.kind === 'integer' ? 'an integer' : 'a number';
      if (spec.kind === 'integer' ? !isInteger(v) : typeof v !== 'number' || !Number.isFinite(v)) return `${name} must be ${want}, got ${show(v)}`;
      const n = v as number;
      if (spec.min !== undefined && n < spec.min) return `${name} must be >= ${spec.min}, got ${show(v)}`;
      if (spec.max !== undefined && n > spec.max) return `${name} must be <= ${spec.max}, got ${show(v)}`;
      if ('exclusiveMin' in spec && spec.exclusiveMin !== undefined && !(n > spec.exclusiveMin)) return `${name} must be > ${spec.exclusiveMin}, got ${show(v)}`;
      if ('exclusiveMax' in spec && spec.exclusiveMax !== undefined && !(n < spec.exclusiveMax)) return `${name} must be < ${spec.exclusiveMax}, got ${show(v)}`;
      return undefined;
    }
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `${name} must be true or false, got ${show(v)}`;
    case 'string': {
      if (v === null && 'nullable' in spec && spec.nullable) return undefined;
      if (typeof v !== 'string') return `${name} must be a string, got ${show(v)}`;
      if (spec.enum && !spec.enum.includes(v)) return `${name} must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${show(v)}`;
      if (spec.minLength !== undefined && v.length < spec.minLength) return `${name} must not be empty`;
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(v)) return `${name} must be a list, got ${show(v)}`;
      if (spec.minItems !== undefined && spec.minItems === spec.maxItems && v.length !== spec.minItems) return `${name} must have ${spec.minItems} items, got ${show(v)}`;
      if (spec.minItems !== undefined && v.length < spec.minItems) return `${name} must have at least ${spec.minItems} items, got ${show(v)}`;
      if (spec.maxItems !== undefined && v.length > spec.maxItems) return `${name} must have at most ${spec.maxItems} items, got ${show(v)}`;
      for (let i = 0; i < v.length; i++) {
        const bad = checkValue(`${name}[${i}]`, spec.items, v[i]);
        if (bad) return bad;
      }
      return undefined;
    }
  }
}

/**
 * Every problem with `raw` as an object of `table`, in the table's order (missing and bad fields), then
 * unknown keys in the object's order. Empty when it is valid.
 */
export function validateFields(table: FieldTable, raw: unknown, options: { allowUnknown?: readonly string[] } = {}): string[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ['must be a JSON object'];
  const o = raw as Record<string, unknown>;
  const errors: string[] = [];
  for (const [key, spec] of Object.entries(table)) {
    const v = o[key];
    if (v === undefined) {
      if (spec.default === undefined && !spec.optional) errors.push(`'${key}' is missing`);
      continue;
    }
    const bad = checkValue(key, spec, v);
    if (bad) errors.push(bad);
  }
  for (const key of Object.keys(o)) {
    if (!(key in table) && !options.allowUnknown?.includes(key)) errors.push(`unknown key '${key}'`);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// JSON Schema

export type JsonSchema = Record<string, unknown>;

function itemSchema(spec: FieldSpec | ArraySpec['items']): JsonSchema {
  const s: JsonSchema = {};
  switch (spec.kind) {
    case 'integer':
    case 'number':
      s['type'] = spec.kind;
      if (spec.min !== undefined) s['minimum'] = spec.min;
      if (spec.max !== undefined) s['maximum'] = spec.max;
      if ('exclusiveMin' in spec && spec.exclusiveMin !== undefined) s['exclusiveMinimum'] = spec.exclusiveMin;
      if ('exclusiveMax' in spec && spec.exclusiveMax !== undefined) s['exclusiveMaximum'] = spec.exclusiveMax;
      break;
    case 'boolean':
      s['type'] = 'boolean';
      break;
    case 'string':
      s['type'] = 'nullable' in spec && spec.nullable ? ['string', 'null'] : 'string';
      if (spec.enum) s['enum'] = [...spec.enum, ...('nullable' in spec && spec.nullable ? [null] : [])];
      if (spec.minLength !== undefined) s['minLength'] = spec.minLength;
      break;
    case 'array':
      s['type'] = 'array';
      s['items'] = itemSchema(spec.items);
      if (spec.minItems !== undefined) s['minItems'] = spec.minItems;
      if (spec.maxItems !== undefined) s['maxItems'] = spec.maxItems;
      break;
  }
  return s;
}

/** One field's schema, with its description and default. */
export function fieldSchema(spec: FieldSpec): JsonSchema {
  const s: JsonSchema = { description: spec.description, ...itemSchema(spec) };
  if (spec.default !== undefined) s['default'] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  return s;
}

/** An object with exactly the table's fields; `extra` properties (a row's `type` constant) come first. */
export function objectSchema(table: FieldTable, extra: Record<string, JsonSchema> = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...extra };
  const required: string[] = Object.keys(extra);
  for (const [key, spec] of Object.entries(table)) {
    properties[key] = fieldSchema(spec);
    if (spec.default === undefined && !spec.optional) required.push(key);
  }
  return { type: 'object', required, additionalProperties: false, properties };
}
