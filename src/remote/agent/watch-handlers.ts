import type { AgentHandlers } from './serve.js';

export const watchHandlers: AgentHandlers = {};
