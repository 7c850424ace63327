/** A hand-written SVG chart of a latency sample: histogram bars, the CDF, and p50/p95/p99 markers. */
import { percentile } from './stats';

export interface LatencyChart {
  readonly title: string;
  readonly subtitle: string;
  readonly samples: readonly number[];
  /** Smallest bar width considered (ms). */
  readonly binMs: number;
}

const WIDTH = 820;
const HEIGHT = 420;
const MARGIN = { left: 64, right: 64, top: 64, bottom: 52 };

const escapeXml = (text: string): string =>
  text.replace(/[<>&"]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[char] ?? char);

/** 1, 2, 5 x 10^n: a round step so that `span / step` is about `ticks`. */
const niceStep = (span: number, ticks: number): number => {
  const raw = span / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 5, 10].find((candidate) => candidate * power >= raw) ?? 10;
  return unit * power;
};

const fixed = (value: number): string => value.toFixed(1);

export const latencySvg = (chart: LatencyChart): string => {
  const samples = [...chart.samples].sort((a, b) => a - b);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  if (samples.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="80"><text x="10" y="40">${escapeXml(chart.title)}: no samples</text></svg>\n`;
  }
  // The x axis ends a little past p99.9 so one outlier does not squash the chart; the max is printed.
  const p999 = percentile(samples, 99.9);
  const xStep = niceStep(p999, 8);
  const xMax = Math.max(xStep, Math.ceil((p999 * 1.05) / xStep) * xStep);
  const binMs = Math.max(chart.binMs, niceStep(xMax, 60));
  const bins = Math.ceil(xMax / binMs);
  const counts = new Array<number>(bins).fill(0);
  let beyond = 0;
  for (const value of samples) {
    if (value >= xMax) beyond += 1;
    else counts[Math.max(0, Math.floor(value / binMs))] += 1;
  }
  const yMax = Math.max(...counts, 1);
  const yStep = niceStep(yMax, 5);
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const x = (ms: number) => MARGIN.left + (ms / xMax) * plotWidth;
  const y = (count: number) => MARGIN.top + plotHeight - (count / yTop) * plotHeight;
  const yCdf = (fraction: number) => MARGIN.top + plotHeight - fraction * plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  parts.push(`<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`);
  parts.push(`<text x="${MARGIN.left}" y="40" fill="#555">${escapeXml(chart.subtitle)}</text>`);

  // Grid and axes.
  for (let tick = 0; tick <= yTop; tick += yStep) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${fixed(y(tick) + 4)}" text-anchor="end" fill="#333">${tick}</text>`);
  }
  for (let tick = 0; tick <= xMax + 1e-9; tick += xStep) {
    parts.push(
      `<line x1="${fixed(x(tick))}" x2="${fixed(x(tick))}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 5}" stroke="#333"/>`,
    );
    parts.push(
      `<text x="${fixed(x(tick))}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle" fill="#333">${Math.round(tick)}</text>`,
    );
  }
  for (let percent = 0; percent <= 100; percent += 25) {
    parts.push(`<text x="${WIDTH - MARGIN.right + 6}" y="${fixed(yCdf(percent / 100) + 4)}" fill="#c0392b">${percent}%</text>`);
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`,
  );
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" text-anchor="middle">latency (ms), ${binMs} ms bins</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">events per bin</text>`);
  parts.push(
    `<text transform="translate(${WIDTH - 14} ${MARGIN.top + plotHeight / 2}) rotate(90)" text-anchor="middle" fill="#c0392b">cumulative share</text>`,
  );

  // Histogram.
  const barWidth = Math.max(1, (binMs / xMax) * plotWidth - 1);
  counts.forEach((count, index) => {
    if (count === 0) return;
    parts.push(
      `<rect x="${fixed(x(index * binMs))}" y="${fixed(y(count))}" width="${fixed(barWidth)}" height="${fixed(MARGIN.top + plotHeight - y(count))}" fill="#4a7ab5"/>`,
    );
  });

  // CDF, one point per bin edge.
  let cumulative = 0;
  const points = [`${fixed(x(0))},${fixed(yCdf(0))}`];
  counts.forEach((count, index) => {
    cumulative += count;
    points.push(`${fixed(x((index + 1) * binMs))},${fixed(yCdf(cumulative / samples.length))}`);
  });
  parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="#c0392b" stroke-width="2"/>`);

  // Percentile markers.
  const markers: [string, number][] = [
    ['p50', percentile(samples, 50)],
    ['p95', percentile(samples, 95)],
    ['p99', percentile(samples, 99)],
  ];
  markers.forEach(([label, value], index) => {
    if (value > xMax) return;
    parts.push(
      `<line x1="${fixed(x(value))}" x2="${fixed(x(value))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#222" stroke-dasharray="4 3"/>`,
    );
    parts.push(`<text x="${fixed(x(value) + 4)}" y="${MARGIN.top + 14 + index * 14}" fill="#222">${label} ${Math.round(value)} ms</text>`);
  });
  const max = samples[samples.length - 1];
  parts.push(
    `<text x="${WIDTH - MARGIN.right}" y="${MARGIN.top - 6}" text-anchor="end" fill="#555">n = ${samples.length}, max ${Math.round(max)} ms${beyond > 0 ? `, ${beyond} beyond the axis` : ''}</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
};
