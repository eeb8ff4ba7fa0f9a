package io.peregrine.agent.l7.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteTemplateTest {

    @ParameterizedTest(name = "{index}: {0}")
    @CsvSource(delimiter = '|', value = {
        "/|/",
        "''|/",
        "*|*",
        "/?q=1|/",
        "/users/42/orders?page=2|/users/{id}/orders",
        "/users/42/|/users/{id}/",
        "/api/v1/items|/api/v1/items",
        "/items/550e8400-e29b-41d4-a716-446655440000|/items/{id}",
        "/blobs/0bd32c4ff15489ca4b50df2056017c3323455478|/blobs/{id}",
        "/commits/0bd32c4f|/commits/{id}",
        "/words/deadbeef|/words/deadbeef",
        "/reports/2024-01-15|/reports/{id}",
        "/orders/order-12345|/orders/{id}",
        "/oauth2/token|/oauth2/token",
        "/t/eyJhbGciOiJIUzI1NiJ9x|/t/{id}",
        "/release-notes-for-version-two|/release-notes-for-version-two",
        "/u/alice%40example.com|/u/{id}",
        "/u/alice@example.com|/u/{id}",
        "/files/a;jsessionid=ABC123|/files/a",
        "/index.html#top|/index.html",
        "//double|//double",
        "/a/b/c/d/e/f/g/h/i/j/k/l/m|/a/b/c/d/e/f/g/h/i/j/{*}",
    })
    void shouldReplaceIdentifiersAndDropQuery(String path, String template) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        assertThat(RouteTemplate.of(b, 0, b.length)).isEqualTo(template);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @CsvSource({"x", "ab", "a1b2"})
    void shouldBoundTheTemplateLengthForAnyPath(String segment) {
        byte[] b = ("/" + (segment + "-").repeat(400)).getBytes(StandardCharsets.UTF_8);
        assertThat(RouteTemplate.of(b, 0, b.length).length()).isLessThanOrEqualTo(RouteTemplate.MAX_LENGTH);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @CsvSource({"/ü/x", "/a\tb/x"})
    void shouldTreatNonAsciiAndControlBytesAsIdentifiers(String path) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        assertThat(RouteTemplate.of(b, 0, b.length)).isEqualTo("/{id}/x");
    }
}
