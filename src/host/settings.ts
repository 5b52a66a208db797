/**
 * The extension's settings, read through one typed accessor. Parsing is pure (it takes a getter), so the
 * rules for bad values are unit-tested without VS Code; `package.json`'s `contributes.configuration`
 * declares the same keys and defaults.
 */
import type { LayoutDirection } from '../protocol/graphProtocol';

export const SETTINGS_SECTION = 'resnetStudio';

export type TrainingBackend = 'tfjs' | 'pytorch';

export interface StudioSettings {
  analysis: {
    /** Used when neither a per-model choice nor the file itself gives an input shape. */
    defaultInputShape: number[];
    /** Folders PyTorch imports are resolved from, after the workspace folders and `python.analysis.extraPaths`. */
    extraPaths: string[];
  };
  editor: {
    inlayHints: boolean;
    codeLens: boolean;
  };
  graph: {
    layoutDirection: LayoutDirection;
    autoCollapseThreshold: number;
  };
  training: {
    /** Relative paths are resolved against the first workspace folder by the training side. */
    runsDirectory: string;
    /** Empty: found automatically (Python extension, then PATH). */
    pythonPath: string;
    backend: TrainingBackend;
  };
}

export const DEFAULT_SETTINGS: StudioSettings = {
  analysis: { defaultInputShape: [1, 3, 224, 224], extraPaths: [] },
  editor: { inlayHints: true, codeLens: true },
  graph: { layoutDirection: 'DOWN', autoCollapseThreshold: 300 },
  training: { runsDirectory: '.resnet-studio/runs', pythonPath: '', backend: 'tfjs' },
};

/** Every key under `resnetStudio.`, as `package.json` contributes it. */
export const SETTING_KEYS = {
  defaultInputShape: 'analysis.defaultInputShape',
  extraPaths: 'analysis.extraPaths',
  inlayHints: 'editor.inlayHints.enabled',
  codeLens: 'editor.codeLens.enabled',
  layoutDirection: 'graph.layoutDirection',
  autoCollapseThreshold: 'graph.autoCollapseThreshold',
  runsDirectory: 'training.runsDirectory',
  pythonPath: 'training.pythonPath',
  backend: 'training.backend',
} as const;

/** Reads one key relative to the `resnetStudio` section; `undefined` when unset. */
export type SettingGetter = (key: string) => unknown;

/**
 * Builds typed settings from raw values. Values of the wrong type or out of range fall back to the
 * default rather than throwing: a typo in settings.json must never break analysis.
 */
export function parseSettings(get: SettingGetter): StudioSettings {
  const d = DEFAULT_SETTINGS;
  const bool = (key: string, fallback: boolean): boolean => {
    const v = get(key);
    return typeof v === 'boolean' ? v : fallback;
  };
  const str = (key: string, fallback: string): string => {
    const v = get(key);
    return typeof v === 'string' ? v.trim() : fallback;
  };
  const shape = parseShapeValue(get(SETTING_KEYS.defaultInputShape));
  const threshold = get(SETTING_KEYS.autoCollapseThreshold);
  const direction = get(SETTING_KEYS.layoutDirection);
  const backend = get(SETTING_KEYS.backend);
  return {
    analysis: {
      defaultInputShape: shape ?? [...d.analysis.defaultInputShape],
      extraPaths: stringList(get(SETTING_KEYS.extraPaths)),
    },
    editor: {
      inlayHints: bool(SETTING_KEYS.inlayHints, d.editor.inlayHints),
      codeLens: bool(SETTING_KEYS.codeLens, d.editor.codeLens),
    },
    graph: {
      layoutDirection: direction === 'DOWN' || direction === 'RIGHT' ? direction : d.graph.layoutDirection,
      autoCollapseThreshold:
        typeof threshold === 'number' && Number.isFinite(threshold) && threshold >= 0 ? Math.floor(threshold) : d.graph.autoCollapseThreshold,
    },
    training: {
      runsDirectory: str(SETTING_KEYS.runsDirectory, d.training.runsDirectory) || d.training.runsDirectory,
      pythonPath: str(SETTING_KEYS.pythonPath, d.training.pythonPath),
      backend: backend === 'tfjs' || backend === 'pytorch' ? backend : d.training.backend,
    },
  };
}

/** A list of non-empty strings; anything else in it is left out. */
function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
}

/** A settings value that should be a shape: an array of 2 to 6 positive integers. */
function parseShapeValue(v: unknown): number[] | null {
  if (!Array.isArray(v) || v.length < 2 || v.length > 6) return null;
  return v.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0) ? (v as number[]) : null;
}

/**
 * Parses a shape the user typed: `1,3,224,224`, `(1, 3, 224, 224)`, `[1 3 32 32]` or `1x3x32x32`.
 * Returns the shape, or a message saying what is wrong.
 */
export function parseShapeText(text: string): number[] | string {
  const body = text.trim().replace(/^[([]\s*/, '').replace(/\s*[)\]]$/, '');
  if (!body) return 'Enter a shape such as 1, 3, 224, 224';
  const parts = body.split(/\s*[,x×]\s*|\s+/i).filter((p) => p !== '');
  if (parts.length < 2 || parts.length > 6) return `A shape has 2 to 6 dimensions (got ${parts.length})`;
  const dims: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p) || Number(p) <= 0) return `'${p}' is not a positive whole number`;
    dims.push(Number(p));
  }
  return dims;
}
