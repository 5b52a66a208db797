// Writes src/frontends/pytorch/grammar/parser.ts and parser.terms.ts from python.grammar (our patched copy of
// @lezer/python's grammar) with @lezer/generator. The output is committed, so building needs no generator run.
// Run: node --import tsx scripts/genGrammar.ts   (test/pytorch/grammar.test.ts checks the output is current)
import { readFileSync, writeFileSync } from 'node:fs';
import { buildParserFile } from '@lezer/generator';

export const GRAMMAR_DIR = 'src/frontends/pytorch/grammar';

export function generateGrammar(): { parser: string; terms: string } {
  const { parser, terms } = buildParserFile(readFileSync(`${GRAMMAR_DIR}/python.grammar`, 'utf8'), {
    fileName: 'python.grammar',
    moduleStyle: 'es',
    typeScript: true,
  });
  return { parser, terms };
}

if (process.argv[1]?.endsWith('genGrammar.ts')) {
  const { parser, terms } = generateGrammar();
  writeFileSync(`${GRAMMAR_DIR}/parser.ts`, parser);
  writeFileSync(`${GRAMMAR_DIR}/parser.terms.ts`, terms);
}
