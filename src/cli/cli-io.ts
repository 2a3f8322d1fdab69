/** Where the CLI writes, and what stops a running watch: the process, or a test. */
export interface CliIo {
  /** Resolves once the text may be followed by more without growing a buffer. */
  readonly stdout: (text: string) => void | Promise<void>;
  /** Progress is drawn on stderr only when a person is watching it. */
  readonly stderrIsTerminal: boolean;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C or SIGTERM: ends `watch` with exit status 0. */
  readonly signal: AbortSignal;
}
