package io.peregrine.registry.internal.api;

import io.peregrine.registry.internal.schema.CompatibilityLevel;

/**
 * An error answer: HTTP status, Confluent {@code error_code} and message
 * ({@code core/.../rest/exceptions/Errors.java}; message texts are Confluent's, quirks included).
 */
public final class RestError extends RuntimeException {

  private final int status;
  private final int errorCode;

  public RestError(int status, int errorCode, String message) {
    super(message, null, false, false);
    this.status = status;
    this.errorCode = errorCode;
  }

  public int status() {
    return status;
  }

  public int errorCode() {
    return errorCode;
  }

  // ------------------------------------------------------------------------------------- 404

  public static RestError subjectNotFound(String subject) {
    return new RestError(404, 40401, "Subject '" + subject + "' not found.");
  }

  public static RestError versionNotFound(int version) {
    return new RestError(404, 40402, "Version " + version + " not found.");
  }

  public static RestError schemaNotFound() {
    return new RestError(404, 40403, "Schema not found");
  }

  public static RestError schemaIdNotFound(int id) {
    return new RestError(404, 40403, "Schema " + id + " not found");
  }

  public static RestError subjectSoftDeleted(String subject) {
    return new RestError(404, 40404,
        "Subject '" + subject + "' was soft deleted.Set permanent=true to delete permanently");
  }

  public static RestError subjectNotSoftDeleted(String subject) {
    return new RestError(404, 40405,
        "Subject '" + subject + "' was not deleted first before being permanently deleted");
  }

  public static RestError versionSoftDeleted(String subject, String version) {
    return new RestError(404, 40406, "Subject '" + subject + "' Version " + version
        + " was soft deleted.Set permanent=true to delete permanently");
  }

  public static RestError versionNotSoftDeleted(String subject, String version) {
    return new RestError(404, 40407, "Subject '" + subject + "' Version " + version
        + " was not deleted first before being permanently deleted");
  }

  public static RestError subjectCompatibilityNotConfigured(String subject) {
    return new RestError(404, 40408,
        "Subject '" + subject + "' does not have subject-level compatibility configured");
  }

  public static RestError subjectModeNotConfigured(String subject) {
    return new RestError(404, 40409, "Subject '" + subject + "' does not have subject-level mode configured");
  }

  /** Unknown path, as Jersey answers it. */
  public static RestError notFound() {
    return new RestError(404, 404, "HTTP 404 Not Found");
  }

  public static RestError methodNotAllowed() {
    return new RestError(405, 405, "HTTP 405 Method Not Allowed");
  }

  // ------------------------------------------------------------------------------------- 409

  public static RestError incompatible(String subject, java.util.List<String> messages) {
    return new RestError(409, 409, "Schema being registered is incompatible with an earlier schema for subject \""
        + subject + "\", details: [" + String.join(", ", messages) + "]");
  }

  // -------------------------------------------------------------------------------- 4xx body

  public static RestError badRequest(String message) {
    return new RestError(400, 400, message);
  }

  public static RestError unsupportedMediaType() {
    return new RestError(415, 415, "HTTP 415 Unsupported Media Type");
  }

  public static RestError tooLarge(int maxBytes) {
    return new RestError(413, 413, "Request body is larger than the maximum of " + maxBytes + " bytes");
  }

  /** Bean-validation style 422, e.g. {@code schema may not be empty}. */
  public static RestError unprocessable(String message) {
    return new RestError(422, 422, message);
  }

  // ------------------------------------------------------------------------------------- 422

  public static RestError invalidSchema(String message) {
    return new RestError(422, 42201, message);
  }

  public static RestError invalidVersion(String version) {
    return new RestError(422, 42202, "The specified version '" + version
        + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
  }

  public static RestError invalidCompatibility() {
    return new RestError(422, 42203, CompatibilityLevel.INVALID_MESSAGE);
  }

  public static RestError invalidMode(String detail) {
    return new RestError(422, 42204, detail);
  }

  public static RestError operationNotPermitted(String message) {
    return new RestError(422, 42205, message);
  }

  // ------------------------------------------------------------------------------------- 5xx

  public static RestError storeError(String message) {
    return new RestError(500, 50001, message);
  }

  public static RestError timeout(String message) {
    return new RestError(500, 50002, message);
  }

  public static RestError internal(String message) {
    return new RestError(500, 500, message);
  }
}
