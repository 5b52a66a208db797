/**
 * Where runs live, relative to the workspace folder, unless the caller chooses another root. Its own module so
 * the extension's activation can ask where the runs are without loading the run store and the training protocol.
 */
import * as path from 'node:path';

export const DEFAULT_RUNS_DIR = path.join('.resnet-studio', 'runs');
