/**
 * Writes an ONNX model to disk, in one file or, when its weights are large, the standard ONNX
 * external-data layout: the weights in `<model file>_data` beside it (`model.onnx_data`, the
 * name Optimum writes and transformers.js looks for), each large initializer a TensorProto
 * with data_location EXTERNAL and `location` (the data file's name, relative to the model's
 * folder, so a copied folder stays whole), `offset` and `length` entries. Needed because one
 * protobuf message cannot exceed 2 GiB (and one Node buffer 4 GiB): a 1B base is ~5 GB of
 * float32 weights. The data file is streamed tensor by tensor from the weights' own buffers,
 * never assembled in memory; tensors of 1 MiB and more start on a 64 KiB boundary, which lets
 * ONNX Runtime memory-map them (it maps only offsets aligned to the allocation granularity:
 * 4 KiB on Linux, 64 KiB on Windows), smaller ones on 64 bytes. Small models stay one file,
 * exactly as before.
 *
 * Files appear atomically and in order (data file first, then model.onnx), so a reader that
 * finds model.onnx finds its data; writing a single-file model over an external-data one
 * removes the old data file after the new model.onnx is in place.
 *
 * Hand-written because onnx-proto only encodes whole messages; the layout follows the ONNX
 * external-data specification (docs/ExternalData.md in onnx/onnx).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import onnxProto from 'onnx-proto';
import { replaceAtomically, writeFileAtomic, writeFully } from '../../util/atomic-write.js';
import { encodeModel, type OnnxModel } from './onnx-builder.js';

const { onnx } = onnxProto;

/** Models whose initializers hold more bytes than this get an external data file (well under protobuf's 2 GiB). */
export const EXTERNAL_DATA_MIN_BYTES = 2 ** 30;
/** Initializers smaller than this stay inside model.onnx (ONNX's own converter uses the same cut). */
const INLINE_MAX_BYTES = 1024;
const LARGE_TENSOR_BYTES = 2 ** 20;
const LARGE_ALIGNMENT = 65_536;
const SMALL_ALIGNMENT = 64;

export interface OnnxWriteOptions {
  /** Initializer bytes above which the weights go to an external data file; tests force it low. */
  externalDataMinBytes?: number;
}

/** The external data file of `modelFile` (`model.onnx` → `model.onnx_data`). */
export function externalDataPath(modelFile: string): string {
  return `${modelFile}_data`;
}

/** Bytes of the model on disk: model.onnx plus its external data file when there is one (0 when unreadable). */
export function onnxModelBytes(modelFile: string): number {
  const size = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  return size(modelFile) + size(externalDataPath(modelFile));
}

/** Writes `model` to `target` (and `target`_data when large); returns `target`. */
export function writeOnnxModel(model: OnnxModel, target: string, options: OnnxWriteOptions = {}): string {
  const initializers = model.graph?.initializer ?? [];
  const weightBytes = initializers.reduce((sum, t) => sum + (t.rawData?.length ?? 0), 0);
  const dataFile = externalDataPath(target);
  if (weightBytes <= (options.externalDataMinBytes ?? EXTERNAL_DATA_MIN_BYTES)) {
    writeFileAtomic(target, encodeModel(model));
    rmSync(dataFile, { force: true }); // an older export's weights, no longer referenced
    return target;
  }
  mkdirSync(dirname(target), { recursive: true });
  const external = writeExternalData(initializers, dataFile);
  const graph = { ...model.graph, initializer: external };
  writeFileAtomic(target, encodeModel(onnx.ModelProto.create({ ...model, graph })));
  return target;
}

/** Streams the large initializers into `dataFile` (atomically); returns the initializers as model.onnx lists them. */
function writeExternalData(initializers: onnxProto.onnx.ITensorProto[], dataFile: string): onnxProto.onnx.ITensorProto[] {
  const location = basename(dataFile);
  const listed: onnxProto.onnx.ITensorProto[] = [];
  replaceAtomically(dataFile, (temporary) => {
    const fd = openSync(temporary, 'w');
    try {
      let offset = 0;
      for (const tensor of initializers) {
        const raw = tensor.rawData;
        if (!raw || raw.length < INLINE_MAX_BYTES) {
          listed.push(tensor);
          continue;
        }
        const alignment = raw.length >= LARGE_TENSOR_BYTES ? LARGE_ALIGNMENT : SMALL_ALIGNMENT;
        const start = Math.ceil(offset / alignment) * alignment;
        if (start > offset) writeFully(fd, new Uint8Array(start - offset), offset);
        writeFully(fd, raw, start);
        offset = start + raw.length;
        const { rawData: _, ...meta } = tensor;
        listed.push({
          ...meta,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: String(start) },
            { key: 'length', value: String(raw.length) },
          ],
        });
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
  return listed;
}
