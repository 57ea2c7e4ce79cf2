// A loss chart (uPlot): training loss per step and validation loss at eval steps.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

export function LossChart({ points, label }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const steps = points.map((p) => p.step);
    const data = [steps, points.map((p) => p.loss ?? null), points.map((p) => p.validationLoss ?? null)];
    if (!plot.current) {
      plot.current = new uPlot(
        {
          width: Math.min(720, box.current.clientWidth || 720),
          height: 260,
          scales: { x: { time: false } },
          series: [{ label: 'step' }, { label: 'training loss', stroke: '#2563eb', spanGaps: true }, { label: 'validation loss', stroke: '#dc2626', spanGaps: true, points: { show: true } }],
          axes: [{ label: 'step' }, { label: 'loss' }],
        },
        data,
        box.current,
      );
    } else plot.current.setData(data);
  }, [points]);
  useEffect(() => () => plot.current?.destroy(), []);
  return html`<figure class="chart"><div ref=${box} role="img" aria-label=${label}></div><figcaption>${label}</figcaption></figure>`;
}
