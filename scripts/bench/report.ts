// The result table: its rows and footnotes, the value formatters, and rendering it as markdown.

interface Row {
  section: string;
  name: string;
  result: string;
  ratio: string;
  target: string;
  verdict: string;
  notes: string;
}

const rows: Row[] = [];
const footnotes: string[] = [];

export function row(r: Partial<Row> & Pick<Row, 'section' | 'name' | 'result'>): void {
  rows.push({ ratio: '', target: '', verdict: '', notes: '', ...r });
}

/** Adds footnotes, numbered in the order they are added. */
export function footnote(...texts: string[]): void {
  footnotes.push(...texts);
}

/** Whether any row has been recorded yet (an interrupted run prints only then). */
export const hasRows = (): boolean => rows.length > 0;

export const verdict = (ok: boolean): string => (ok ? 'pass' : '**FAIL**');
export const fmtRate = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} jobs/s` : 'n/a');
export const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 10) return `${ms.toFixed(3)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
export const fmtMb = (kb: number | null): string => (kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);

/** Writes the whole table to stdout: header lines, rows grouped by section, footnotes. */
export function printTable(header: string[]): void {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const out: string[] = ['# JMS benchmark', '', ...header, ''];
  out.push('| section | measurement | result | vs Node baseline | target | verdict | notes |');
  out.push('|---|---|---|---|---|---|---|');
  const order = ['throughput', 'tmpfs', 'spawn', 'cost of safety', 'cpu per job', 'start-up', 'latency', 'scale', 'environment'];
  const sorted = [...rows].sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
  for (const r of sorted) out.push(`| ${[r.section, r.name, r.result, r.ratio, r.target, r.verdict, r.notes].map(cell).join(' | ')} |`);
  out.push('');
  footnotes.forEach((f, i) => out.push(`${i + 1}. ${f}`));
  process.stdout.write(`${out.join('\n')}\n`);
}
