package io.pspgateway.dataplane;

/**
 * A data plane as a gateway runs it: the operations the control plane calls, what it reads back,
 * and the ports under it. Whoever opened it (a backend factory) opened its ports; {@link #close()}
 * stops its packet processing, wipes its keys and closes them, once.
 */
public interface Backend extends AutoCloseable {

    /** What the control plane programs (through the Dataplane actor only). */
    DataplaneOps ops();

    /** What it holds now, read back from it. */
    DataplaneInspection inspection();

    /** One line for the start-up message: the backend and what it runs on. */
    String description();

    @Override
    void close();
}
