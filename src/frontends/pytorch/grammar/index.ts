/**
 * The Python grammar, in its own module so that `ast.ts` can load it on first use: a CLI run whose syntax trees
 * all come from its cache never decodes the parse tables.
 */
export { parser } from './parser';
