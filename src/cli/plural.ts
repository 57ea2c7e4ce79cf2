/** "1 file", "2 files", "22,000 candidates": counts in sentences the CLI prints. */
export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
