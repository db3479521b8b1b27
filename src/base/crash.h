/*
 * crash: named crash points for the crash tests (tests/cli/crash.bats).
 * When MINIMTA_CRASH_AT names a point ("submit.after-rename", or
 * "deliver.after-dot:2" for its second hit), the process SIGKILLs itself
 * there, as a power cut or kill -9 would stop it. Unset, each point costs
 * one branch. The stage ("submit", "pickup", "bounce", ...) prefixes the
 * steps of shared code such as spool_commit().
 */
#ifndef CRASH_H
#define CRASH_H

/* Sets the stage for crash_step(); returns the previous one. */
const char *crash_stage(const char *);
/* The point "stage.step" (the current stage). */
void	crash_step(const char *step);
/* The point called name. */
void	crash_point(const char *name);

#endif
