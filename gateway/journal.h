/*
 * journal.h - exact accounting when a worker process is killed: every
 * answer whose first byte left tiergate is counted (stats) and logged
 * (decision log), even if the process dies right after, or in the middle
 * of a stream.
 *
 * Each FastCGI process keeps a journal file, STATS_PATH.journal.PID (or
 * next to the decision log without stats), mapped shared and held under
 * an fcntl(2) write lock, which the kernel releases when the process dies
 * however it dies.  Each worker thread owns one slot.  Just before the
 * first byte of an answer is written, the thread "arms" its slot with the
 * decision as a decision log line; a stream updates the slot's tokens and
 * cost as frames are relayed.  When the request is done, the thread writes
 * the log line, marks the slot logged, counts it with
 * stats_record_resume() (its progress kept in the slot) and frees the
 * slot.  A process starting up takes the lock of every journal whose owner
 * is dead and finishes what each armed slot did not: the log line (unless
 * the log already holds the request id, searched from where the log ended
 * when the slot was armed), then the counts; then it removes the journal.
 *
 * What that guarantees, and what it does not: an answer armed and then
 * lost to a kill in the instant before its first write(2) is counted
 * although it did not leave (a few hundred instructions of the FastCGI
 * library); a kill between an atomic add of the counts and the store of
 * its progress could repeat that one add.  Nothing else is lost or
 * counted twice.
 */
#ifndef TG_JOURNAL_H
#define TG_JOURNAL_H

#include <sys/types.h>
#include <stddef.h>

#include "decision.h"

struct journal;
struct journal_slot;
struct stats;
struct declog;

/* Create and lock this process's journal next to `base` with `nslots`
 * slots.  NULL with a message in err on failure.  journal_close() removes
 * it (the process ends cleanly with nothing armed). */
struct journal		*journal_open(const char *base, size_t nslots, char *err, size_t errlen);
void			 journal_close(struct journal *);
/* Slot i (< nslots), owned by one thread. */
struct journal_slot	*journal_slot(struct journal *, size_t i);

/* Arm the slot with d (copied, as a decision log line) just before the
 * first byte of its answer leaves; `log_off` is the decision log's size
 * then.  -1 when d does not fit a line (the slot stays free). */
int			 journal_arm(struct journal_slot *, const struct tg_decision *, off_t log_off);
int			 journal_armed(const struct journal_slot *);
/* Replace the armed decision's tokens, cost, status and interrupted flag
 * (a stream's progress, then its final figures). */
void			 journal_update(struct journal_slot *, const struct tg_decision *);
/*
 * Account for the armed decision d: log it (declog may be NULL), count it
 * (stats may be NULL), free the slot, each step marked in the slot so
 * that a kill anywhere leaves what journal_recover() finishes.  When
 * `as_armed`, d is the decision as armed and its line is written as it is
 * (not formatted again).  Returns 0, or -1 when the log write failed
 * (counted all the same).
 */
int			 journal_account(struct journal_slot *, const struct tg_decision *,
			    int as_armed, struct stats *, struct declog *);

/* Finish the armed slots of every dead process's journal next to `base`,
 * then remove those journals.  Returns the number of decisions finished,
 * or -1 with a message in err (the directory cannot be read). */
int			 journal_recover(const char *base, struct stats *, struct declog *,
			    char *err, size_t errlen);

#endif
