package io.peregrine.streams.dlq;

/** A raw event that decoded but breaks an invariant of the pipeline; its message names the value. */
public final class InvalidEventException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidEventException(String message) {
        super(message, null, false, false);
    }
}
