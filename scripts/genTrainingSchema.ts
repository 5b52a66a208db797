// Writes the training contract's JSON Schemas, generated from src/protocol/trainingProtocol.ts, beside the
// Python runner that ships with them:
// - python/resnet_studio/run_config.schema.json: the runner validates config.json against it and takes its
//   defaults from it,
// - python/resnet_studio/training_rows.schema.json: what every row of metrics.jsonl must be.
// Run: node --import tsx scripts/genTrainingSchema.ts   (test/training/contract.test.ts checks both are current)
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runConfigJsonSchema, trainingRowsJsonSchema } from '../src/protocol/trainingProtocol';

export const SCHEMA_DIR = path.join('python', 'resnet_studio');

/** File name (in {@link SCHEMA_DIR}) and text of each generated schema. */
export function trainingSchemaFiles(): { file: string; text: string }[] {
  return [
    { file: 'run_config.schema.json', text: JSON.stringify(runConfigJsonSchema(), null, 2) + '\n' },
    { file: 'training_rows.schema.json', text: JSON.stringify(trainingRowsJsonSchema(), null, 2) + '\n' },
  ];
}

if (process.argv[1]?.endsWith('genTrainingSchema.ts')) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const { file, text } of trainingSchemaFiles()) writeFileSync(path.join(SCHEMA_DIR, file), text);
}
