package io.pspgateway.pcap;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Counts of one pcap run: packets processed, and every packet left out by reason, split into
 * skips (packets the reference tool also leaves out without complaint) and failures (packets
 * that were bad; any failure makes the command exit non-zero).
 */
public final class PcapRunSummary {
    private long processed;
    private final Map<String, Long> skipped = new TreeMap<>();
    private final Map<String, Long> failed = new TreeMap<>();

    void processed() {
        processed++;
    }

    void skip(Enum<?> reason) {
        skipped.merge(name(reason), 1L, Long::sum);
    }

    void fail(Enum<?> reason) {
        failed.merge(name(reason), 1L, Long::sum);
    }

    private static String name(Enum<?> reason) {
        return reason.name().toLowerCase().replace('_', '-');
    }

    public long processedCount() {
        return processed;
    }

    public long skippedCount() {
        return skipped.values().stream().mapToLong(Long::longValue).sum();
    }

    public long failedCount() {
        return failed.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Skipped packets by reason (reason names are lower-case-hyphenated status names). */
    public Map<String, Long> skippedByReason() {
        return Map.copyOf(skipped);
    }

    /** Failed packets by reason. */
    public Map<String, Long> failedByReason() {
        return Map.copyOf(failed);
    }

    /**
     * One line in the reference tools' words, extended with failures and reasons:
     * {@code encrypted 2 packets in out.pcap, skipped 1 packets, failed 0 packets [skipped: crypt-offset-past-end=1]}.
     */
    public String line(String verb, String output) {
        StringBuilder sb = new StringBuilder();
        sb.append(verb).append(' ').append(processed).append(" packets in ").append(output)
                .append(", skipped ").append(skippedCount()).append(" packets, failed ")
                .append(failedCount()).append(" packets");
        if (!skipped.isEmpty() || !failed.isEmpty()) {
            sb.append(" [");
            if (!skipped.isEmpty()) {
                sb.append("skipped: ").append(join(skipped));
            }
            if (!failed.isEmpty()) {
                sb.append(skipped.isEmpty() ? "" : "; ").append("failed: ").append(join(failed));
            }
            sb.append(']');
        }
        return sb.toString();
    }

    private static String join(Map<String, Long> counts) {
        return counts.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }
}
