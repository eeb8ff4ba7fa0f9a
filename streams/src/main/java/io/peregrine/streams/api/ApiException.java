package io.peregrine.streams.api;

/** A request that cannot be answered, with the HTTP status to answer it with and a clear message. */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;

    ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }
}
