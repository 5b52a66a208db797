// Writes the generated artefacts that are committed:
// - examples/*.resnet.json from the templates,
// - schemas/resnet.schema.json from the layer catalogue,
// - src/frontends/designValidator.generated.ts, the schema compiled ahead of time by Ajv (compiling it at
//   run time costs ~100 ms, too much for CLI start-up and the first analysis in the editor).
// Run: node --import tsx scripts/genExamples.ts   (test/design.test.ts checks all three are current)
import { writeFileSync } from 'node:fs';
import { designSchema, validatorSource } from '../src/frontends/designSchema';
import { TEMPLATES } from '../src/frontends/templates';

export const EXAMPLE_IDS = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'cifar-resnet20', 'cifar-resnet56', 'cifar-resnet110', 'tiny-resnet', 'resnext50_32x4d', 'wide_resnet50_2'];

if (process.argv[1]?.endsWith('genExamples.ts')) {
  for (const t of TEMPLATES.filter((t) => EXAMPLE_IDS.includes(t.id))) {
    writeFileSync(`examples/${t.id}.resnet.json`, JSON.stringify(t.make(), null, 2) + '\n');
  }
  writeFileSync('schemas/resnet.schema.json', JSON.stringify(designSchema(), null, 2) + '\n');
  writeFileSync('src/frontends/designValidator.generated.ts', validatorSource());
}
