// Colour for the console's answers: the six styles it uses, as plain text unless stdout
// is a terminal and NO_COLOR is unset; only then is chalk loaded (a one-shot command to
// a file or a pipe never pays for it).

export interface Paint {
  bold(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const same = (text: string): string => text;

export const plain: Paint = { bold: same, cyan: same, dim: same, green: same, red: same, yellow: same };

export async function makePaint(colour: boolean): Promise<Paint> {
  if (!colour || (process.env['NO_COLOR'] ?? '') !== '') return plain;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: 1 });
}
