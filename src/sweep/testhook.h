/* testhook.h: hooks for the test suite only, so that a test waits for an event rather than
 * for a machine slow (or fast) enough to be in the state it wants to see. Set through
 * SWEEP_TEST_* environment variables, read once by main (sw_test_hooks_init); the only
 * place they are defined is the table in testhook.c. No user sets them: unset, nothing
 * here changes what the program does, and set, nothing here changes what a run computes
 * (run files stay bit-identical), only when checkpoints are written and when a thread
 * pauses.
 *
 *   SWEEP_TEST_CHECKPOINTS=unthrottled
 *       a run saves a checkpoint at every record.checkpoint_every-th epoch, without train.h's
 *       floor of SW_CHECKPOINT_MIN_SECONDS of work since the previous one (which makes a
 *       fast machine write none).
 *   SWEEP_TEST_PBT=keep
 *       a pbt search keeps its members' states at the barriers (DIR/<run id>.at<E>.ckpt)
 *       when it ends, and writes the state each exploiting member starts its next
 *       generation from as DIR/<run id>.at<E>.start.ckpt, for a test to compare with the
 *       donor's.
 *   SWEEP_TEST_HOLD=EVENT[:N]
 *       at the N-th (default first) EVENT of this process, the sweep prints one line on
 *       stderr, "sweep: test hold at EVENT N (...)", even with --quiet, and holds: the thread
 *       that saw the event stops there, and every other worker thread at its next hold
 *       point (a training step, the end of an epoch, after a checkpoint, after a run's
 *       file), so the sweep
 *       stays in that state (a checkpoint on disk, runs half done, others not started) for
 *       as long as the test needs, however fast the machine. Signals still work as usual
 *       (a stop signal sets the stop flag; held runs act on it once released: each stops
 *       at its next training step). EVENTs:
 *         step        a run completed a training step (of any epoch, counted over every
 *                     run of the process)
 *         epoch       a run completed an epoch (its history entry is in memory)
 *         checkpoint  a run's checkpoint was written (DIR/<run id>.ckpt)
 *         run         a run's file was written, counted and printed (on MPI rank 0: any
 *                     rank's run; ranks > 0 count their own, and print nothing)
 *   SWEEP_TEST_RELEASE=FILE
 *       a hold ends when FILE exists, or when its directory does not (the test that set it
 *       has ended and removed its scratch directory). Unset: the hold lasts until the process
 *       is killed.
 * Every hold also ends after SW_TEST_HOLD_MAX_SECONDS, with a line saying so, so that a
 * test that failed before releasing leaves no process behind for long. */
#ifndef SWEEP_TESTHOOK_H
#define SWEEP_TESTHOOK_H

#include <stdbool.h>
#include <stddef.h>

#define SW_TEST_HOLD_MAX_SECONDS 600.0

typedef enum { SW_TEST_STEP, SW_TEST_EPOCH, SW_TEST_CHECKPOINT, SW_TEST_RUN, SW_TEST_EVENT_COUNT } sw_test_event;

/* Reads the SWEEP_TEST_* variables (call once, before any thread starts). Returns SW_OK, or
 * SW_EINVAL with err naming the variable, what was wrong and what is allowed (a misspelt
 * SWEEP_TEST_ variable is an error too, so a test cannot silently run without its hook). */
int sw_test_hooks_init(char *err, size_t errlen);

/* SWEEP_TEST_CHECKPOINTS=unthrottled (for sw_train_hooks.checkpoint_unthrottled). */
bool sw_test_checkpoints_unthrottled(void);

/* SWEEP_TEST_PBT=keep. */
bool sw_test_pbt_keep(void);

/* Counts an occurrence of `ev` (any thread, lock held or not; `what` names the run, may be
 * NULL); the one SWEEP_TEST_HOLD names announces the hold. Does not wait itself. */
void sw_test_note(sw_test_event ev, const char *what);

/* A worker thread between two pieces of its work: returns at once unless a hold was
 * announced and is not released yet, then waits for its release. Never call it with a lock
 * held or on a thread that must not wait (MPI rank 0's dispatcher). */
void sw_test_hold_point(void);

#endif
