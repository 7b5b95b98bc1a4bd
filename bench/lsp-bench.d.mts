/** A realistic async Python module of about `lines` lines (the LSP benchmark's document). */
export function generateModule(lines: number): string;
