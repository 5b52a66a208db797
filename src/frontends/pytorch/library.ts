/**
 * The libraries a model file imports, as the interpreter sees them, wired together in one place. Each job
 * is its own module: Python's built-in types (`pythonTypes.ts`), the standard library (`stdlib.ts`),
 * `nn.Module` and its containers (`nnModule.ts`), the catalogue's layers (`layers.ts`), `torch` and
 * `torch.nn.functional` (`torchFunctions.ts`), tensor methods (`tensorMethods.ts`) and operators
 * (`tensorOperators.ts`), over the graph being built (`graphContext.ts`). They reach the interpreter only
 * through the `Runtime` interface.
 */
import { GraphContext } from './graphContext';
import { ModuleRegistry } from './imports';
import { Layers } from './layers';
import { NnModules } from './nnModule';
import { PythonTypes } from './pythonTypes';
import type { Runtime } from './runtime';
import { Stdlib } from './stdlib';
import { TensorMethods } from './tensorMethods';
import { TensorOperators } from './tensorOperators';
import { TorchFunctions } from './torchFunctions';
import { BuiltinClass } from './values';

export type { AddEvent, LayerEvent } from './graphContext';

export class Library {
  /** The graph being built, and what the quick fixes read after the run. */
  readonly graph: GraphContext;
  /** Importable modules by dotted name. */
  readonly modules: ModuleRegistry;
  readonly python: PythonTypes;
  readonly stdlib: Stdlib;
  readonly layers: Layers;
  readonly nn: NnModules;
  readonly operators: TensorOperators;
  readonly torch: TorchFunctions;
  readonly tensors: TensorMethods;

  constructor(rt: Runtime) {
    this.graph = new GraphContext(rt);
    this.modules = new ModuleRegistry(rt.file);
    this.python = new PythonTypes(rt);
    const moduleClass = new BuiltinClass('Module', 'torch.nn.Module', 'module', this.python.objectClass);
    this.layers = new Layers(rt, this.graph, moduleClass);
    this.nn = new NnModules(rt, this.graph, this.modules, this.layers, moduleClass);
    this.operators = new TensorOperators(rt, this.graph);
    this.torch = new TorchFunctions(rt, this.graph, this.modules, this.python, this.nn, this.operators);
    this.tensors = new TensorMethods(rt, this.graph, this.modules, this.python, this.torch, this.operators);
    this.stdlib = new Stdlib(rt, this.modules, this.python);
  }
}
