import type { AgentHandlers } from './serve.js';

export const fsHandlers: AgentHandlers = {};
