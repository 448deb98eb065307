import type { JSONRPCRequest } from "./jsonrpc";

const MAX_TASKS = 100_000;

/**
 * Which agent created each task a shared upstream holds. Tasks outlive the calls that made them,
 * so a task is visible only to the agent whose decided `tools/call` created it: reading its
 * status or result, answering it or cancelling it cannot bypass that decision.
 */
export class TaskBook {
  private readonly owners = new Map<string, string>();

  /** Records the task a `tools/call` result created (2025-11-25 `task`, or a 2026-07-28 task result). */
  record(agentId: string, result: Record<string, unknown> | undefined): void {
    const task = result?.resultType === "task" ? result : (result?.task as Record<string, unknown>);
    if (!task || typeof task.taskId !== "string") return;
    this.owners.set(task.taskId, agentId);
    if (this.owners.size > MAX_TASKS) this.owners.delete(this.owners.keys().next().value ?? "");
  }

  /** Whether a `tasks/*` request names a task of this agent (`tasks/list` is filtered instead). */
  admits(agentId: string, request: JSONRPCRequest): boolean {
    if (request.method === "tasks/list") return true;
    return this.owns(agentId, request.params?.taskId);
  }

  owns(agentId: string, taskId: unknown): boolean {
    return typeof taskId === "string" && this.owners.get(taskId) === agentId;
  }
}
