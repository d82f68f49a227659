import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { type Task } from '@shoal/api';
import { TaskControl } from '../control/task.control';
import { SWARM_RUNTIME, type SwarmRuntime } from '../manager/swarm-runtime.port';

/** /tasks endpoints (read-only: the orchestrators and agents write tasks). */
@Controller()
export class TasksController {
  constructor(@Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime) {}

  /** GET /tasks?filters={...} → Task[]. */
  @Get('tasks')
  list(@Query() query: Record<string, unknown>): Promise<Task[]> {
    return new TaskControl(this.runtime.manager()).list(query['filters']);
  }

  /** GET /tasks/{id} (ID, name or unique ID prefix) → Task; 404 "task <id> not found". */
  @Get('tasks/:id')
  inspect(@Param('id') id: string): Promise<Task> {
    return new TaskControl(this.runtime.manager()).inspect(id);
  }
}
