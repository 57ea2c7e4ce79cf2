/**
 * Which ONNX Runtime execution providers sessions ask for (ORT_EXECUTION_PROVIDERS, e.g.
 * `cuda,cpu` on a GPU worker; CPU when unset). Set once at start-up from the Config, like the
 * log level, because sessions are created deep below the code that holds the Config. The two
 * modules that create sessions (src/inference/ort.ts, src/training/runtime.ts) ask
 * `withProviderFallback`: a provider the installed onnxruntime-node lacks (the npm package
 * ships CPU only unless its CUDA install ran) falls back to CPU with one warning.
 */
import { logger } from '../log.js';

let requested: readonly string[] = [];
let warned = false;

export function useExecutionProviders(names: readonly string[]): void {
  requested = names.map((name) => name.trim().toLowerCase()).filter(Boolean);
  warned = false;
}

/** The providers to ask for, or undefined for ONNX Runtime's default (CPU). */
export function requestedProviders(): string[] | undefined {
  return requested.length > 0 && !(requested.length === 1 && requested[0] === 'cpu') ? [...requested] : undefined;
}

/** Creates a session with the requested providers; when that fails, warns once and creates it on CPU. */
export async function withProviderFallback<T>(create: (providers: string[] | undefined) => Promise<T>): Promise<T> {
  const providers = requestedProviders();
  if (!providers) return create(undefined);
  try {
    return await create(providers);
  } catch (error) {
    if (!warned) {
      warned = true;
      logger('ort').warn(
        { requested: providers, err: (error as Error).message.split('\n')[0] },
        'ONNX Runtime could not use the requested execution providers; running on CPU (see "Installing with a GPU" in the README)',
      );
    }
    return create(undefined);
  }
}
