/**
 * A template's design as the text a user gets, shared by the `New ResNet from Template…` wizard and
 * `resnet-studio new`: the template with the options applied, without the repository-relative `$schema`
 * (the extension's `jsonValidation` contribution supplies the schema wherever the file is saved).
 */
import type { DesignFile } from '../frontends/designTypes';
import { TEMPLATES } from '../frontends/templates';
import { formatDesign } from './toDesign';

export interface NewDesignOptions {
  numClasses?: number;
  /** Height and width of the input image. */
  inputSize?: number;
  name?: string;
}

export const TEMPLATE_IDS: readonly string[] = TEMPLATES.map((t) => t.id);

export function newDesign(id: string, o: NewDesignOptions = {}): DesignFile {
  const t = TEMPLATES.find((x) => x.id === id);
  if (!t) throw new Error(`unknown template '${id}' (known: ${TEMPLATE_IDS.join(', ')})`);
  const { $schema: _schema, ...design } = t.make();
  if (o.name !== undefined) design.name = o.name;
  if (o.numClasses !== undefined) design.vars = { ...design.vars, num_classes: o.numClasses };
  if (o.inputSize !== undefined && design.input) design.input = [...design.input.slice(0, -2), o.inputSize, o.inputSize];
  return design;
}

export function newDesignText(id: string, o: NewDesignOptions = {}): string {
  return formatDesign(newDesign(id, o));
}
