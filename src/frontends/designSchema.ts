/**
 * The JSON Schema of `*.resnet.json`, generated from the layer catalogue so that a new operator appears in
 * editor completion without touching this file. `schemas/resnet.schema.json` is this object written out
 * (scripts/genSchema.ts); a test keeps the two equal.
 */
import type { ErrorObject } from 'ajv';
import { validate as compiledValidator } from './designValidator.generated';
import type { Diagnostic } from '../core/ir';
import { type JsonSource, pointerToPath } from '../core/jsonSource';
import { OP_NAMES, OP_SPECS, type OpName, torchSpelling } from '../core/ops';

const INTERNAL_OPS = new Set(['input', 'opaque']);

export function layerTypes(): OpName[] {
  return OP_NAMES.filter((k) => !INTERNAL_OPS.has(k));
}

const numExpr = { type: ['number', 'string'], description: 'A number, or an expression over block variables such as "planes * expansion".' };

export function designSchema(): Record<string, unknown> {
  const types = layerTypes();
  const perOp = types.map((t) => ({
    if: { properties: { type: { const: t } } },
    then: {
      properties: Object.fromEntries(
        Object.entries(OP_SPECS[t].defaults).map(([k, v]) => [
          k,
          {
            description: `${torchSpelling(t)} argument \`${k}\`${v === null ? '' : ` (default ${JSON.stringify(v)})`}${OP_SPECS[t].inferred?.[k] ? '; inferred from the input when omitted' : ''}.`,
          },
        ]),
      ),
    },
  }));
  const layerList = { type: 'array', items: { $ref: '#/definitions/layer' } };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://resnet-studio.dev/schemas/resnet.schema.json',
    title: 'ResNet Studio design',
    description: 'A residual network design: input shape, optional custom blocks, and a list of layers and stages.',
    type: 'object',
    required: ['layers'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', description: 'Model name shown in summaries.' },
      description: { type: 'string' },
      input: {
        type: 'array',
        items: { type: 'integer', minimum: 1 },
        minItems: 3,
        maxItems: 4,
        description: 'Input shape [N, C, H, W] (or [C, H, W]). Default [1, 3, 224, 224].',
      },
      vars: { type: 'object', additionalProperties: { type: 'number' }, description: 'Named numbers usable in expressions (e.g. num_classes, width).' },
      blocks: { type: 'object', additionalProperties: { $ref: '#/definitions/block' }, description: 'Custom residual blocks, used by stages through `block`.' },
      layers: { type: 'array', items: { $ref: '#/definitions/item' }, description: 'Layers and stages, in order.' },
    },
    definitions: {
      item: { if: { type: 'object', required: ['stage'] }, then: { $ref: '#/definitions/stage' }, else: { $ref: '#/definitions/layer' } },
      layer: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: types, description: 'Layer or tensor operation type.' },
          name: { type: 'string', description: 'Module name (PyTorch module path component).' },
          id: { type: 'string', description: 'Reference for `inputs` of other layers; defaults to `name`.' },
          inputs: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Input layer ids; "input" is the enclosing input. Defaults to the previous layer.' },
          comment: { type: 'string' },
        },
        allOf: perOp,
      },
      stage: {
        type: 'object',
        required: ['stage', 'block', 'count', 'planes'],
        properties: {
          stage: { type: 'string', description: 'Stage name, e.g. layer1.' },
          block: { type: 'string', description: 'Built-in block (basic, bottleneck, cifar) or a key of `blocks`.' },
          count: { ...numExpr, description: 'Number of blocks.' },
          planes: { ...numExpr, description: 'Block width before expansion.' },
          stride: { ...numExpr, description: 'Stride of the first block (default 1).' },
          inputs: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1 },
          comment: { type: 'string' },
        },
        additionalProperties: numExpr,
      },
      block: {
        type: 'object',
        required: ['main'],
        additionalProperties: false,
        properties: {
          label: { type: 'string', description: 'Class name shown for the block (e.g. Bottleneck).' },
          expansion: numExpr,
          params: { type: 'object', additionalProperties: numExpr, description: 'Block parameters with defaults; stages may override them.' },
          let: { type: 'object', additionalProperties: numExpr, description: 'Derived values, evaluated in order.' },
          main: layerList,
          shortcut: {
            oneOf: [
              { enum: ['projection', 'identity', 'A'] },
              {
                type: 'object',
                required: ['layers'],
                additionalProperties: false,
                properties: { when: { type: 'string' }, layers: layerList },
              },
            ],
            description: 'projection: 1x1 conv + BatchNorm when shapes change; A: subsample and zero-pad channels; identity; or custom layers.',
          },
          post: layerList,
        },
      },
    },
  };
}

/**
 * Source of a standalone validator module for `designSchema()` (Ajv's ahead-of-time compilation). Dev-time
 * only: `ajv` is required lazily so that it never loads in the CLI or the extension.
 */
export function validatorSource(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const standalone = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  const ajv = new Ajv({ allErrors: true, strict: false, code: { source: true, esm: true } });
  // Descriptions serve the editor only; leaving them out keeps the generated module (and start-up) small.
  const code = standalone(ajv, ajv.compile(withoutDescriptions(designSchema()) as Record<string, unknown>));
  const fn = /export default (\w+);/.exec(code)?.[1];
  if (!fn) throw new Error('unexpected Ajv standalone output');
  const body = code.replace(/^"use strict";/, '').replace(/export (default|const) \w+ = \w+;|export default \w+;/g, '');
  return `// @ts-nocheck\n// Generated by scripts/genExamples.ts from designSchema(); do not edit.\n${body}\nexport const validate = ${fn};\n`;
}

/** Drops `description` annotations (not properties that happen to be called "description"). */
function withoutDescriptions(v: unknown, keysAreNames = false): unknown {
  if (Array.isArray(v)) return v.map((x) => withoutDescriptions(x));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k, x]) => keysAreNames || (k !== 'description' && !(k === 'then' && isEmptyThen(x))))
      .map(([k, x]) => [k, keysAreNames ? withoutDescriptions(x) : withoutDescriptions(x, k === 'properties')]),
  );
}

/** A per-op `then` that only described attributes constrains nothing once descriptions are gone. */
function isEmptyThen(x: unknown): boolean {
  const props = (x as { properties?: Record<string, unknown> } | null)?.properties;
  return !!props && Object.values(props).every((p) => p !== null && typeof p === 'object' && Object.keys(p).every((k) => k === 'description'));
}

interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Validates the parsed design; every schema violation becomes an error diagnostic at the offending value. */
export function validateDesign(src: JsonSource): Diagnostic[] {
  const validator = compiledValidator as CompiledValidator;
  if (validator(src.value)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of validator.errors ?? []) {
    if (e.keyword === 'if' || e.keyword === 'oneOf') continue;
    const msg = describe(e, src.value);
    const key = `${e.instancePath}|${msg}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const path = pointerToPath(e.instancePath);
    if (e.keyword === 'additionalProperties') path.push(String((e.params as { additionalProperty: string }).additionalProperty));
    out.push({ severity: 'error', ...src.at(path), code: 'design/schema', message: msg });
  }
  return out;
}

function describe(e: ErrorObject, root: unknown): string {
  const where = e.instancePath || '(root)';
  switch (e.keyword) {
    case 'enum':
      if (e.instancePath.endsWith('/type')) {
        const got = pointerToPath(e.instancePath).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], root);
        return `unknown layer type '${String(got)}' at ${where} (known: ${layerTypes().join(', ')})`;
      }
      return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `${where}: missing property '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'additionalProperties':
      return `${where}: unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}
