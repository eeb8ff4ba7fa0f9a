package io.peregrine.streams.servicemap;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SeqTrackerTest {

    @Test
    void shouldDropRepeatsAndAcceptGapFillsOnce() {
        SeqTracker t = new SeqTracker();
        assertThat(t.accept(10, 0)).isTrue();
        assertThat(t.accept(10, 0)).isFalse();
        assertThat(t.accept(14, 0)).isTrue();
        assertThat(t.accept(12, 0)).as("gap filled by a replay").isTrue();
        assertThat(t.accept(12, 0)).isFalse();
        assertThat(t.accept(11, 0)).isTrue();
        assertThat(t.accept(13, 0)).isTrue();
        assertThat(t.accept(13, 0)).isFalse();
        assertThat(t.accept(9, 0)).as("before the first seen seq of the run").isTrue();
        assertThat(t.accept(9, 0)).isFalse();
        assertThat(t.accept(15, 0)).isTrue();
    }

    @Test
    void shouldSurviveItsEncoding() {
        SeqTracker t = new SeqTracker();
        t.accept(100, 5);
        t.accept(105, 6);
        SeqTracker back = SeqTracker.decode(t.encode());
        assertThat(back.accept(103, 7)).isTrue();
        assertThat(back.accept(105, 7)).isFalse();
        assertThat(back.lastSeenTs).isEqualTo(7);
    }

    @Test
    void shouldForgetGapsBeyondItsWindow() {
        SeqTracker t = new SeqTracker();
        t.accept(0, 0);
        t.accept(2, 0);
        t.accept(2 + SeqTracker.WINDOW + 1, 0);
        assertThat(t.accept(1, 0)).as("too old to tell: treated as seen").isFalse();
    }
}
