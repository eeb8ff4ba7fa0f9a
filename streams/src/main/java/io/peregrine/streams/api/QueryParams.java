package io.peregrine.streams.api;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parsing of the API's query parameters, strict: anything unparsable, out of range or unknown is
 * a 400 naming the parameter and the value.
 */
final class QueryParams {

    static final Duration DEFAULT_RANGE = Duration.ofMinutes(15);
    static final int MAX_POINTS = 10_000;

    private final Map<String, List<String>> params;

    QueryParams(Map<String, List<String>> params) {
        this.params = params;
    }

    void allowOnly(String... names) {
        for (String key : params.keySet()) {
            boolean known = false;
            for (String n : names) {
                known |= n.equals(key);
            }
            if (!known) {
                throw ApiException.badRequest("unknown parameter '" + key + "'; this endpoint takes "
                        + String.join(", ", names));
            }
        }
    }

    String single(String name) {
        List<String> v = params.get(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (v.size() > 1) {
            throw ApiException.badRequest("parameter '" + name + "' given " + v.size() + " times");
        }
        return v.get(0);
    }

    boolean flag(String name) {
        String v = single(name);
        if (v == null) {
            return false;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "", "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.badRequest("parameter '" + name + "' must be true or false, got '" + v + "'");
        };
    }

    /** An instant as epoch milliseconds or ISO-8601 ({@code 2025-06-02T10:15:30Z}). */
    Instant instant(String name, Instant dflt) {
        String v = single(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        String s = v.trim();
        try {
            if (s.chars().allMatch(Character::isDigit) && s.length() <= 15) {
                return Instant.ofEpochMilli(Long.parseLong(s));
            }
            return Instant.parse(s);
        } catch (NumberFormatException | DateTimeParseException e) {
            throw ApiException.badRequest("parameter '" + name + "' is not a time: '" + v
                    + "' (use epoch milliseconds or ISO-8601 like 2025-06-02T10:15:30Z)");
        }
    }

    /** The [from, to) range; defaults to the last 15 minutes before {@code now}. */
    Instant[] range(Instant now, Duration maxRange) {
        Instant to = instant("to", now);
        Instant from = instant("from", to.minus(DEFAULT_RANGE));
        if (!from.isBefore(to)) {
            throw ApiException.badRequest("'from' (" + from + ") must be before 'to' (" + to + ")");
        }
        if (Duration.between(from, to).compareTo(maxRange) > 0) {
            throw ApiException.badRequest("the range " + from + " .. " + to + " is longer than the "
                    + maxRange.toHours() + " h the API keeps");
        }
        return new Instant[] {from, to};
    }

    /**
     * A step as milliseconds or a duration ({@code 10s}, {@code 5m}, {@code 1h}, {@code PT30S}); a
     * positive multiple of the window size.
     */
    Duration step(String name, Duration window, Duration range) {
        String v = single(name);
        if (v == null || v.isBlank()) {
            return window;
        }
        Duration d = parseDuration(name, v.trim());
        if (d.isZero() || d.isNegative() || d.toMillis() % window.toMillis() != 0) {
            throw ApiException.badRequest("parameter '" + name + "' must be a positive multiple of the "
                    + window.toMillis() + " ms window, got '" + v + "'");
        }
        if (range.toMillis() / d.toMillis() > MAX_POINTS) {
            throw ApiException.badRequest("'" + name + "' of " + v + " gives more than " + MAX_POINTS
                    + " points over the range; use a larger step");
        }
        return d;
    }

    private static Duration parseDuration(String name, String v) {
        try {
            if (v.startsWith("P") || v.startsWith("p")) {
                return Duration.parse(v);
            }
            if (v.chars().allMatch(Character::isDigit)) {
                return Duration.ofMillis(Long.parseLong(v));
            }
            char unit = Character.toLowerCase(v.charAt(v.length() - 1));
            String number = v.substring(0, v.length() - 1);
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long n = Long.parseLong(number);
            return switch (unit) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
            throw ApiException.badRequest("parameter '" + name + "' is not a duration: '" + v
                    + "' (use e.g. 10s, 5m, 1h, PT30S or milliseconds)");
        }
    }
}
