/** The process surroundings a command uses, passed in rather than reached for, to keep commands testable. */

/** An output stream: stdout or stderr. */
export interface OutputStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** What a command may touch outside its arguments. */
export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  /** The absolute current directory. */
  cwd: string;
  env: Record<string, string | undefined>;
}
