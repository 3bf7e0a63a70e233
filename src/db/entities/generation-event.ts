import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SyncGeneration } from './sync-generation.js';

/**
 * `generation_event`: one per-file event of a generation (SPEC §7). For an
 * `error` event the message starts with the failed operation,
 * `<op>: <message>` (src/db/error-event.ts). Schema-check only; see SyncConduit.
 */
@Entity('generation_event')
@Index('IDX_generation_event_generation_action', ['generationId', 'action'])
export class GenerationEvent {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'generation_id', type: 'integer' })
  generationId!: number;

  @ManyToOne(() => SyncGeneration, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'generation_id', foreignKeyConstraintName: 'FK_generation_event_generation' })
  generation?: SyncGeneration;

  /** The side written (`source` | `target`), null when none was. */
  @Column({ type: 'text', nullable: true })
  side!: string | null;

  @Column({ type: 'text' })
  path!: string;

  /** An EventAction. */
  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'integer', default: 0 })
  bytes!: number;

  @Column({ type: 'text', nullable: true })
  message!: string | null;
}
