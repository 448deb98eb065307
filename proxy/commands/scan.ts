export async function scanCommand(_opts: { command: string[]; upstream?: string; header: string[]; output?: string; json?: boolean }): Promise<number> {
  throw new Error("scan is not available yet");
}
