/**
 * Summarises an ONNX Runtime profile (the JSON trace written with enableProfiling) as time
 * per op type per step, so a benchmark can say where a training step's time goes.
 */
interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

export function summarizeProfile(events: TraceEvent[], runs: number, top = 14): string {
  const byOp = new Map<string, number>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + (e.dur ?? 0));
    total += e.dur ?? 0;
  }
  const rows = [...byOp].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(
    ([op, us]) => `  ${op.padEnd(20)} ${(us / runs / 1000).toFixed(1).padStart(8)} ms/step  ${((100 * us) / total).toFixed(1).padStart(5)}%`,
  );
  return [`  kernel time ${(total / runs / 1000).toFixed(1)} ms/step`, ...lines].join('\n');
}
