package io.pspgateway.dataplane;

/**
 * Counters of one flow entry (DOCA's per-entry query).
 *
 * @param packets packets that hit the entry
 * @param bytes   their payload bytes (PSP header and ICV excluded)
 */
public record EntryCounters(long packets, long bytes) {
}
