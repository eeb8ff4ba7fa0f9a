package io.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.schema.SilenceMatcher;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SilenceCommandTest {

    private static SilenceMatcher m(String name, String value, boolean regex, boolean equal) {
        return SilenceMatcher.newBuilder().setName(name).setValue(value).setIsRegex(regex).setIsEqual(equal).build();
    }

    @Test
    void shouldParseTheFourMatcherFormsAndWriteThemBack() {
        assertThat(SilenceCommand.matcher("app=k8s/shop/db")).isEqualTo(m("app", "k8s/shop/db", false, true));
        assertThat(SilenceCommand.matcher("kind!=ANOMALY")).isEqualTo(m("kind", "ANOMALY", false, false));
        assertThat(SilenceCommand.matcher("app=~k8s/shop/.*")).isEqualTo(m("app", "k8s/shop/.*", true, true));
        assertThat(SilenceCommand.matcher("severity!~info|ticket")).isEqualTo(m("severity", "info|ticket", true, false));
        assertThat(SilenceCommand.matcher("slo=")).isEqualTo(m("slo", "", false, true)); // absent label
        assertThat(SilenceCommand.matcher("note=a=b")).isEqualTo(m("note", "a=b", false, true));
        for (String s : new String[] {"app=k8s/shop/db", "kind!=ANOMALY", "app=~k8s/.*", "severity!~info|ticket"}) {
            assertThat(SilenceCommand.format(SilenceCommand.matcher(s))).isEqualTo(s);
        }
    }

    @Test
    void shouldRefuseMalformedMatchersInstantsAndDurations() {
        for (String bad : new String[] {"", "app", "=x", "9app=x", "app~x", "a pp=x", "app=~[unclosed", "app!~(x"}) {
            assertThatThrownBy(() -> SilenceCommand.matcher(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("matcher '" + bad + "'");
        }
        Instant now = Instant.parse("2025-06-02T10:00:00Z");
        assertThat(SilenceCommand.instant("--starts-at", "now", now)).isEqualTo(now);
        assertThat(SilenceCommand.instant("--ends-at", "2025-06-02T12:00:00Z", now)).isEqualTo(now.plusSeconds(7200));
        assertThatThrownBy(() -> SilenceCommand.instant("--ends-at", "tomorrow", now))
                .hasMessageContaining("--ends-at 'tomorrow'");
        assertThat(SilenceCommand.duration("90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(SilenceCommand.duration("1d")).isEqualTo(Duration.ofDays(1));
        for (String bad : new String[] {"0h", "-1h", "2 weeks", "h", "", "99999999999s"}) {
            assertThatThrownBy(() -> SilenceCommand.duration(bad)).as(bad).hasMessageContaining("--duration");
        }
    }

    @Test
    void shouldRejectBadArgumentsBeforeTouchingKafka() {
        StringWriter err = new StringWriter();
        CommandLine cl = Peregrine.commandLine();
        cl.setErr(new PrintWriter(err));
        // A port nothing listens on: a parameter error must come first, without a connection attempt.
        int code = cl.execute("silence", "add", "--bootstrap-servers", "127.0.0.1:1", "app", "--comment", "x");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("matcher 'app'");
        err.getBuffer().setLength(0);
        code = cl.execute("silence", "add", "--bootstrap-servers", "127.0.0.1:1", "app=x", "--comment", "x",
                "--starts-at", "2025-06-02T12:00:00Z", "--ends-at", "2025-06-02T11:00:00Z");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("before it starts");
        err.getBuffer().setLength(0);
        code = cl.execute("silence", "add", "--bootstrap-servers", "127.0.0.1:1", "app=x", "--comment", "x",
                "--duration", "1h", "--ends-at", "2099-01-01T00:00:00Z");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("not both");
        err.getBuffer().setLength(0);
        code = cl.execute("silence", "add", "app=x");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--comment");
    }
}
