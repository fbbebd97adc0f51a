/* replay.h: a pbt member's life written out as the config of one run (sweep replay).
 *
 * A member's life is a chain of segments, one per generation: the generation's epochs were
 * trained from the state of the member at the chain's previous link, which is the member
 * itself, or the donor whose state it took at the barrier (pbtrun.h). Walking the donors of
 * /lineage back from the member gives the chain; each link's run file gives the values its
 * epochs trained with: /history/lr (the rate the schedule gave) and /history/<key> for each
 * key the search changed. The replay config is the member's own /config with those values as
 * per-epoch tables (config.h: schedule kind table, schedule.<key>_values) and the seed of the
 * chain's first member (the config's seed + its index), whose initial weights the chain
 * started from. Only what the run files in DIR hold is read, so a replay can be
 * written for any finished pbt sweep, on any machine.
 *
 * When the chain never leaves the member, the replay trains exactly what the member trained
 * (the same seed, data order, dropout draws and values epoch by epoch): its file's weights
 * are the member's bit for bit. When it does, the replay is exact up to the first change of
 * member; from there the chain went on from copied weights with each receiving member's own
 * data order and dropout draws, which one run cannot have: the replay follows the chain's
 * values from the first member's start. */
#ifndef SWEEP_REPLAY_H
#define SWEEP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The file a finished pbt sweep writes in its directory: its best member's replay. */
#define SW_PBT_REPLAY_NAME "pbt-replay.yaml"

/* What a replay was written of. */
typedef struct {
    char member_id[256]; /* the member's run id */
    int member;          /* its index in the population */
    int links;           /* the generations of its chain */
    bool changed;        /* whether the chain passed through another member */
} sw_replay_info;

/* Writes the replay config of a member of the finished pbt sweep in dir: `member` names it
 * (its index in the population or its run id; NULL or "": the best member by the sweep's
 * metric, as `sweep summarize` names it). To `path` (atomically; NULL: to stdout).
 * Returns SW_OK, SW_ENOTFOUND (not a pbt sweep's directory, no such member), SW_EFORMAT (a
 * member not finished, a run file unreadable), SW_EIO or SW_ENOMEM, with a one-line message
 * in err. */
int sw_replay_write(const char *dir, const char *member, const char *path, sw_replay_info *info, char *err,
                    size_t errlen);

#endif
