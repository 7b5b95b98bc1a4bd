/** Conversions between LSP document uris and file system paths. */
import { fileURLToPath, pathToFileURL } from "node:url";

/** The file system path of a `file:` uri; null for other schemes (`untitled:`, `vscode-notebook-cell:`) or a malformed uri. */
export function uriToFilePath(uri: string): string | null {
  if (!uri.startsWith("file:")) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}

/** The `file:` uri of an absolute path. */
export function filePathToUri(path: string): string {
  return pathToFileURL(path).href;
}

/** The last path segment of a uri, decoded (`untitled:Untitled-1` → `Untitled-1`). */
export function uriBaseName(uri: string): string {
  const tail = uri.replace(/[?#].*$/, "").split(/[/:]/).pop() ?? "";
  try {
    return decodeURIComponent(tail);
  } catch {
    return tail;
  }
}
