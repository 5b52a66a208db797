/**
 * ImageFolder directories: one subfolder per class (sorted names give the class indices), images found
 * recursively inside each; or `train/` and `val/`, each laid out that way with the same classes. Decoding is
 * pure JS: PNG (through node's zlib) and binary PPM/PGM. JPEG is not supported by the TF.js runner (there is
 * no JPEG decoder among its dependencies): such a folder fails fast naming the file, and the PyTorch runner
 * (with Pillow) reads it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, type Dataset, type ImageSet, adaptImage, isDir, splitSet } from './dataCore';
import { decodeImage } from './dataPng';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.ppm', '.pgm'];

export interface FolderListing {
  classes: string[];
  files: string[];
  labels: number[];
}

export function listImageFolder(root: string): FolderListing {
  let names: string[];
  try {
    names = fs.readdirSync(root).sort();
  } catch {
    return { classes: [], files: [], labels: [] };
  }
  const classes = names.filter((d) => isDir(path.join(root, d)));
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((cls, k) => {
    // torchvision's order, which the PyTorch runner keeps: folder by folder sorted by path, each folder's
    // files by name (a folder's files all come before its subfolders' files).
    const folders: { dir: string; names: string[] }[] = [];
    const walk = (dir: string) => {
      const names: string[] = [];
      for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        if (isDir(p)) walk(p);
        else names.push(name);
      }
      folders.push({ dir, names });
    };
    walk(path.join(root, cls));
    folders.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
    for (const { dir, names } of folders) {
      for (const name of names.sort()) {
        const lower = name.toLowerCase();
        if (IMAGE_EXTENSIONS.some((e) => lower.endsWith(e))) {
          files.push(path.join(dir, name));
          labels.push(k);
        }
      }
    }
  });
  return { classes, files, labels };
}

function readAll(files: string[], labels: number[], c: number, h: number, w: number): ImageSet {
  const per = h * w * c;
  const images = new Uint8Array(files.length * per);
  files.forEach((f, i) => {
    let decoded;
    try {
      decoded = decodeImage(f);
    } catch (e) {
      throw new DataError(`cannot read image ${f}: ${(e as Error).message}`);
    }
    images.set(adaptImage(decoded.data, decoded.height, decoded.width, decoded.channels, h, w, c, f), i * per);
  });
  return { images, labels: Int32Array.from(labels), n: files.length, h, w, c };
}

export function loadImageFolder(dir: string, c: number, h: number, w: number, valSplit: number, seed: number): Dataset {
  const splitDirs = ['train', 'val'].map((s) => path.join(dir, s));
  let train: ImageSet;
  let val: ImageSet | null;
  let classes: string[];
  if (splitDirs.every(isDir)) {
    const t = listImageFolder(splitDirs[0]!);
    const v = listImageFolder(splitDirs[1]!);
    if (t.classes.join('\n') !== v.classes.join('\n')) throw new DataError(`train/ and val/ in ${dir} have different class folders`);
    classes = t.classes;
    check(t, dir);
    train = readAll(t.files, t.labels, c, h, w);
    val = v.files.length ? readAll(v.files, v.labels, c, h, w) : null;
  } else {
    const all = listImageFolder(dir);
    classes = all.classes;
    check(all, dir);
    // Read the first file before all the others: a folder of unreadable images fails at once, naming it.
    readAll(all.files.slice(0, 1), all.labels.slice(0, 1), c, h, w);
    const everything = readAll(all.files, all.labels, c, h, w);
    [train, val] = splitSet(everything, valSplit, seed);
  }
  return { train, val, numClasses: classes.length, description: `image folder ${dir} (${classes.length} classes)` };

  function check(listing: FolderListing, where: string) {
    if (listing.files.length === 0) throw new DataError(`no images (${IMAGE_EXTENSIONS.join(', ')}) under the class folders of ${where}`);
    if (listing.classes.length < 2) throw new DataError(`${where} has ${listing.classes.length} class folder; training needs at least 2`);
  }
}
