/**
 * The deadline of each node's next heartbeat. Pure: time is passed in, so the dispatcher's
 * tests and the simulator drive it without a wall clock.
 */
export class HeartbeatTracker {
  private readonly deadlines = new Map<string, number>();

  /** The node beat (or connected, or the dispatcher just started) at `now`. */
  beat(nodeId: string, now: number, graceMs: number): void {
    this.deadlines.set(nodeId, now + graceMs);
  }

  forget(nodeId: string): void {
    this.deadlines.delete(nodeId);
  }

  has(nodeId: string): boolean {
    return this.deadlines.has(nodeId);
  }

  /** The nodes whose deadline has passed, forgotten as they are returned. */
  expire(now: number): string[] {
    const out: string[] = [];
    for (const [node, deadline] of this.deadlines) {
      if (deadline <= now) out.push(node);
    }
    for (const node of out) this.deadlines.delete(node);
    return out.sort();
  }

  /** The earliest deadline, for scheduling the next check. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const d of this.deadlines.values()) next = next === undefined ? d : Math.min(next, d);
    return next;
  }
}
