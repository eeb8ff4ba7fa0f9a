package io.peregrine.agent.ebpf;

/**
 * A frame that is well delimited but whose record cannot be read. Carries the reason (for
 * counting, by type) and the offending value. The frame is skipped; the stream goes on.
 */
public final class MalformedRecordException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Why a frame was rejected; also the keys of the decoder's problem counters. */
  public enum Reason {
    /** The length prefix is outside [header size, {@link RecordLayout#MAX_FRAME}]. */
    CORRUPT_LENGTH,
    /** The record does not start with {@link RecordLayout#MAGIC}. */
    BAD_MAGIC,
    /** The header's size disagrees with the frame length. */
    SIZE_MISMATCH,
    /** A record version this reader does not know (loader and agent built from different sources). */
    UNSUPPORTED_VERSION,
    /** A record type this reader does not know. */
    UNKNOWN_TYPE,
    /** Shorter than its type's fixed part, or its payload lengths exceed the frame. */
    TOO_SHORT,
    /** A field holds a value outside its domain (enum, address family, length). */
    BAD_VALUE,
    /** The stream ended in the middle of a frame. */
    TRUNCATED_AT_END,
    /** The listener threw on the record (counted here so the stream is never stopped by it). */
    LISTENER_FAILED
  }

  private final Reason reason;

  public MalformedRecordException(Reason reason, String detail) {
    super(reason + ": " + detail, null, false, false); // no stack trace: expected, counted input
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
