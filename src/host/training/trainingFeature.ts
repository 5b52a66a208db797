/**
 * The training feature's code, loaded on its first use: the extension bundle keeps only `index.ts` (the
 * commands, the metrics panel's serializer and the graph's telemetry feed, each loading this at first call),
 * and this module is its own bundle, `dist/trainingFeature.js`, required from there (`scripts/build.mjs`).
 */
export { TrainingController } from './controller';
export { trainCommand } from './trainFlow';
