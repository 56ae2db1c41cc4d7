package io.pspgateway.dataplane.doca;

/** A DOCA call returned an error: which call, and DOCA's name for the error. */
public final class DocaCallException extends RuntimeException {
    private final int error;

    DocaCallException(String function, int error, String errorName) {
        this(function + " failed: " + errorName + " (" + error + ")", error);
    }

    private DocaCallException(String message, int error) {
        super(message);
        this.error = error;
    }

    /** An entry DOCA queued but then reported as failed, or did not report in time. */
    static DocaCallException entry(String what, String outcome) {
        return new DocaCallException(what + ": " + outcome, DocaAbi.DOCA_ERROR_BAD_STATE);
    }

    /** The {@code doca_error_t} returned. */
    public int error() {
        return error;
    }
}
