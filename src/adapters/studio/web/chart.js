// A loss chart (uPlot): training loss per step and validation loss at eval steps.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

/** uPlot wants one sorted x array: a step's training and validation loss share one x. */
function seriesByStep(points) {
  const byStep = new Map();
  for (const p of points) byStep.set(p.step, { ...byStep.get(p.step), ...p });
  const rows = [...byStep.values()].sort((a, b) => a.step - b.step);
  return [rows.map((r) => r.step), rows.map((r) => r.loss ?? null), rows.map((r) => r.validationLoss ?? null)];
}

export function LossChart({ points, label, empty = 'No steps yet.' }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const data = seriesByStep(points);
    if (!plot.current) {
      plot.current = new uPlot(
        {
          width: Math.min(720, box.current.clientWidth || 720),
          height: 260,
          scales: { x: { time: false } },
          series: [
            { label: 'step' },
            { label: 'training loss', stroke: '#2563eb', spanGaps: true },
            { label: 'validation loss', stroke: '#dc2626', spanGaps: true, points: { show: true } },
          ],
          // Steps are whole numbers: no ticks at 0.5.
          axes: [{ label: 'step', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }, { label: 'loss' }],
        },
        data,
        box.current,
      );
    } else plot.current.setData(data);
  }, [points]);
  useEffect(() => () => plot.current?.destroy(), []);
  // data-points tells tests (and curious users in devtools) how many points are drawn.
  return html`<figure class="chart" data-points=${points.length}>
    <div ref=${box} role="img" aria-label=${label}></div>
    <figcaption>${points.length ? label : empty}</figcaption></figure>`;
}
