/**
 * `resnet-studio new --template NAME`: a new `*.resnet.json` design from one of the templates of the
 * `New ResNet from Template…` wizard, to `--out` or standard output.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { UsageError } from '../core/usageError';
import { newDesignText } from '../codegen/newDesign';
import type { NewInput } from './commands';
import type { CliIo } from './flags';

export function newModel({ flags }: NewInput, io: CliIo): number {
  if (flags.template === undefined) throw new UsageError('--template is required');
  const text = newDesignText(flags.template, {
    ...(flags.numClasses !== undefined ? { numClasses: flags.numClasses } : {}),
    ...(flags.inputSize !== undefined ? { inputSize: flags.inputSize } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
  });
  if (flags.out === undefined || flags.out === '-') {
    io.out(text.replace(/\n$/, ''));
    return 0;
  }
  if (existsSync(flags.out) && !flags.force) throw new UsageError(`${flags.out} exists; give --force to replace it`);
  try {
    writeFileSync(flags.out, text);
  } catch (e) {
    throw new UsageError(`cannot write ${flags.out}: ${(e as Error).message}`);
  }
  io.out(`wrote ${flags.out}`);
  return 0;
}
