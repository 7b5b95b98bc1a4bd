/**
 * A single self-overwriting `corolint: 340/1790 files` line on a terminal's stderr, for runs long
 * enough to leave a user wondering. Never written when stderr is not a terminal, so logs and pipes
 * stay clean.
 */

/** The part of a stream the progress line needs (a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Above this many files the line shows from the start. */
const MANY_FILES = 200;
/** Smaller runs show it only once they have taken this long. */
const SLOW_MS = 1000;
/** Redraw at most this often: a terminal redraw per file would slow a fast run down. */
const REDRAW_MS = 100;

/** Tracks and draws progress through `total` files. */
export class Progress {
  private readonly started: number;
  private lastDraw = -Infinity;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** Reports that `done` files are finished. */
  update(done: number): void {
    if (this.stream.isTTY !== true) return;
    const time = this.now();
    if (this.total <= MANY_FILES && time - this.started < SLOW_MS) return;
    if (time - this.lastDraw < REDRAW_MS && done < this.total) return;
    this.lastDraw = time;
    this.shown = true;
    this.stream.write(`\r\x1b[2Kcorolint: ${done}/${this.total} files`);
  }

  /** Erases the line, so the report starts on a clean line. */
  finish(): void {
    if (!this.shown) return;
    this.stream.write("\r\x1b[2K");
    this.shown = false;
  }
}
