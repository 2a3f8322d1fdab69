import type {BenchResults} from '../results.js';
import type {Spread} from '../stats.js';
import type {AnySystemName} from '../systems.js';

/** One horizontal bar chart: a row per case, a bar per system. */
interface Panel {
  readonly title: string;
  readonly unit: string;
  /** Log for values that span decades (a few ms next to seconds); bars then start at 1 unit. */
  readonly scale: 'linear' | 'log';
  /** A bar per system, in this order; each row has a value for each. */
  readonly systems: readonly AnySystemName[];
  readonly rows: readonly {readonly label: string; readonly values: Partial<Record<AnySystemName, number>>}[];
}

const WIDTH = 960;
const LABEL_WIDTH = 290;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 9;
const PANEL_HEADER = 34;
const PANEL_GAP = 20;
const LABELS: Record<AnySystemName, string> = {
  product: 'product',
  changes: 'product WatchChanges',
  sqlite: 'product (SQLite)',
  baseline: 'baseline (grpc-js)',
  plain: 'plain nice-grpc',
  floor: 'floor (node:http2)',
  grpc: 'product, gRPC port',
  web: 'product, web port',
};
const UNARY_SYSTEMS: readonly AnySystemName[] = ['product', 'sqlite', 'baseline', 'plain'];
const COLOURS: Record<AnySystemName, string> = {
  product: '#2b6cb0',
  changes: '#e53e3e',
  sqlite: '#805ad5',
  baseline: '#a0aec0',
  plain: '#f6ad55',
  floor: '#68d391',
  grpc: '#2c7a7b',
  web: '#d69e2e',
};

/** Throughput and latency per case, as a self-contained SVG (no fonts or scripts fetched). */
export function renderChart(results: BenchResults): string {
  const panels: Panel[] = [];
  if (results.unary.length > 0) {
    panels.push({
      title: 'Unary throughput (higher is better)',
      unit: 'req/s',
      scale: 'linear',
      systems: UNARY_SYSTEMS,
      rows: results.unary.map(({name, systems}) => ({
        label: name,
        values: medians(systems, (result) => result.requestsPerSecond),
      })),
    });
    panels.push({
      title: 'Unary p99 latency (lower is better)',
      unit: 'ms',
      scale: 'linear',
      systems: UNARY_SYSTEMS,
      rows: results.unary.map(({name, systems}) => ({label: name, values: medians(systems, (result) => result.p99Ms)})),
    });
  }
  if (results.watch.length > 0) {
    panels.push({
      title: 'Watch delivery latency, p50 and p99 (lower is better; log scale)',
      unit: 'ms',
      scale: 'log',
      systems: ['product', 'changes', 'baseline', 'floor'],
      rows: results.watch.flatMap(({name, systems}) =>
        (['p50Ms', 'p99Ms'] as const).map((quantile) => ({
          label: `${name.replace(/^Watch /, '')} ${quantile.slice(0, 3)}`,
          values: medians(systems, (result) => result[quantile]),
        })),
      ),
    });
    panels.push({
      title: 'Watch server CPU per delivery (lower is better)',
      unit: 'µs',
      scale: 'linear',
      systems: ['product', 'changes', 'baseline', 'floor'],
      rows: results.watch.map(({name, systems}) => ({
        label: name.replace(/^Watch /, ''),
        values: medians(systems, (result) => result.serverMicrosPerDelivery),
      })),
    });
  }

  const parts: string[] = [];
  let y = 40;
  for (const panel of panels) {
    parts.push(renderPanel(panel, y));
    y += PANEL_HEADER + panel.rows.length * rowHeight(panel) + PANEL_GAP;
  }
  const shown = [...new Set(panels.flatMap((panel) => panel.systems))];
  const legend = shown
    .map((system, index) => {
      const x = 10 + index * 170;
      return `<rect x="${x}" y="12" width="12" height="12" fill="${COLOURS[system]}"/><text x="${x + 18}" y="22">${LABELS[system]}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    legend,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function renderPanel(panel: Panel, top: number): string {
  const values = panel.rows.flatMap((row) => panel.systems.map((system) => row.values[system] ?? Number.NaN));
  const largest = Math.max(...values.filter(Number.isFinite), 1e-9);
  const barSpace = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const share =
    panel.scale === 'linear'
      ? (value: number): number => value / largest
      : (value: number): number => Math.log10(Math.max(value, 1)) / Math.max(Math.log10(largest), 1e-9);
  const out = [`<text x="10" y="${top + 14}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`];
  panel.rows.forEach((row, index) => {
    const rowTop = top + PANEL_HEADER + index * rowHeight(panel);
    out.push(
      `<text x="${LABEL_WIDTH - 8}" y="${rowTop + BAR_HEIGHT + 3}" text-anchor="end">${escapeXml(row.label)}</text>`,
    );
    panel.systems.forEach((system, bar) => {
      const value = row.values[system] ?? Number.NaN;
      const width = Number.isFinite(value) ? Math.max(1, share(value) * barSpace) : 0;
      const barTop = rowTop + bar * BAR_HEIGHT;
      out.push(
        `<rect x="${LABEL_WIDTH}" y="${barTop}" width="${width.toFixed(1)}" height="${BAR_HEIGHT - 1}" fill="${COLOURS[system]}"/>`,
        `<text x="${(LABEL_WIDTH + width + 4).toFixed(1)}" y="${barTop + BAR_HEIGHT - 1}" font-size="9">${formatValue(value)} ${panel.unit}</text>`,
      );
    });
  });
  return out.join('\n');
}

/** Each system's median of the spread `pick` chooses. */
function medians<Result>(
  systems: Partial<Record<AnySystemName, Result>>,
  pick: (result: Result) => Spread,
): Partial<Record<AnySystemName, number>> {
  return Object.fromEntries(Object.entries(systems).map(([system, result]) => [system, pick(result as Result).median]));
}

function rowHeight(panel: Panel): number {
  return panel.systems.length * BAR_HEIGHT + 8;
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? Math.round(value).toString() : value.toFixed(value >= 10 ? 1 : 2);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
