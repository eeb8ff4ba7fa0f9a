package io.peregrine.registry.internal.http;

import static io.peregrine.registry.internal.http.Router.Kind.COMPUTE;
import static io.peregrine.registry.internal.http.Router.Kind.INLINE;
import static io.peregrine.registry.internal.http.Router.Kind.WRITE;

import io.peregrine.registry.internal.api.Json;
import io.peregrine.registry.internal.api.RegistryApi;
import io.peregrine.registry.internal.api.RestError;

/** The Confluent REST API, path by path (query parameters not listed are ignored, as Confluent does). */
public final class RegistryRoutes {

  private RegistryRoutes() {}

  public static Router create(RegistryApi api) {
    Router r = new Router();
    r.add("GET", "/", INLINE, (q, p) -> api.root());
    r.add("GET", "/schemas/types", INLINE, (q, p) -> api.schemaTypes());
    r.add("GET", "/contexts", INLINE, (q, p) -> api.contexts());

    r.add("GET", "/schemas/ids/{id}", INLINE, (q, p) -> api.schemaById(id(p.get(0)), q.flag("fetchMaxId")));
    r.add("GET", "/schemas/ids/{id}/schema", INLINE, (q, p) -> api.schemaTextById(id(p.get(0))));
    r.add("GET", "/schemas/ids/{id}/versions", INLINE,
        (q, p) -> api.subjectVersionsById(id(p.get(0)), q.flag("deleted")));
    r.add("GET", "/schemas/ids/{id}/subjects", INLINE,
        (q, p) -> api.subjectsById(id(p.get(0)), q.flag("deleted")));

    r.add("GET", "/subjects", INLINE, (q, p) -> api.subjects(q.flag("deleted"), q.param("subjectPrefix")));
    r.add("POST", "/subjects/{subject}", COMPUTE,
        (q, p) -> api.lookup(p.get(0), Json.parseBody(q.body()), q.flag("deleted")));
    r.add("DELETE", "/subjects/{subject}", WRITE, (q, p) -> api.deleteSubject(p.get(0), q.flag("permanent")));
    r.add("GET", "/subjects/{subject}/versions", INLINE, (q, p) -> api.versions(p.get(0), q.flag("deleted")));
    r.add("POST", "/subjects/{subject}/versions", WRITE,
        (q, p) -> api.register(p.get(0), Json.parseBody(q.body())));
    r.add("GET", "/subjects/{subject}/versions/{version}", INLINE,
        (q, p) -> api.version(p.get(0), p.get(1), q.flag("deleted")));
    r.add("DELETE", "/subjects/{subject}/versions/{version}", WRITE,
        (q, p) -> api.deleteVersion(p.get(0), p.get(1), q.flag("permanent")));
    r.add("GET", "/subjects/{subject}/versions/{version}/schema", INLINE,
        (q, p) -> api.versionSchemaText(p.get(0), p.get(1), q.flag("deleted")));
    r.add("GET", "/subjects/{subject}/versions/{version}/referencedby", INLINE,
        (q, p) -> api.referencedBy(p.get(0), p.get(1)));

    r.add("POST", "/compatibility/subjects/{subject}/versions", COMPUTE,
        (q, p) -> api.checkCompatibility(p.get(0), null, Json.parseBody(q.body()), q.flag("verbose")));
    r.add("POST", "/compatibility/subjects/{subject}/versions/{version}", COMPUTE,
        (q, p) -> api.checkCompatibility(p.get(0), p.get(1), Json.parseBody(q.body()), q.flag("verbose")));

    r.add("GET", "/config", INLINE, (q, p) -> api.globalConfig());
    r.add("PUT", "/config", WRITE, (q, p) -> api.updateConfig(null, Json.parseBody(q.body())));
    r.add("DELETE", "/config", WRITE, (q, p) -> api.deleteConfig(null));
    r.add("GET", "/config/{subject}", INLINE, (q, p) -> api.subjectConfig(p.get(0), q.flag("defaultToGlobal")));
    r.add("PUT", "/config/{subject}", WRITE, (q, p) -> api.updateConfig(p.get(0), Json.parseBody(q.body())));
    r.add("DELETE", "/config/{subject}", WRITE, (q, p) -> api.deleteConfig(p.get(0)));

    r.add("GET", "/mode", INLINE, (q, p) -> api.globalMode());
    r.add("PUT", "/mode", WRITE, (q, p) -> api.updateMode(null, Json.parseBody(q.body())));
    r.add("GET", "/mode/{subject}", INLINE, (q, p) -> api.subjectMode(p.get(0), q.flag("defaultToGlobal")));
    r.add("PUT", "/mode/{subject}", WRITE, (q, p) -> api.updateMode(p.get(0), Json.parseBody(q.body())));
    r.add("DELETE", "/mode/{subject}", WRITE, (q, p) -> api.deleteMode(p.get(0)));
    return r;
  }

  /** An {@code Integer} path parameter: Jersey answers 404 when it does not convert. */
  private static int id(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw RestError.notFound();
    }
  }
}
