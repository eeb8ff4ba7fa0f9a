package io.peregrine.schema.registry;

/**
 * The registry refused a request or could not be reached. {@link #isRetriable()} tells callers
 * whether trying again later can help (unreachable, 5xx, 429) or not (4xx: the request itself is
 * wrong, e.g. an incompatible schema or an unknown id).
 */
public class RegistryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Confluent's error code for "Schema not found". */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent's error code for "Subject not found". */
    public static final int SUBJECT_NOT_FOUND = 40401;

    private final int httpStatus;
    private final int errorCode;

    public RegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** HTTP status of the answer, or -1 when no answer came. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Confluent error code from the body ({@code error_code}), or -1. */
    public int errorCode() {
        return errorCode;
    }

    public boolean isRetriable() {
        return httpStatus < 0 || httpStatus >= 500 || httpStatus == 429;
    }
}
