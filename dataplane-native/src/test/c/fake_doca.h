/* What the fake DOCA libraries share: every call goes through fake_doca_enter (see fake_doca_flow.c). */
#ifndef FAKE_DOCA_H
#define FAKE_DOCA_H

/* Journals a call of `function` with a text of its arguments; returns the error injected for it, or 0. */
int fake_doca_enter(const char *function, const char *detail);

#endif
