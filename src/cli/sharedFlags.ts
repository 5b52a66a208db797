/**
 * Flags several subcommands declare alike: which model of a file, with what arguments and input, and where a
 * PyTorch file's imports are found.
 */
import { DEFAULT_INPUT } from '../core/ir';
import { flag } from './flags';

/** Which model of a file, with what arguments and input: `analyze` and `train` read the file the same way. */
export const MODEL_FLAGS = {
  model: flag.string({ metavar: 'NAME', help: 'The class or function to build, when the file defines several' }),
  args: flag.string({ metavar: 'ARGS', help: 'Arguments for it, in Python call syntax: "num_classes=10"' }),
  input: flag.shape({ help: 'Input shape', defaultText: `the file's "# resnet-studio: input=(...)" comment or the design's input, else ${DEFAULT_INPUT.join(',')}` }),
};

/** Where a PyTorch file's imports are found: `analyze` and `check` resolve them the same way. */
export const IMPORT_FLAGS = {
  python: flag.string({ metavar: 'PATH', help: 'The Python interpreter whose installed packages imports are read from (statically, never run)' }),
  path: flag.strings({ metavar: 'DIR', help: 'A folder to resolve imports from, after the working directory (and its src/); repeatable', defaultText: 'none' }),
};

