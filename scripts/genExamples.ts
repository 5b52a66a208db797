// Writes examples/*.resnet.json from the templates and schemas/resnet.schema.json from the catalogue.
// Run: node --import tsx scripts/genExamples.ts
import { writeFileSync } from 'node:fs';
import { designSchema } from '../src/frontends/designSchema';
import { TEMPLATES } from '../src/frontends/templates';

const wanted = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'cifar-resnet20', 'cifar-resnet56', 'cifar-resnet110', 'tiny-resnet', 'resnext50_32x4d', 'wide_resnet50_2'];
for (const t of TEMPLATES.filter((t) => wanted.includes(t.id))) {
  writeFileSync(`examples/${t.id}.resnet.json`, JSON.stringify(t.make(), null, 2) + '\n');
}
writeFileSync('schemas/resnet.schema.json', JSON.stringify(designSchema(), null, 2) + '\n');
