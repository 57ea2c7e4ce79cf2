/** Datasets: versioned snapshots of approved samples, the stable split, stats and exports. */
export * from './types.js';
export { loadDatasetSnapshot, datasetVersion, toTrainingSample } from './snapshot.js';
export { splitOf, splitPoint } from './holdout-split.js';
export { datasetStats, type DatasetStats } from './stats.js';
export { exportDataset, parseExportFormat, parseExportSplit, EXPORT_SPLITS, type ExportSplit, type ExportResult } from './dataset-export.js';
export { renderDataset, EXPORT_FORMATS, type ExportFormat } from './formats.js';
export { ensureExampleTranscripts, FIRST_PERSONA_YEAR, type ExampleResult } from './examples.js';
