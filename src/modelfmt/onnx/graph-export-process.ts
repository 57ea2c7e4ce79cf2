/**
 * Child-process entry for exporting a large model folder's inference graph (folder-graph.ts
 * starts it). Exporting a 1B base reads ~5 GB of float32 weights plus fused copies; in the
 * serving process that garbage was still unreclaimed when ONNX Runtime then loaded the graph
 * (a 14.4 GiB peak measured on a Llama-3.2-1B folder). A child returns all of it to the
 * operating system when it exits.
 *
 * Argument: JSON { modelDir, options, target }. Exit 0 when the graph is written; otherwise a
 * JSON { code?, message, details? } line on stderr, which the parent turns back into its error.
 */
import { isPersonaError } from '../../errors.js';
import { writeInferenceOnnx } from './folder-graph.js';

const { modelDir, options, target } = JSON.parse(process.argv[2] ?? '{}');
try {
  writeInferenceOnnx(modelDir, options, target);
} catch (error) {
  const report = isPersonaError(error)
    ? { code: error.code, message: error.message, details: error.details }
    : { message: error instanceof Error ? error.message : String(error) };
  process.stderr.write(`${JSON.stringify(report)}\n`);
  process.exitCode = 1;
}
