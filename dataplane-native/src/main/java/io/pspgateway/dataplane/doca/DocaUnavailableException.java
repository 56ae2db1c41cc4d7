package io.pspgateway.dataplane.doca;

/**
 * DOCA cannot be used on this machine: a library is missing or does not load, lacks a bound
 * symbol, or is not DOCA 3.0. The message is one line for the operator: what was looked for,
 * where, why it failed and what to install or set.
 */
public final class DocaUnavailableException extends Exception {
    public DocaUnavailableException(String message) {
        super(message);
    }
}
