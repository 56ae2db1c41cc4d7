package io.pspgateway.dataplane;

/**
 * A control-plane request the data plane cannot carry out. The kind maps onto the gRPC status
 * the original gateway answers with.
 */
public final class DataplaneException extends RuntimeException {
    /** What went wrong, in the original gateway's terms. */
    public enum Kind {
        /** The request itself is wrong (bad slot number, unknown version, ...): INVALID_ARGUMENT. */
        INVALID_ARGUMENT,
        /** Out of SPIs, key slots or table space: RESOURCE_EXHAUSTED. */
        RESOURCE_EXHAUSTED,
        /** The backend failed: INTERNAL. */
        INTERNAL
    }

    private final Kind kind;

    public DataplaneException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
