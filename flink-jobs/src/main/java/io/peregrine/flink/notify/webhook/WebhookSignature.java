package io.peregrine.flink.notify.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How Peregrine signs webhook requests, and how a receiver verifies them.
 *
 * <p>Every request carries two headers:
 * <pre>
 * X-Peregrine-Timestamp: 1748858130                  (Unix seconds when this attempt was signed)
 * X-Peregrine-Signature: v1=5257a869e7...            (lower-case hex HMAC-SHA256)
 * </pre>
 * where the signature is {@code HMAC-SHA256(key = the shared secret as UTF-8 bytes,
 * message = timestamp + "." + raw request body bytes)}. A third header,
 * {@code X-Peregrine-Notification-Id}, is the same on every retry of one notification.
 *
 * <p>To verify, a receiver:
 * <ol>
 * <li>reads the body as raw bytes (before any JSON parsing or re-encoding);</li>
 * <li>computes the HMAC over {@code timestamp + "." + body} with the shared secret and compares it
 * with the hex after {@code v1=} in constant time (e.g. {@code MessageDigest.isEqual},
 * Python's {@code hmac.compare_digest});</li>
 * <li>rejects a timestamp further than its replay window from its own clock: 5 minutes is the usual
 * choice (Stripe's and Slack's), long enough for clock skew, short enough that a captured request
 * cannot be replayed later. Retries are signed afresh, so a window shorter than Peregrine's retry
 * backoff is fine;</li>
 * <li>to reject replays inside the window too, remembers the notification ids it accepted for at
 * least the window and ignores a repeat (which also makes Peregrine's at-least-once delivery
 * exactly-once for the receiver).</li>
 * </ol>
 * {@link #verify} does steps 2 and 3 for Java receivers.
 */
public final class WebhookSignature {

    public static final String TIMESTAMP_HEADER = "X-Peregrine-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Peregrine-Signature";
    public static final String ID_HEADER = "X-Peregrine-Notification-Id";
    public static final Duration DEFAULT_REPLAY_WINDOW = Duration.ofMinutes(5);

    private WebhookSignature() {
    }

    /** The {@code X-Peregrine-Signature} value for {@code body} signed at {@code timestampSeconds}. */
    public static String sign(String secret, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    /** Why a request failed verification. */
    public enum Verdict {
        VALID, MISSING_HEADER, MALFORMED_TIMESTAMP, OUTSIDE_REPLAY_WINDOW, BAD_SIGNATURE
    }

    /** Checks a received request's headers against its raw body, the shared secret and the replay window. */
    public static Verdict verify(String secret, String timestampHeader, String signatureHeader, byte[] body,
                                 Instant now, Duration replayWindow) {
        if (timestampHeader == null || signatureHeader == null) {
            return Verdict.MISSING_HEADER;
        }
        long ts;
        try {
            ts = Long.parseLong(timestampHeader.trim());
        } catch (NumberFormatException e) {
            return Verdict.MALFORMED_TIMESTAMP;
        }
        if (Math.abs(now.getEpochSecond() - ts) > replayWindow.toSeconds()) {
            return Verdict.OUTSIDE_REPLAY_WINDOW;
        }
        byte[] expected = sign(secret, ts, body).getBytes(StandardCharsets.US_ASCII);
        byte[] given = signatureHeader.trim().getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given) ? Verdict.VALID : Verdict.BAD_SIGNATURE;
    }
}
