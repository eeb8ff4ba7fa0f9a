package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CmdlineParserTest {

  record Case(String name, byte[] content, int maxBytes, List<String> args,
      Optional<Cmdline> joined) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured: odd executable name with arguments",
            bytes("host-debian12-vm/proc/16207/cmdline"), 1024, List.of("/tmp/x) (y z", "300"),
            Optional.of(new Cmdline("/tmp/x) (y z 300", false))),
        new Case("captured: python reading its program from stdin",
            bytes("host-debian12-vm/proc/16208/cmdline"), 1024,
            List.of("/root/.pyenv/versions/3.11.7/bin/python3", "-"),
            Optional.of(new Cmdline("/root/.pyenv/versions/3.11.7/bin/python3 -", false))),
        new Case("captured: kernel thread has none", bytes("host-debian12-vm/proc/2/cmdline"),
            1024, List.of(), Optional.empty()),
        new Case("rewritten by the process: one string, no NUL",
            text("postgres: checkpointer"), 1024, List.of("postgres: checkpointer"),
            Optional.of(new Cmdline("postgres: checkpointer", false))),
        new Case("cut to the limit, ellipsis included", text("java\0-Xmx1g\0-jar\0app.jar\0"), 12,
            List.of("java", "-Xmx1g", "-jar", "app.jar"),
            Optional.of(new Cmdline("java -Xmx...", true))),
        new Case("never cut inside a multi-byte character",
            "a\0ééé\0".getBytes(StandardCharsets.UTF_8), 7, List.of("a", "ééé"),
            Optional.of(new Cmdline("a é...", true))),
        new Case("invalid UTF-8 becomes U+FFFD", new byte[] {'x', 0, (byte) 0xC3, 0}, 1024,
            List.of("x", "\uFFFD"), Optional.of(new Cmdline("x \uFFFD", false))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldSplitOnNulAndJoinWithinTheLimit(Case c) {
    assertThat(CmdlineParser.args(c.content(), c.content().length)).isEqualTo(c.args());
    assertThat(CmdlineParser.joined(c.content(), c.content().length, c.maxBytes()))
        .isEqualTo(c.joined());
  }

  @Test
  void shouldKeepTheJoinedTextWithinTheByteLimit() {
    byte[] content = "€€€€€€€€€€".getBytes(StandardCharsets.UTF_8);
    for (int max = 3; max < content.length + 2; max++) {
      String text = CmdlineParser.joined(content, content.length, max).orElseThrow().text();
      assertThat(text.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(max);
    }
  }
}
