/** What the CLI touches of the outside world, injectable for tests. */
export interface CliIo {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  readStdin(): Promise<string>;
  env: NodeJS.ProcessEnv;
}

/** Bad usage or bad input: exit 2 with one clear line on stderr and nothing on stdout (CONTRACTS §1). */
export class UsageError extends Error {}

export const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
