/** Records of the model registry (MLflow-style: versions, a champion alias, history). */

export type VersionStatus = 'candidate' | 'champion' | 'archived' | 'rejected';

export interface ModelVersionRecord {
  persona: string;
  /** Folder name under DATA_DIR/models/<persona>/, sortable by creation time. */
  version: string;
  dir: string;
  createdAt: string;
  status: VersionStatus;
  datasetVersion?: string;
  base: string;
  method: 'lora' | 'full';
  hyperparameters: Record<string, unknown>;
  /** e.g. validation_loss, validation_perplexity, style metrics. */
  metrics: Record<string, number>;
  /** Why it was promoted, rejected or archived, in one sentence. */
  note?: string;
}

export interface ChampionPointer {
  version: string;
  promotedAt: string;
  /** Champions before this one, most recent first, for rollback. */
  previous: string[];
}

export interface ChampionChange {
  persona: string;
  /** null when the persona went back to its base model. */
  version: string | null;
  dir: string | null;
}
