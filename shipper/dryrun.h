/*
 * dryrun.h — `--dry-run`: print the pipeline as understood, and warn.
 */
#ifndef SHIPPER_DRYRUN_H
#define SHIPPER_DRYRUN_H

#include <stdio.h>

#include "pipeline.h"

/* Prints the pipeline and its warnings to out; returns the warning count. */
unsigned dryrun_print(struct pipeline *pl, const char *conf_name, FILE *out);

#endif
