package io.pspgateway.dataplane.doca;

/** A DOCA call returned an error: which call, and DOCA's name for the error. */
public final class DocaCallException extends RuntimeException {
    private final int error;

    DocaCallException(String function, int error, String errorName) {
        super(function + " failed: " + errorName + " (" + error + ")");
        this.error = error;
    }

    /** The {@code doca_error_t} returned. */
    public int error() {
        return error;
    }
}
