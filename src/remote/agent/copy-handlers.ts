import type { AgentHandlers } from './serve.js';

export const copyHandlers: AgentHandlers = {};
