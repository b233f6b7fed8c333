using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.Json;

namespace Pulse.Gateway.Api.Problems;

/// <summary>
/// Results the API's endpoints return: JSON through source-generated metadata with a known length (so
/// compression can skip small bodies), and problem details for every error.
/// </summary>
public static class ApiResults
{
    /// <summary>A JSON body with <paramref name="status"/> and, for 201, a Location.</summary>
    public static IResult Json<T>(T value, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK, string? location = null) =>
        new JsonResult<T>(value, typeInfo, status, location);

    /// <summary>A problem details response.</summary>
    public static IResult Problem(int status, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new ProblemResult(status, detail, errors, null);

    /// <summary>404 naming what was not found.</summary>
    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, detail);

    /// <summary>409 naming the conflict.</summary>
    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, detail);

    /// <summary>400 with one invalid field.</summary>
    public static IResult InvalidField(string field, string message) => new ValidationErrors().Add(field, message).ToResult();

    /// <summary>401 with <c>WWW-Authenticate: Bearer</c>.</summary>
    public static IResult Unauthorized(string detail, string? bearerError = "invalid_token") =>
        new ProblemResult(
            StatusCodes.Status401Unauthorized,
            detail,
            null,
            bearerError is null ? "Bearer realm=\"pulse\"" : $"Bearer realm=\"pulse\", error=\"{bearerError}\"");

    /// <summary>403 naming why.</summary>
    public static IResult Forbidden(string detail) => Problem(StatusCodes.Status403Forbidden, detail);

    private sealed class JsonResult<T>(T value, JsonTypeInfo<T> typeInfo, int status, string? location) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (location is not null)
            {
                httpContext.Response.Headers.Location = location;
            }

            return JsonResponseBody.WriteAsync(httpContext, value, typeInfo, status, "application/json; charset=utf-8");
        }
    }

    private sealed class ProblemResult(int status, string detail, IReadOnlyDictionary<string, string[]>? errors, string? wwwAuthenticate) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (wwwAuthenticate is not null)
            {
                httpContext.Response.Headers.WWWAuthenticate = wwwAuthenticate;
            }

            return ProblemResponses.WriteAsync(httpContext, status, detail, errors);
        }
    }
}
